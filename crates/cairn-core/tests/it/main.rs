//! Integration tests of cairn-core: one binary, one module per feature.

mod definitions;
mod engine;
mod properties;

use cairn_core::Definitions;
use cairn_core::definitions::Compiled;

/// The demo product's definitions, as shipped in `examples/acme/cairn.toml`.
pub fn acme() -> Compiled {
    Definitions::from_toml(include_str!("../../../../examples/acme/cairn.toml"))
        .expect("acme definitions parse")
        .compile()
        .expect("acme definitions are valid")
}
