//! The platform's own fan-out ceiling, for `cargo xtask bench load`.
//!
//! `POST /v1/admin/fanout` (admin token) calls `n` distinct `Probe` objects, each of which
//! writes one SQLite row and answers: the least any per-subject design can cost per subject,
//! with the same RPC path and the same number of calls in flight as a batch of events. Nothing
//! else uses it.

use futures_util::StreamExt;
use worker::{DurableObject, Env, Request, Response, Result, SqlStorage, State, durable_object};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::rpc::{self, json};

/// Binding name of the namespace in `wrangler.toml`.
pub const BINDING: &str = "PROBE";

/// Most objects one fan-out request calls.
pub const MAX_OBJECTS: u32 = 1000;

/// Calls objects `probe/0` … `probe/{n-1}`, [`crate::routes::MAX_IN_FLIGHT`] at a time;
/// answers how many answered.
pub async fn fan_out(env: &Env, n: u32) -> ApiResult<u32> {
    if n == 0 || n > MAX_OBJECTS {
        return Err(ApiError::bad(
            ErrorCode::InvalidQuery,
            format!("objects must be 1 to {MAX_OBJECTS}"),
            Some("objects"),
        ));
    }
    let calls = (0..n)
        .map(|i| async move { rpc::call::<bool>(env, BINDING, &format!("probe/{i}"), &i).await });
    let answers: Vec<ApiResult<bool>> = futures_util::stream::iter(calls)
        .buffered(crate::routes::MAX_IN_FLIGHT)
        .collect()
        .await;
    let mut done = 0;
    for answer in answers {
        answer?;
        done += 1;
    }
    Ok(done)
}

#[durable_object]
pub struct Probe {
    sql: SqlStorage,
}

impl DurableObject for Probe {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
            None,
        );
        Self { sql }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        ApiError::not_found("route").into_response()
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl Probe {
    /// Writes one row; answers `{"ok": true}`.
    pub async fn command(
        &self,
        command: String,
    ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        let result = self
            .sql
            .exec(
                "INSERT INTO hits (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1",
                None,
            )
            .map_err(ApiError::from)
            .and_then(|_| json(&!command.is_empty()));
        Ok(rpc::answer(result))
    }
}
