//! The one way the pipeline calls a service: a POST with a 15 s limit, no redirects followed,
//! answering the status (with `Retry-After`) and the body text, or why there was no answer.

use wasm_bindgen::JsValue;

use super::schedule::{self, Answer};

/// POSTs `body` (JSON) to `url` with `bearer` as `Authorization` and `headers`.
pub async fn post_json(
    url: &str,
    body: &serde_json::Value,
    bearer: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<(Answer, String), String> {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut all: Vec<(&str, &str)> = vec![("content-type", "application/json")];
    if let Some(auth) = &auth {
        all.push(("authorization", auth));
    }
    all.extend_from_slice(headers);
    post(url, &body.to_string(), &all).await
}

/// POSTs `body` to `url` with `headers`.
pub async fn post(
    url: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<(Answer, String), String> {
    let h = worker::Headers::new();
    h.set(
        "user-agent",
        "Cairn/1 (+https://github.com/cairn-dev/cairn)",
    )
    .map_err(|e| e.to_string())?;
    for (name, value) in headers {
        h.set(name, value).map_err(|e| e.to_string())?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_headers(h)
        .with_body(Some(JsValue::from_str(body)))
        .with_redirect(worker::RequestRedirect::Manual);
    let request = worker::Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = worker::Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(worker::Delay::from(std::time::Duration::from_millis(
        schedule::TIMEOUT_MS as u64,
    )));
    match futures_util::future::select(sent, timeout).await {
        futures_util::future::Either::Left((Ok(mut response), _)) => {
            let status = response.status_code();
            let now_ms = crate::subject::now().as_millisecond();
            let retry_after_ms = response
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|h| schedule::retry_after_ms(&h, now_ms));
            let text = response.text().await.unwrap_or_default();
            Ok((
                Answer::Status {
                    status,
                    retry_after_ms,
                },
                text,
            ))
        }
        futures_util::future::Either::Left((Err(e), _)) => Err(format!("no answer: {e}")),
        futures_util::future::Either::Right(((), _)) => {
            controller.abort();
            Err(format!(
                "no answer within {} s",
                schedule::TIMEOUT_MS / 1000
            ))
        }
    }
}

/// What a service's answer means for a job: the answer, the error to log (`{label}: {body}` for
/// a non-2xx), and whether it is permanent (400, 401, 403, 404 do not get better with time).
pub fn classify(
    sent: Result<(Answer, String), String>,
    label: &str,
) -> (Answer, Option<String>, Option<String>) {
    let (answer, error) = match sent {
        Ok((
            Answer::Status {
                status,
                retry_after_ms,
            },
            text,
        )) if !(200..300).contains(&status) => (
            Answer::Status {
                status,
                retry_after_ms,
            },
            Some(format!("{label}: {text:.300}")),
        ),
        Ok((a, _)) => (a, None),
        Err(e) => (Answer::NoAnswer, Some(e)),
    };
    let permanent = match &answer {
        Answer::Status {
            status: 400 | 401 | 403 | 404,
            ..
        } => error.clone(),
        _ => None,
    };
    (answer, error, permanent)
}
