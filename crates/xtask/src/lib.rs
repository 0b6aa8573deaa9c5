//! Cairn's project automation, in Rust rather than shell scripts (as rust-analyzer's `xtask`).
//!
//! `cargo xtask setup|dev|build|test|bench` are thin entry points in `main.rs`; the pieces live
//! here so that the end-to-end tests reuse exactly the same build and the same `wrangler dev`
//! runner as a developer does.

pub mod build;
pub mod cmd;
pub mod history;
pub mod load;
pub mod notify_bench;
pub mod seed;
pub mod setup;
pub mod share_bench;
pub mod soak;
pub mod wasm_names;
pub mod wrangler;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels deep")
        .to_path_buf()
}

/// Cargo's shared target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// A binary installed by `npm ci` into `node_modules/.bin`.
pub fn npm_bin(name: &str) -> PathBuf {
    root().join("node_modules/.bin").join(name)
}

pub use seed::{
    DEMO_IDENTITY_SECRET, DEMO_PROJECT_ID, DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, DEV_ADMIN_TOKEN,
    DEV_SECRETS_KEY,
};

/// An HTTP client that hands back every status (callers read error bodies), with an overall
/// time limit per request when `timeout` is set.
pub fn http_agent(timeout: Option<std::time::Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(timeout)
        .build()
        .into()
}

/// Bytes after brotli at its best (quality 11, a 4 MB window), as a CDN would serve them.
pub fn brotli_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out.len())
}
