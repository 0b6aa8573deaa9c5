//! Integration tests of cairn-core: one binary, one module per feature.

mod definitions;
mod engine;
mod example;
mod fuzz;
mod progress;
mod properties;
mod time;
mod wire;

use cairn_core::definitions::Scope;
use cairn_core::engine::{Event, Subject, Traits};
use cairn_core::{Compiled, Definitions, SubjectState};
use jiff::Timestamp;

/// The demo product's definitions, as shipped in `examples/acme/cairn.toml`.
pub fn acme() -> Compiled {
    Definitions::compile_toml(include_str!("../../../../examples/acme/cairn.toml"))
        .expect("acme definitions are valid")
}

/// Definitions with one or more milestones of every kind, small numbers for short tests.
pub const TEST_DEFS: &str = r#"
version = 1
[[metrics]]
key = "a"
name = "apples"
client = true
[[metrics]]
key = "b"
name = "bananas"
[[metrics]]
key = "c"
name = "cherries"
[[metrics]]
key = "rev"
name = "cents"
aggregate = "sum"

[[ladders]]
key = "a"
metric = "a"
thresholds = [1, 3, 5]
name = "{count} apples"

[[milestones]]
key = "rev.100"
kind = "value"
metric = "rev"
threshold = 100
name = "100 cents"

[[milestones]]
key = "adopt"
kind = "adoption"
metrics = ["a", "b"]
name = "Adopted"

[[milestones]]
key = "phase2"
kind = "adoption"
after = "adopt"
metrics = ["c"]
name = "Phase 2"

[[milestones]]
key = "streak3"
kind = "streak"
metric = "a"
days = 3
name = "3 days"

[[milestones]]
key = "streak3f"
kind = "streak"
metric = "b"
days = 3
freezes = 1
name = "3 days, 1 freeze"

[[milestones]]
key = "weekly2"
kind = "streak"
metric = "c"
weeks = 2
name = "2 weeks"

[[milestones]]
key = "anniv1"
kind = "time"
years = 1
name = "1 year"

[[milestones]]
key = "team.2"
kind = "team"
members = 2
name = "Two"

[[milestones]]
key = "team.a5"
kind = "team"
metric = "a"
threshold = 5
name = "Team apples"

[[milestones]]
key = "acct.anniv1"
kind = "time"
of = "account"
years = 1
name = "Account year"

[[milestones]]
key = "vip"
kind = "custom"
name = "VIP"

[[milestones]]
key = "june"
kind = "usage"
metric = "c"
threshold = 1
name = "June cherries"
available = { from = "2026-06-01T00:00:00Z", until = "2026-07-01T00:00:00Z" }
"#;

/// [`TEST_DEFS`], compiled.
pub fn test_defs() -> Compiled {
    Definitions::compile_toml(TEST_DEFS).expect("test definitions are valid")
}

/// An instant from RFC 3339.
pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A subject and its state, driven event by event.
pub struct Run {
    pub defs: Compiled,
    pub state: SubjectState,
    pub scope: Scope,
    pub id: &'static str,
}

impl Run {
    pub fn user(defs: Compiled) -> Self {
        Self {
            defs,
            state: SubjectState::default(),
            scope: Scope::User,
            id: "u1",
        }
    }

    pub fn account(defs: Compiled) -> Self {
        Self {
            defs,
            state: SubjectState::default(),
            scope: Scope::Account,
            id: "acct1",
        }
    }

    pub fn subject(&self) -> Subject<'static> {
        Subject {
            project: "p",
            scope: self.scope,
            id: self.id,
        }
    }

    /// Applies `event` at `now` and returns the keys it awarded.
    pub fn apply(&mut self, event: &Event<'_>, now: Timestamp) -> Vec<String> {
        let subject = self.subject();
        let out = self
            .state
            .apply(&self.defs, subject, event, now)
            .expect("event applies");
        out.awards.into_iter().map(|a| a.milestone).collect()
    }

    /// One occurrence of `metric` at `at` (also `now`).
    pub fn ev(&mut self, metric: &str, at: &str) -> Vec<String> {
        self.apply(&Event::new(metric, ts(at)), ts(at))
    }

    /// A tick at `now`; returns the keys it awarded.
    pub fn tick(&mut self, now: &str) -> Vec<String> {
        let subject = self.subject();
        self.state
            .tick(&self.defs, subject, ts(now))
            .awards
            .into_iter()
            .map(|a| a.milestone)
            .collect()
    }

    /// Sets traits with an event of `metric` at `at`.
    pub fn traits(&mut self, metric: &str, at: &str, created_at: &str, tz: &str) -> Vec<String> {
        let traits = Traits {
            created_at: Some(ts(created_at)),
            tz: Some(tz.into()),
        };
        self.apply(
            &Event {
                traits: Some(&traits),
                ..Event::new(metric, ts(at))
            },
            ts(at),
        )
    }
}

/// Shorthand for expected award keys.
pub fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
