//! End-to-end tests: one binary, one module per feature.

mod api;
mod components;
mod edge;
mod fuzz;
mod import;
mod ledger;
mod openapi;
mod realtime;
mod server;
mod skeleton;
mod slack;
mod soak;
mod stream;
mod users;
mod wasm_names;
mod webhooks;
