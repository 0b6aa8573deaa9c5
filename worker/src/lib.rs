//! `cairn-worker` is the only part of Cairn that knows about HTTP and Cloudflare.
//!
//! It authenticates a request, validates its body, and forwards it to the Durable Object that is
//! the single writer of the subject it concerns (see [`subject`]). The Durable Object loads the
//! subject's state from its SQLite storage, lets `cairn-core` decide what the event means, and
//! stores the result in the same synchronous step, so concurrent and retried requests can never
//! double-count or double-award. Static files (the widget and the demo site) are served by
//! Workers static assets before this code runs.

// Request data is parsed, never sliced or indexed: no input can make the worker panic.
#![deny(clippy::indexing_slicing, clippy::string_slice)]
#![cfg_attr(test, allow(clippy::indexing_slicing))]

mod accounts;
mod auth;
mod case_studies;
mod console;
mod crypto;
mod error;
mod impact;
mod integrations;
mod issuer;
mod ladder;
mod ledger;
mod notify;
mod objects;
mod people;
mod probe;
mod project;
mod router;
mod routes;
mod rpc;
mod shares;
mod subject;
mod writer;

use worker::{Context, Env, MessageBatch, Request, Response, Result, event};

pub use probe::Probe;
pub use subject::Subject;
pub use writer::LedgerWriter;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, ctx).await
}

/// The notification queue's consumer (see [`notify`]).
#[event(queue)]
async fn queue(batch: MessageBatch<notify::JobMessage>, env: Env, _ctx: Context) -> Result<()> {
    notify::consume(batch, env).await
}
