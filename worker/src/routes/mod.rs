//! Answers requests: the [`router`](crate::router) parses the path into a [`Route`], and one
//! module per feature handles it — `events` (ingest), `users` (the user's view, stream,
//! acknowledgements, erasure), `milestones` (the ledger, celebrations, custom awards),
//! `projects` (projects, keys, definitions, demo tokens), `console` (the console's members,
//! sessions, feed and analytics). Every handler answers through
//! [`ApiError`], so every failure has the one JSON error shape.
//!
//! CORS: a preflight is answered for origins some project allows; a real browser call gets
//! `Access-Control-Allow-Origin` only when its project allows its origin.

mod accounts;
mod console;
mod events;
mod integrations;
mod milestones;
mod projects;
mod segment;
mod shares;
mod slack;
mod users;
mod webhooks;

use std::cell::Cell;

use cairn_core::wire::headers;
use worker::{Env, Headers, Method, Request, Response, Result};

use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project;
use crate::router::{self, Route};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Most Durable Object calls one request keeps in flight at once.
pub const MAX_IN_FLIGHT: usize = 32;

/// What every handler may need to know about the request besides its body.
pub struct Ctx<'a> {
    pub env: &'a Env,
    /// The invocation, for work after the answer (`waitUntil`).
    pub context: &'a worker::Context,
    /// The page's origin (`Origin` header), for browser calls.
    pub origin: Option<String>,
    /// The API's own origin (the demo site shares it).
    pub own: String,
    /// The caller's address (`CF-Connecting-IP`), for the per-address limit.
    pub ip: String,
    /// Whether the authenticated project allows `origin` (set by [`auth::client`]).
    pub cors: Cell<Option<bool>>,
}

/// Answers one request to the worker (static assets never reach it).
pub async fn handle(req: Request, env: Env, context: worker::Context) -> Result<Response> {
    let ctx = Ctx {
        env: &env,
        context: &context,
        origin: req.headers().get("origin")?,
        own: req
            .url()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default(),
        ip: req
            .headers()
            .get("cf-connecting-ip")?
            .unwrap_or_else(|| "unknown".into()),
        cors: Cell::new(None),
    };
    if req.method() == Method::Options {
        return preflight(&ctx).await.or_else(ApiError::into_response);
    }
    let route = match router::route(req.method().as_ref(), &req.path()) {
        Ok(route) => route,
        Err(miss) => {
            let response = miss.error().into_response()?;
            return match miss.allow() {
                Some(allow) => with_header(response, "allow", &allow),
                None => Ok(response),
            };
        }
    };
    let client = route.is_client();
    if route == Route::ClientStream {
        // WebSockets are not subject to CORS: answered as is.
        return users::client_stream(&req, &ctx)
            .await
            .or_else(ApiError::into_response);
    }
    let response = dispatch(route, req, &ctx)
        .await
        .or_else(ApiError::into_response)?;
    if client {
        cors(response, &ctx).await
    } else {
        Ok(response)
    }
}

async fn dispatch(route: Route, req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    match route {
        Route::Health => Ok(Response::ok("ok")?),
        Route::OpenApi => openapi(),
        Route::AdminIsolate => {
            auth::admin(&req, ctx.env)?;
            Ok(Response::from_json(&project::isolate_stats())?)
        }
        Route::AdminFanout => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Query {
                objects: u32,
            }
            auth::admin(&req, ctx.env)?;
            let q: Query = query(&req)?;
            let called = crate::probe::fan_out(ctx.env, q.objects).await?;
            Ok(Response::from_json(
                &serde_json::json!({ "objects": called }),
            )?)
        }
        Route::CreateProject => projects::create(req, ctx).await,
        Route::RotateKey => projects::rotate_key(req, ctx).await,
        Route::PutDefinitions => projects::put_definitions(req, ctx).await,
        Route::GetDefinitions => projects::get_definitions(&req, ctx).await,
        Route::DefinitionsVersions => projects::definitions_versions(&req, ctx).await,
        Route::RollbackDefinitions => projects::rollback_definitions(req, ctx).await,
        Route::DemoToken => projects::demo_token(&req, ctx).await,
        Route::InviteMember => console::invite(req, ctx).await,
        Route::Members => console::members(&req, ctx).await,
        Route::SignIn => console::sign_in(req, ctx).await,
        Route::Session => console::current(&req, ctx).await,
        Route::SignOut => console::sign_out(&req, ctx).await,
        Route::Feed => console::feed(&req, ctx).await,
        Route::CaseStudies => console::case_studies(&req, ctx).await,
        Route::CaseStudy { account_id } => console::case_study(req, ctx, &account_id).await,
        Route::Impact => console::impact(&req, ctx).await,
        Route::Progress => console::progress(&req, ctx).await,
        Route::Ladder => console::ladder(&req, ctx).await,
        Route::ClientShare => shares::client_create(req, ctx).await,
        Route::ClientShares => shares::client_list(&req, ctx).await,
        Route::ClientRevokeShare { id } => shares::client_revoke(&req, ctx, &id).await,
        Route::ClientAttribution => shares::client_attribution(req, ctx).await,
        Route::Attribution => shares::server_attribution(req, ctx).await,
        Route::ShareStats => shares::stats(&req, ctx).await,
        Route::PutBrand => shares::put_brand(req, ctx).await,
        Route::GetBrand => shares::get_brand(&req, ctx).await,
        Route::RotateIssuerKey => shares::rotate(&req, ctx).await,
        Route::SharePage { id } => shares::page(&req, ctx, &id).await,
        Route::ShareImage { id } => shares::image(ctx, &id).await,
        Route::ShareCredential { id } => shares::credential(ctx, &id).await,
        Route::IssuerProfile { project } => shares::profile(ctx, &project).await,
        Route::IssuerKeys { project } => shares::jwks(ctx, &project).await,
        Route::IssuerKey { project, kid } => shares::key(ctx, &project, &kid).await,
        Route::IssuerStatus { project } => shares::status_list(ctx, &project).await,
        Route::Events => events::server_events(req, ctx, false).await,
        Route::Import => events::server_events(req, ctx, true).await,
        Route::ClientEvents => events::client_events(req, ctx).await,
        Route::ClientMe => users::client_me(&req, ctx).await,
        Route::ClientStream => users::client_stream(&req, ctx).await,
        Route::ClientSeen { award_id } => users::client_seen(&req, ctx, &award_id).await,
        Route::ClientCta { award_id } => users::client_cta(req, ctx, &award_id).await,
        Route::GetUser { user_id } => users::get_user(&req, ctx, &user_id).await,
        Route::EraseUser { user_id } => users::erase_user(&req, ctx, &user_id).await,
        Route::Milestones => milestones::list(&req, ctx).await,
        Route::Celebrated { award_id } => milestones::celebrated(req, ctx, &award_id).await,
        Route::AwardCustom { milestone } => milestones::award_custom(req, ctx, &milestone).await,
        Route::PutAccount { account_id } => accounts::put(req, ctx, &account_id).await,
        Route::GetAccount { account_id } => accounts::get(&req, ctx, &account_id).await,
        Route::PutIntegrations => integrations::put(req, ctx).await,
        Route::GetIntegrations => integrations::get(&req, ctx).await,
        Route::SlackInteractions => slack::interactions(req, ctx).await,
        Route::Segment => segment::intake(req, ctx).await,
        Route::AllDeliveries => webhooks::all_deliveries(&req, ctx).await,
        Route::Suggestions { award_id } => milestones::suggestions(&req, ctx, &award_id).await,
        Route::CreateWebhook => webhooks::create(req, ctx).await,
        Route::ListWebhooks => webhooks::list(&req, ctx).await,
        Route::GetWebhook { id } => webhooks::get(&req, ctx, &id).await,
        Route::PatchWebhook { id } => webhooks::patch(req, ctx, &id).await,
        Route::DeleteWebhook { id } => webhooks::delete(&req, ctx, &id).await,
        Route::RotateWebhook { id } => webhooks::rotate(req, ctx, &id).await,
        Route::Deliveries { id } => webhooks::deliveries(&req, ctx, &id).await,
        Route::RetryDelivery { id, delivery } => webhooks::retry(&req, ctx, &id, &delivery).await,
    }
}

/// `GET /openapi.json`: the OpenAPI 3.1 description of this API.
fn openapi() -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(include_str!("../openapi.json"))?.with_headers(headers))
}

/// A preflight cannot carry `X-Cairn-Key`: it is answered for origins some project allows
/// (from the isolate's copy of every project's origins); the real request is then checked
/// against its own project's list.
async fn preflight(ctx: &Ctx<'_>) -> ApiResult<Response> {
    let response = Response::empty()?.with_status(204);
    let Some(origin) = ctx.origin.as_deref() else {
        return Ok(response);
    };
    if origin != ctx.own && !project::allowed_anywhere(ctx.env, origin).await? {
        return Ok(response);
    }
    let headers = Headers::new();
    headers.set("access-control-allow-origin", origin)?;
    headers.set("access-control-allow-methods", "GET, POST, DELETE, OPTIONS")?;
    headers.set(
        "access-control-allow-headers",
        &format!("content-type, authorization, {}", headers::KEY),
    )?;
    headers.set("access-control-max-age", "86400")?;
    headers.set("vary", "origin")?;
    Ok(response.with_headers(headers))
}

/// Adds the CORS answer header to a browser call's response when its origin may read it: the
/// project's verdict when the call got that far, else (an unknown key, say) whether any
/// project allows the origin, so a page of a real customer can read why it failed. Responses
/// relayed from a Durable Object have immutable headers, so a copy is set.
async fn cors(response: Response, ctx: &Ctx<'_>) -> Result<Response> {
    let Some(origin) = ctx.origin.as_deref() else {
        return Ok(response);
    };
    let allowed = match ctx.cors.get() {
        Some(verdict) => verdict,
        None => {
            origin == ctx.own
                || project::allowed_anywhere(ctx.env, origin)
                    .await
                    .unwrap_or(false)
        }
    };
    if !allowed {
        return with_header(response, "vary", "origin");
    }
    let headers: Headers = response.headers().clone();
    headers.set("access-control-allow-origin", origin)?;
    headers.append("vary", "origin")?;
    Ok(response.with_headers(headers))
}

fn with_header(response: Response, name: &str, value: &str) -> Result<Response> {
    let headers: Headers = response.headers().clone();
    headers.append(name, value)?;
    Ok(response.with_headers(headers))
}

/// The body, at most [`MAX_BODY_BYTES`].
pub(crate) async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    Ok(body)
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            ErrorCode::InvalidBody,
            format!("invalid JSON body: {e}"),
            None,
        )
    })
}

/// The body as JSON of type `T`.
async fn json_body<T: serde::de::DeserializeOwned>(req: &mut Request) -> ApiResult<T> {
    parse_json(&read_body(req).await?)
}

/// The query string as `T`.
fn query<T: serde::de::DeserializeOwned>(req: &Request) -> ApiResult<T> {
    req.query()
        .map_err(|e| ApiError::bad(ErrorCode::InvalidQuery, e.to_string(), None))
}

/// `Accept-Language`'s first language, else English.
fn locale(req: &Request) -> ApiResult<String> {
    Ok(auth::accept_language(req)?
        .filter(|l| cairn_core::definitions::is_valid_locale(l))
        .unwrap_or_else(|| cairn_core::definitions::DEFAULT_LOCALE.to_owned()))
}

/// An id in a body or a query: 1 to 256 bytes.
fn check_id(id: &str, code: ErrorCode, field: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > cairn_core::wire::MAX_ID_BYTES {
        return Err(ApiError::bad(
            code,
            format!(
                "{field} must be 1 to {} bytes",
                cairn_core::wire::MAX_ID_BYTES
            ),
            Some(field),
        ));
    }
    Ok(())
}
