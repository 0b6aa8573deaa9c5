//! `cairn-share-card`: the widget's share card as a module of its own (ARCHITECTURE.md, "The
//! widget's bytes are a budget"). The widget loads it through `share-card.js` beside the
//! loader the first time a user shows they may share (`web/src/card.rs`), so a page whose
//! users never share never carries it.
//!
//! [`card`] builds the dialog with the widget's own component (`cairn_widget::view::share_card`)
//! under a reactive runtime of this module's own, in the floating layer's root, and returns the
//! function the widget tells what to show: `{award, public, busy, failed, lang}` (the award being
//! shared or `null`, its public share or `null`, whether a publish is under way, whether the last
//! one failed, the language), or `"stop"`. What the user asks goes back through `publish`
//! (`"make"` with the award's id, the message and the name; `"revoke"` with the share's id) and
//! `close`. The state of the card itself (the message being written, "Copied") lives here: only
//! a new award resets it.

#[cfg(target_arch = "wasm32")]
mod card;

#[cfg(target_arch = "wasm32")]
pub use card::card;
