//! Projects: which product a request belongs to and that product's milestone definitions.
//!
//! For now a deployment has one fixed demo project, seeded from `examples/acme/cairn.toml`;
//! project storage, key rotation and per-project definitions come with the identity issue and
//! slot in behind [`Project::by_publishable_key`].

use std::sync::OnceLock;

use cairn_core::Definitions;
use cairn_core::definitions::Compiled;

/// The demo project's publishable key (development only; safe in HTML by design).
pub const DEMO_PUBLISHABLE_KEY: &str = "pk_demo_acme_0000000000000000";
const DEMO_PROJECT_ID: &str = "demo";

/// A product using Cairn.
#[derive(Debug)]
pub struct Project {
    /// Stable id, part of every subject id.
    pub id: &'static str,
    /// Validated milestone definitions.
    pub definitions: &'static Compiled,
}

impl Project {
    /// The project whose publishable key is `key`.
    pub fn by_publishable_key(key: &str) -> Option<Self> {
        (key == DEMO_PUBLISHABLE_KEY).then(Self::demo)
    }

    /// The project with id `id`.
    pub fn by_id(id: &str) -> Option<Self> {
        (id == DEMO_PROJECT_ID).then(Self::demo)
    }

    fn demo() -> Self {
        static DEFS: OnceLock<Compiled> = OnceLock::new();
        let definitions = DEFS.get_or_init(|| {
            Definitions::compile_toml(include_str!("../../examples/acme/cairn.toml"))
                .expect("the bundled demo definitions are valid (tested in cairn-core)")
        });
        Self {
            id: DEMO_PROJECT_ID,
            definitions,
        }
    }

    /// The name of the Durable Object that is the single writer of `user_id` in this project.
    pub fn user_object(&self, user_id: &str) -> String {
        format!("{}/user/{user_id}", self.id)
    }
}
