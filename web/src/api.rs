//! The client API, over `fetch`. Shapes come from `cairn_core::wire`.

use cairn_core::wire::{ClientEvent, ErrorBody, MeResponse, TrackResponse, headers};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// Where and as whom the widget talks to Cairn.
#[derive(Debug, Clone)]
pub struct Client {
    /// API origin, e.g. `https://cairn.example.com`.
    pub api: String,
    /// Publishable key.
    pub key: String,
    /// The identified user.
    pub user: String,
}

impl Client {
    /// `POST /v1/client/events`.
    pub async fn track(&self, event: &ClientEvent) -> Result<TrackResponse, String> {
        let body = serde_json::to_string(event).map_err(|e| e.to_string())?;
        self.call("POST", "/v1/client/events", Some(body)).await
    }

    /// `GET /v1/client/me`.
    #[allow(dead_code, reason = "used by the ladder and shelf components")]
    pub async fn me(&self) -> Result<MeResponse, String> {
        self.call("GET", "/v1/client/me", None).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<T, String> {
        let headers = Headers::new().map_err(js_error)?;
        headers.set(headers::KEY, &self.key).map_err(js_error)?;
        headers.set(headers::USER, &self.user).map_err(js_error)?;
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(body) = &body {
            headers
                .set("content-type", "application/json")
                .map_err(js_error)?;
            init.set_body(&JsValue::from_str(body));
        }
        init.set_headers(&headers);
        let url = format!("{}{path}", self.api);
        let window = web_sys::window().ok_or("no window")?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(js_error)?
            .unchecked_into();
        let text = JsFuture::from(response.text().map_err(js_error)?)
            .await
            .map_err(js_error)?;
        let text = text.as_string().unwrap_or_default();
        if response.ok() {
            serde_json::from_str(&text).map_err(|e| format!("unexpected answer from {path}: {e}"))
        } else {
            Err(serde_json::from_str::<ErrorBody>(&text)
                .map(|b| format!("{} ({})", b.error.message, b.error.code))
                .unwrap_or_else(|_| format!("{path} answered {}", response.status())))
        }
    }
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}
