//! The route table: one free function per route, all answering through [`ApiError`].

use cairn_core::definitions::is_valid_key;
use cairn_core::wire::{ClientEvent, headers};
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::error::{ApiError, ApiResult};
use crate::project::Project;
use crate::subject::{self, Command};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Longest user id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Answers one request to the worker (static assets never reach it).
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let origin = req.headers().get("origin")?;
    if req.method() == Method::Options {
        return cors(Response::empty()?.with_status(204), origin.as_deref(), true);
    }
    let result = match (req.method(), req.path().as_str()) {
        (Method::Get, "/v1/health") => health(),
        (Method::Post, "/v1/client/events") => client_events(req, &env).await,
        (Method::Get, "/v1/client/me") => client_me(&req, &env).await,
        _ => Err(ApiError::NotFound),
    };
    let response = result.or_else(ApiError::into_response)?;
    cors(response, origin.as_deref(), false)
}

/// `GET /v1/health`: does nothing; the ceiling that benchmarks compare routes with.
fn health() -> ApiResult<Response> {
    Ok(Response::ok("ok")?)
}

/// `POST /v1/client/events`: tracks one event for the calling user.
async fn client_events(mut req: Request, env: &Env) -> ApiResult<Response> {
    let caller = ClientCaller::from_request(&req)?;
    let body = read_body(&mut req).await?;
    let event: ClientEvent = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("invalid_body", format!("invalid JSON body: {e}"), None))?;
    if !is_valid_key(&event.event) {
        return Err(ApiError::bad(
            "invalid_metric",
            "event must match [a-z0-9_.:-]{1,64}",
            Some("event"),
        ));
    }
    match caller.project.definitions.metric(&event.event) {
        None => {
            return Err(ApiError::Unprocessable {
                code: "unknown_metric",
                message: format!("unknown metric \"{}\"", event.event),
                path: Some("event".into()),
            });
        }
        Some(metric) if !metric.client => {
            return Err(ApiError::Forbidden(format!(
                "metric \"{}\" may only be tracked with the secret key",
                event.event
            )));
        }
        Some(_) => {}
    }
    if event
        .idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > MAX_ID_BYTES)
    {
        return Err(ApiError::bad(
            "invalid_idempotency_key",
            format!("idempotency_key must be 1 to {MAX_ID_BYTES} bytes"),
            Some("idempotency_key"),
        ));
    }
    caller
        .send(
            env,
            Command::Track {
                project: caller.project.id.into(),
                user_id: caller.user_id.clone(),
                locale: caller.locale.clone(),
                event,
            },
        )
        .await
}

/// `GET /v1/client/me`: the calling user's totals, awards and progress.
async fn client_me(req: &Request, env: &Env) -> ApiResult<Response> {
    let caller = ClientCaller::from_request(req)?;
    caller
        .send(
            env,
            Command::Me {
                project: caller.project.id.into(),
                user_id: caller.user_id.clone(),
                locale: caller.locale.clone(),
            },
        )
        .await
}

/// Who is calling the client API.
struct ClientCaller {
    project: Project,
    user_id: String,
    /// The first language of `Accept-Language`, for localized titles.
    locale: String,
}

impl ClientCaller {
    fn from_request(req: &Request) -> ApiResult<Self> {
        let key = req.headers().get(headers::KEY)?.unwrap_or_default();
        let project = Project::by_publishable_key(&key).ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "missing or unknown publishable key in {}",
                headers::KEY
            ))
        })?;
        let user_id = req.headers().get(headers::USER)?.unwrap_or_default();
        if user_id.is_empty() || user_id.len() > MAX_ID_BYTES {
            return Err(ApiError::Unauthorized(format!(
                "{} must hold a user id of 1 to {MAX_ID_BYTES} bytes",
                headers::USER
            )));
        }
        let locale = req
            .headers()
            .get("accept-language")?
            .and_then(|v| v.split([',', ';']).next().map(|l| l.trim().to_owned()))
            .filter(|l| cairn_core::definitions::is_valid_locale(l))
            .unwrap_or_else(|| cairn_core::definitions::DEFAULT_LOCALE.to_owned());
        Ok(Self {
            project,
            user_id,
            locale,
        })
    }

    async fn send(&self, env: &Env, command: Command) -> ApiResult<Response> {
        subject::send(env, &self.project.user_object(&self.user_id), &command).await
    }
}

async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    Ok(body)
}

/// Adds CORS headers. The client API is called from the product's own pages; which origins a
/// project allows is enforced per project once projects are stored (identity issue).
/// Responses relayed from a Durable Object have immutable headers, so a copy is set.
fn cors(response: Response, origin: Option<&str>, preflight: bool) -> Result<Response> {
    let Some(origin) = origin else {
        return Ok(response);
    };
    let headers: Headers = response.headers().clone();
    headers.set("access-control-allow-origin", origin)?;
    headers.append("vary", "origin")?;
    if preflight {
        headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
        headers.set(
            "access-control-allow-headers",
            &format!(
                "content-type, authorization, {}, {}",
                headers::KEY,
                headers::USER
            ),
        )?;
        headers.set("access-control-max-age", "86400")?;
    }
    Ok(response.with_headers(headers))
}
