//! The console's calls to the API: same origin, the session cookie sent by the browser.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, Response};

/// Why a call failed, in the API's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status (0: no answer).
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn failure(e: JsValue) -> Failure {
    Failure {
        status: 0,
        message: format!(
            "the request failed: {}",
            e.as_string().unwrap_or_else(|| format!("{e:?}"))
        ),
    }
}

async fn send(method: &str, path: &str, body: Option<&str>) -> Result<Response, Failure> {
    send_typed(method, path, body.map(|b| ("application/json", b))).await
}

async fn send_typed(
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
) -> Result<Response, Failure> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some((content_type, body)) = body {
        init.set_body(&JsValue::from_str(body));
        let headers = web_sys::Headers::new().map_err(failure)?;
        headers.set("content-type", content_type).map_err(failure)?;
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or_else(|| failure(JsValue::from_str("no window")))?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(failure)?
        .dyn_into()
        .map_err(failure)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("the server answered {status}"));
    Err(Failure { status, message })
}

/// `method path` with an optional JSON body; the answer's JSON.
pub async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<T, Failure> {
    let response = send(method, path, body).await?;
    json_of(&response).await
}

/// The answer's body as JSON of type `T`.
async fn json_of<T: DeserializeOwned>(response: &Response) -> Result<T, Failure> {
    let text = JsFuture::from(response.text().map_err(failure)?)
        .await
        .map_err(failure)?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| Failure {
        status: response.status(),
        message: format!("unexpected answer: {e}"),
    })
}

/// `method path` with a body of `content_type` (e.g. TOML); the answer's JSON.
pub async fn call_with<T: DeserializeOwned>(
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> Result<T, Failure> {
    let response = send_typed(method, path, Some((content_type, body))).await?;
    json_of(&response).await
}

/// `method path`, ignoring the answer's body.
pub async fn call_empty(method: &str, path: &str) -> Result<(), Failure> {
    send(method, path, None).await.map(|_| ())
}

/// `GET path` as text (the CSV export).
pub async fn text(path: &str) -> Result<String, Failure> {
    let response = send("GET", path, None).await?;
    Ok(JsFuture::from(response.text().map_err(failure)?)
        .await
        .map_err(failure)?
        .as_string()
        .unwrap_or_default())
}
