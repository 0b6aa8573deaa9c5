//! The client API, over `fetch`. Shapes come from `cairn_wire`.

use cairn_wire::{ClientEvent, TrackResponse, headers};

use crate::convert::{FromJs, error_message, from_json, to_json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// Attempts of a tracked event, and the first delay between them (doubling each time).
const RETRY_ATTEMPTS: u32 = 4;
const RETRY_FIRST_DELAY_MS: i32 = 400;

/// Where and as whom the widget talks to Cairn.
#[derive(Debug, Clone)]
pub struct Client {
    /// API origin, e.g. `https://cairn.example.com`.
    pub api: String,
    /// Publishable key.
    pub key: String,
    /// The user token (HS256 JWT from the product's backend).
    pub token: String,
}

pub use crate::logic::Me;
use crate::logic::{PublicShare, digits};

/// A failed call: its message, and whether trying again may succeed.
struct CallError {
    message: String,
    transient: bool,
}

impl Client {
    /// `POST /v1/client/events`, retried with backoff on network errors, 429 and 5xx. The
    /// event's idempotency key makes a retry of a request that did arrive count once.
    pub async fn track(&self, event: &ClientEvent) -> Result<TrackResponse, String> {
        let body = to_json(event);
        let mut delay_ms = RETRY_FIRST_DELAY_MS;
        for attempt in 1.. {
            match self
                .call("POST", "/v1/client/events", Some(&body))
                .await
                .and_then(answer)
            {
                Err(e) if e.transient && attempt < RETRY_ATTEMPTS => {
                    sleep(delay_ms).await;
                    delay_ms *= 2;
                }
                other => return other.map_err(|e| e.message),
            }
        }
        unreachable!("the loop returns")
    }

    /// `GET /v1/client/me`: awards (with `seen` flags), ladders and locked milestones, the
    /// user's and their account's.
    pub async fn me(&self) -> Result<Me, String> {
        self.call("GET", "/v1/client/me", None)
            .await
            .and_then(answer)
            .map_err(|e| e.message)
    }

    /// `POST /v1/client/awards/{id}/seen`: this user saw the celebration (on any device).
    pub async fn seen(&self, award_id: &str) -> Result<(), String> {
        let path = ["/v1/client/awards/", &encode(award_id), "/seen"].concat();
        self.call("POST", &path, Some("{}"))
            .await
            .map(drop)
            .map_err(|e| e.message)
    }

    /// `POST /v1/client/awards/{id}/cta`: the award's call to action was shown (or followed:
    /// sent with `keepalive`, so the link it follows does not cancel it).
    pub async fn cta(&self, award_id: &str, click: bool) -> Result<(), String> {
        let path = ["/v1/client/awards/", &encode(award_id), "/cta"].concat();
        let body = if click {
            r#"{"action":"click"}"#
        } else {
            r#"{"action":"view"}"#
        };
        self.call("POST", &path, Some(body))
            .await
            .map(drop)
            .map_err(|e| e.message)
    }

    /// `POST /v1/client/shares`: makes `award_id` a public page (the user's explicit consent).
    pub async fn share(
        &self,
        award_id: &str,
        message: &str,
        name: &str,
    ) -> Result<PublicShare, String> {
        let body = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&body, &k.into(), &v);
        let _ = set("award_id", award_id.into());
        let _ = set("message", message.into());
        let name = name.trim();
        if !name.is_empty() {
            let _ = set("display_name", name.into());
        }
        let body = js_sys::JSON::stringify(&body)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        self.call("POST", "/v1/client/shares", Some(&body))
            .await
            .and_then(answer)
            .map_err(|e| e.message)
    }

    /// `GET /v1/client/shares`: the user's public badges.
    pub async fn shares(&self) -> Result<Vec<PublicShare>, String> {
        struct List(Vec<PublicShare>);
        impl crate::convert::FromJs for List {
            fn read(value: &JsValue) -> Result<Self, String> {
                let shares = js_sys::Reflect::get(value, &"shares".into())
                    .map_err(|_| "SharesList.shares is missing".to_owned())?;
                Vec::<PublicShare>::read(&shares).map(List)
            }
        }
        self.call("GET", "/v1/client/shares", None)
            .await
            .and_then(answer::<List>)
            .map(|l| l.0)
            .map_err(|e| e.message)
    }

    /// `DELETE /v1/client/shares/{id}`: the badge is private again.
    pub async fn revoke(&self, share_id: &str) -> Result<(), String> {
        let path = ["/v1/client/shares/", &encode(share_id)].concat();
        self.call("DELETE", &path, None)
            .await
            .map(drop)
            .map_err(|e| e.message)
    }

    /// `POST /v1/client/attribution`: this user arrived through share `reference`. `Err(true)`
    /// when trying again later may work (the reference is then kept).
    pub async fn attribute(&self, reference: &str) -> Result<(), bool> {
        let body = ["{\"ref\":", &to_json_string(reference), "}"].concat();
        self.call("POST", "/v1/client/attribution", Some(&body))
            .await
            .map(drop)
            .map_err(|e| e.transient)
    }

    /// One request; a successful answer's path and text, read by [`answer`]. (Not generic over
    /// the answer's type, so the request's code exists once.)
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(String, String), CallError> {
        let headers = Headers::new().map_err(fatal)?;
        headers.set(headers::KEY, &self.key).map_err(fatal)?;
        headers
            .set("authorization", &["Bearer ", &self.token].concat())
            .map_err(fatal)?;
        let init = RequestInit::new();
        init.set_method(method);
        // Outlives a navigation (the call to action's link), as a beacon would.
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
        if let Some(body) = body {
            headers
                .set("content-type", "application/json")
                .map_err(fatal)?;
            init.set_body(&JsValue::from_str(body));
        }
        init.set_headers(&headers);
        let url = [&self.api, path].concat();
        let window = web_sys::window().ok_or_else(|| fatal("no window".into()))?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(transient)?
            .unchecked_into();
        let text = JsFuture::from(response.text().map_err(fatal)?)
            .await
            .map_err(transient)?;
        let text = text.as_string().unwrap_or_default();
        if response.ok() {
            return Ok((path.to_owned(), text));
        }
        let status = response.status();
        let message = error_message(&text)
            .unwrap_or_else(|| [path, " answered ", &digits(u64::from(status))].concat());
        Err(CallError {
            message,
            transient: status == 429 || status >= 500,
        })
    }
}

/// `text` as a URI component.
fn encode(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

/// The answer to `path` as `T`.
fn answer<T: FromJs>((path, text): (String, String)) -> Result<T, CallError> {
    from_json(&text).map_err(|e| CallError {
        message: ["unexpected answer from ", &path, ": ", &e].concat(),
        transient: false,
    })
}

/// `text` as a JSON string literal.
fn to_json_string(text: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(text))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "\"\"".into())
}

fn fatal(e: JsValue) -> CallError {
    CallError {
        message: js_error(&e),
        transient: false,
    }
}

fn transient(e: JsValue) -> CallError {
    CallError {
        message: js_error(&e),
        transient: true,
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}
