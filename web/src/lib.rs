//! `cairn-widget` is what end users see: Cairn's embeddable celebration layer.
//!
//! The embed loader (`web/loader/cairn.js`) imports this crate's wasm-bindgen module and calls
//! [`start`] with the publishable key, the API origin and the calls queued before it loaded.
//! The widget then owns `window.cairn(...)`, renders into its own Shadow DOM host so that host
//! CSS never leaks in and ours never leaks out, and celebrates each newly reached milestone once.
//!
//! Logic lives in plain structs ([`logic`]), tested natively; the components (built with
//! [`html`], bound to Leptos signals) and the DOM glue stay thin. `html` and `convert` are public
//! for the browser tests; `view` and `dom` too, for the share card's module (`web/share-card`),
//! which builds its dialog with this crate's components.

pub mod logic;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod card;
#[cfg(target_arch = "wasm32")]
mod confetti;
#[cfg(target_arch = "wasm32")]
pub mod convert;
#[cfg(target_arch = "wasm32")]
pub mod dom;
#[cfg(target_arch = "wasm32")]
mod embed;
#[cfg(target_arch = "wasm32")]
pub mod html;
#[cfg(target_arch = "wasm32")]
mod stream;
#[cfg(target_arch = "wasm32")]
pub mod view;

#[cfg(target_arch = "wasm32")]
pub use embed::{Widget, start};

/// The allocator of the widget's wasm (and of the share card's, which links this crate): Talc,
/// which grows the wasm memory as it needs to like the default dlmalloc, is faster than it and
/// ≈ 1.7 KB brotli smaller. (`std` would still link dlmalloc for the thread handle it allocates
/// on its own; nothing here asks for one, see `html::keep`.)
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
