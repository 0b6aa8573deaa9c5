//! End-to-end tests: one binary, one module per feature.

mod api;
mod ledger;
mod server;
mod skeleton;
mod stream;
mod users;
