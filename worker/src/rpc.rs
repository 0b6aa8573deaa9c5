//! Calls into Durable Objects by RPC.
//!
//! Each Durable Object class here exposes one RPC method, `command`, taking a JSON command and
//! answering JSON (the runtime offers RPC because `worker/entry.mjs` derives the classes from
//! `DurableObject`). An RPC call, unlike a `fetch`, builds no HTTP request or response on
//! either side; a failure inside the object arrives as a thrown `Error`.

use serde::Serialize;
use serde::de::DeserializeOwned;
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
        ApiError::Internal(format!("{binding} {name} failed: {message}"))
    };
    let promise = stub
        .command(&serde_json::to_string(command)?)
        .map_err(failed)?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(failed)?;
    let text = answer
        .as_string()
        .ok_or_else(|| ApiError::Internal(format!("{binding} {name} answered no text")))?;
    Ok(serde_json::from_str(&text)?)
}

/// The object side: an answer (JSON) or a thrown `Error`.
pub fn answer(result: ApiResult<String>) -> Result<JsValue, JsValue> {
    result
        .map(|body| JsValue::from_str(&body))
        .map_err(|e| js_sys::Error::new(&format!("{e:?}")).into())
}

/// A value as JSON text (what `command` answers).
pub fn json<T: Serialize>(value: &T) -> ApiResult<String> {
    Ok(serde_json::to_string(value)?)
}
