//! Widget tests: the logic structs natively, the components in headless Chromium
//! (`cargo test -p cairn-widget --target wasm32-unknown-unknown`, run by `cargo xtask test`).

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod html;
#[cfg(not(target_arch = "wasm32"))]
mod logic;
