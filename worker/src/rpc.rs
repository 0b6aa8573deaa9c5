//! Calls into Durable Objects by RPC, with typed answers and typed errors.
//!
//! Each Durable Object class here exposes one RPC method, `command`, taking a JSON command and
//! answering JSON (the runtime offers RPC because `worker/entry.mjs` derives the classes from
//! `DurableObject`). An RPC call, unlike a `fetch`, builds no HTTP request or response on
//! either side.
//!
//! The answer is `{"ok": …}` or `{"err": ApiError}`: an error found inside an object (an
//! unknown metric, a future timestamp) reaches the worker as the same typed [`ApiError`], with
//! its code and status. Only a failure of the call itself (the object was reset, overloaded or
//! could not be reached) arrives as a thrown `Error`, answered as `503` with `Retry-After`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::Env;

use crate::error::{ApiError, ApiResult};

#[wasm_bindgen]
extern "C" {
    /// A stub of one of our Durable Objects, seen through its RPC interface.
    type ObjectStub;

    #[wasm_bindgen(method, catch, js_name = command)]
    fn command(this: &ObjectStub, command: &str) -> Result<js_sys::Promise, JsValue>;
}

/// What `command` answers.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer<T> {
    Ok(T),
    Err(ApiError),
}

/// Sends `command` to the object named `name` of namespace `binding`; returns its answer.
pub async fn call<T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &impl Serialize,
) -> ApiResult<T> {
    let stub: ObjectStub = env
        .durable_object(binding)?
        .id_from_name(name)?
        .get_stub()?
        .into_rpc();
    let failed = |e: JsValue| {
        let message = e
            .dyn_ref::<js_sys::Error>()
            .map_or_else(|| format!("{e:?}"), |e| String::from(e.message()));
        ApiError::unavailable(format!("{binding} {name}: {message}"))
    };
    let promise = stub
        .command(&serde_json::to_string(command)?)
        .map_err(failed)?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(failed)?;
    let text = answer
        .as_string()
        .ok_or_else(|| ApiError::internal(format!("{binding} {name} answered no text")))?;
    match serde_json::from_str(&text)? {
        Answer::Ok(value) => Ok(value),
        Answer::Err(e) => Err(e),
    }
}

/// The object side: `{"ok": value}` or `{"err": error}`, never a throw.
pub fn answer(result: ApiResult<String>) -> JsValue {
    let text = match result {
        Ok(value) => format!("{{\"ok\":{value}}}"),
        Err(e) => serde_json::to_string(&serde_json::json!({ "err": e })).unwrap_or_else(|_| {
            r#"{"err":{"code":"internal","message":"internal error; please retry"}}"#.into()
        }),
    };
    JsValue::from_str(&text)
}

/// A value as JSON text (what `command` answers inside `ok`).
pub fn json<T: Serialize>(value: &T) -> ApiResult<String> {
    Ok(serde_json::to_string(value)?)
}
