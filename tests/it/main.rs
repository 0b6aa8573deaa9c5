//! End-to-end tests: one binary, one module per feature.

mod analytics;
mod api;
mod cli;
mod components;
mod confetti;
mod console;
mod edge;
mod fuzz;
mod import;
mod ledger;
mod openapi;
mod realtime;
mod recap;
mod segment;
mod server;
mod shares;
mod skeleton;
mod slack;
mod soak;
mod stalls;
mod stream;
mod tuning;
mod types;
mod users;
mod wasm_names;
mod webhooks;
