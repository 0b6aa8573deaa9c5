//! Webhook endpoints (Standard Webhooks), with the secret key: `POST/GET /v1/webhooks`,
//! `GET/PATCH/DELETE /v1/webhooks/{id}`, `POST /v1/webhooks/{id}/rotate`, and the delivery
//! log, `GET /v1/webhooks/{id}/deliveries` and `POST …/deliveries/{delivery}/retry`.

use cairn_core::wire::{NewWebhook, RotateWebhookSecret, WebhookList, WebhookPatch, WebhookSecret};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{Request, Response};

use super::{Ctx, json_body, query};
use crate::auth;
use crate::crypto;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::notify::{self, Settings, endpoints, sign};
use crate::project::DB;
use crate::subject::now;

/// Longest description.
const MAX_DESCRIPTION_BYTES: usize = 256;
/// Longest overlap of a rotation.
const MAX_OVERLAP_HOURS: u32 = 168;

fn check_description(d: Option<String>) -> ApiResult<Option<String>> {
    match d {
        Some(d) if d.len() > MAX_DESCRIPTION_BYTES => Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "description must be at most 256 bytes",
            Some("description"),
        )),
        d => Ok(d),
    }
}

/// A new signing secret, and its sealed form for `project`.
async fn new_secret(ctx: &Ctx<'_>, project: &str) -> ApiResult<(String, String)> {
    let secret = sign::secret_from(&crypto::random_bytes(24)?);
    let sealed = crypto::seal(ctx.env, project, &secret).await?;
    Ok((secret, sealed))
}

/// `POST /v1/webhooks`: a new endpoint; its secret is in this answer only.
pub async fn create(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: NewWebhook = json_body(&mut req).await?;
    let dev = Settings::of(ctx.env).dev_scale.is_some();
    let url = endpoints::check_url(&body.url, dev)?;
    let types = endpoints::check_event_types(body.event_types)?;
    let description = check_description(body.description)?.unwrap_or_default();
    if endpoints::list(ctx.env, &project.id).await?.len() >= endpoints::MAX_ENDPOINTS {
        return Err(ApiError::conflict(format!(
            "a project has at most {} webhook endpoints",
            endpoints::MAX_ENDPOINTS
        )));
    }
    let (secret, sealed) = new_secret(ctx, &project.id).await?;
    let id = format!("ep_{}", crate::project::random_token(20)?);
    let now = now();
    ctx.env
        .d1(DB)?
        .prepare(
            "INSERT INTO webhook_endpoints (id, project_id, url, event_types, description, secret, created_at, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&[
            id.as_str().into(),
            project.id.as_str().into(),
            url.as_str().into(),
            serde_json::to_string(&types)?.into(),
            description.as_str().into(),
            sealed.as_str().into(),
            now.to_string().into(),
            (now.as_millisecond() as f64).into(),
        ])?
        .run()
        .await?;
    let row = endpoints::get(ctx.env, &project.id, &id).await?;
    Ok(Response::from_json(&WebhookSecret {
        endpoint: row.view(now.as_millisecond()),
        secret,
    })?
    .with_status(201))
}

/// `GET /v1/webhooks`.
pub async fn list(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    let now_ms = now().as_millisecond();
    let endpoints = endpoints::list(ctx.env, &project.id)
        .await?
        .iter()
        .map(|r| r.view(now_ms))
        .collect();
    Ok(Response::from_json(&WebhookList { endpoints })?)
}

/// `GET /v1/webhooks/{id}`.
pub async fn get(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    let row = endpoints::get(ctx.env, &project.id, id).await?;
    Ok(Response::from_json(&row.view(now().as_millisecond()))?)
}

/// `PATCH /v1/webhooks/{id}`: URL, event types, description, enabled.
pub async fn patch(mut req: Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: WebhookPatch = json_body(&mut req).await?;
    let row = endpoints::get(ctx.env, &project.id, id).await?;
    let dev = Settings::of(ctx.env).dev_scale.is_some();
    let url = match &body.url {
        Some(u) => endpoints::check_url(u, dev)?,
        None => row.url.clone(),
    };
    let types = match body.event_types {
        Some(t) => serde_json::to_string(&endpoints::check_event_types(Some(t))?)?,
        None => row.event_types.clone(),
    };
    let description = check_description(body.description)?.unwrap_or(row.description.clone());
    // Enabling (again) forgets why it was disabled and its failures.
    let enabled = body.enabled.unwrap_or(row.enabled != 0.0);
    let reenabled = enabled && row.enabled == 0.0;
    ctx.env
        .d1(DB)?
        .prepare(
            "UPDATE webhook_endpoints SET url = ?3, event_types = ?4, description = ?5, enabled = ?6, \
             disabled_reason = CASE WHEN ?6 = 1 THEN NULL ELSE coalesce(disabled_reason, 'disabled by its owner') END, \
             failing_since = CASE WHEN ?7 = 1 THEN NULL ELSE failing_since END \
             WHERE project_id = ?1 AND id = ?2",
        )
        .bind(&[
            project.id.as_str().into(),
            id.into(),
            url.as_str().into(),
            types.as_str().into(),
            description.as_str().into(),
            f64::from(u8::from(enabled)).into(),
            f64::from(u8::from(reenabled)).into(),
        ])?
        .run()
        .await?;
    let row = endpoints::get(ctx.env, &project.id, id).await?;
    Ok(Response::from_json(&row.view(now().as_millisecond()))?)
}

/// `DELETE /v1/webhooks/{id}`: its pending deliveries are skipped.
pub async fn delete(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    endpoints::get(ctx.env, &project.id, id).await?;
    let db = ctx.env.d1(DB)?;
    let statements = vec![
        db.prepare("DELETE FROM webhook_endpoints WHERE project_id = ?1 AND id = ?2")
            .bind(&[project.id.as_str().into(), id.into()])?,
        db.prepare(
            "UPDATE notify_jobs SET state = 'skipped', reason = 'the endpoint was deleted', lease_ms = 0, \
             finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE project_id = ?1 AND target = ?2 AND state = 'pending'",
        )
        .bind(&[project.id.as_str().into(), id.into()])?,
    ];
    db.batch(statements).await?;
    Ok(Response::empty()?.with_status(204))
}

/// `POST /v1/webhooks/{id}/rotate`: a new secret; the old one keeps signing beside it for
/// the overlap (default 24 h), so receivers can switch without losing a delivery.
pub async fn rotate(mut req: Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: RotateWebhookSecret = json_body(&mut req).await?;
    let hours = body.overlap_hours.unwrap_or(24);
    if hours > MAX_OVERLAP_HOURS {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "overlap_hours must be 0 to 168",
            Some("overlap_hours"),
        ));
    }
    let row = endpoints::get(ctx.env, &project.id, id).await?;
    let (secret, sealed) = new_secret(ctx, &project.id).await?;
    let now_ms = now().as_millisecond();
    let until = now_ms + i64::from(hours) * 3_600_000;
    ctx.env
        .d1(DB)?
        .prepare(
            "UPDATE webhook_endpoints SET secret = ?3, previous_secret = ?4, previous_until = ?5 \
             WHERE project_id = ?1 AND id = ?2 AND secret = ?6",
        )
        .bind(&[
            project.id.as_str().into(),
            id.into(),
            sealed.as_str().into(),
            if hours == 0 {
                JsValue::NULL
            } else {
                row.secret.as_str().into()
            },
            (until as f64).into(),
            row.secret.as_str().into(),
        ])?
        .run()
        .await?;
    let row = endpoints::get(ctx.env, &project.id, id).await?;
    Ok(Response::from_json(&WebhookSecret {
        endpoint: row.view(now_ms),
        secret,
    })?)
}

/// `GET /v1/webhooks/{id}/deliveries?state=&cursor=&limit=`.
pub async fn deliveries(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        state: Option<String>,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    }
    let project = auth::server(req, ctx).await?;
    let q: Query = query(req)?;
    if let Some(state) = &q.state
        && !["pending", "delivered", "failed", "skipped"].contains(&state.as_str())
    {
        return Err(ApiError::bad(
            ErrorCode::InvalidQuery,
            "state is one of pending, delivered, failed, skipped",
            Some("state"),
        ));
    }
    endpoints::get(ctx.env, &project.id, id).await?;
    let filter = endpoints::Filter {
        target: Some(id),
        state: q.state.as_deref(),
        ..Default::default()
    };
    let page = endpoints::deliveries(
        ctx.env,
        &project.id,
        &filter,
        q.cursor.as_deref(),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Response::from_json(&page)?)
}

const STATES: &[&str] = &["pending", "delivered", "failed", "skipped"];
const CHANNELS: &[&str] = &["webhook", "slack", "loops", "recap", "posthog", "intercom"];

/// `GET /v1/deliveries?channel=&state=&subject=&cursor=&limit=`: every job of the pipeline
/// (webhooks, Slack alerts, emails, analytics events), newest first, with every attempt.
pub async fn all_deliveries(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        channel: Option<String>,
        #[serde(default)]
        state: Option<String>,
        #[serde(default)]
        subject: Option<String>,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    }
    let project = auth::server(req, ctx).await?;
    let q: Query = query(req)?;
    let bad =
        |field: &str, message: String| ApiError::bad(ErrorCode::InvalidQuery, message, Some(field));
    if let Some(state) = &q.state
        && !STATES.contains(&state.as_str())
    {
        return Err(bad(
            "state",
            format!("state is one of {}", STATES.join(", ")),
        ));
    }
    if let Some(channel) = &q.channel
        && !CHANNELS.contains(&channel.as_str())
    {
        return Err(bad(
            "channel",
            format!("channel is one of {}", CHANNELS.join(", ")),
        ));
    }
    let filter = endpoints::Filter {
        channel: q.channel.as_deref(),
        state: q.state.as_deref(),
        subject: q.subject.as_deref(),
        target: None,
    };
    let page = endpoints::deliveries(
        ctx.env,
        &project.id,
        &filter,
        q.cursor.as_deref(),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Response::from_json(&page)?)
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery}/retry`: a new round of attempts, at once,
/// with the same `webhook-id`.
pub async fn retry(req: &Request, ctx: &Ctx<'_>, id: &str, delivery: &str) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    if !endpoints::retry(ctx.env, &project.id, id, delivery).await? {
        return Err(ApiError::not_found(
            "delivery (or it is being attempted right now)",
        ));
    }
    notify::resend(ctx.env, &project.id, delivery).await;
    Ok(
        Response::from_json(&serde_json::json!({ "id": delivery, "state": "pending" }))?
            .with_status(202),
    )
}
