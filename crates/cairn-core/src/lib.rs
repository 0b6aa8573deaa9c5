//! `cairn-core` is Cairn's milestone engine and the wire types every other part speaks.
//!
//! It is deliberately *sans-IO*, in the manner of `quinn-proto`: it reads no clock, opens no
//! socket, draws no random number and never touches storage. The host (the Durable Object in the
//! worker, or a test) passes the current instant and the incoming event in, and gets the new state
//! and the awards out:
//!
//! ```text
//! (subject state, event | tick, now, definitions) -> (new state, outcome)
//! ```
//!
//! Because of that shape, the exactly-once guarantee is a property of this crate alone (tested
//! natively with property tests) and the hosts only have to be single writers of a subject's
//! state.
//!
//! - [`candidates`]: case-study candidates, ranked.
//! - [`definitions`]: the `cairn.toml` / JSON model, validation, compiled rules.
//! - [`engine`]: applying events and clock ticks to a subject's state.
//! - [`impact`]: celebrated against holdout retention, with its interval and power.
//! - [`progress`]: ladders, locked milestones with plain-words criteria, streaks.
//! - [`messages`]: localized templates with named placeholders.
//! - [`phrases`]: Cairn's own words (criteria, default CTAs and alt texts) in en, fr and ar.
//! - [`wire`]: every JSON shape that crosses HTTP.
//!
//! This crate never depends on `worker`, `leptos` or `web-sys`.

pub mod candidates;
pub mod definitions;
pub mod engine;
pub mod impact;
pub mod ladder;
pub mod messages;
pub mod phrases;
pub mod progress;
pub mod suggestions;
pub mod wire;

pub use definitions::{Compiled, Definitions, Problem};
pub use engine::{Event, Outcome, Subject, SubjectState};
