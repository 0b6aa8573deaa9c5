//! Projects and their keys and definitions: `POST /v1/projects` (admin token),
//! `POST /v1/keys/rotate`, `PUT`/`GET /v1/definitions` (secret key), and the demo's
//! `GET /v1/demo/token`.

use cairn_core::Definitions;
use cairn_core::wire::{
    DefinitionsResponse, DemoTokenResponse, MAX_ID_BYTES, NewProject, RotateKeyRequest, RotatedKey,
    UserClaims, UserTraits,
};
use serde::Deserialize;
use worker::{Request, Response};

use super::{Ctx, json_body, query, read_body};
use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::{self, KeyKind, Project};
use crate::subject;

/// `POST /v1/projects` (admin token): a new project and its keys, shown once.
pub async fn create(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    auth::admin(&req, ctx.env)?;
    let new: NewProject = json_body(&mut req).await?;
    if new.name.trim().is_empty() || new.name.len() > MAX_ID_BYTES {
        return Err(ApiError::bad(
            ErrorCode::InvalidName,
            format!("name must be 1 to {MAX_ID_BYTES} bytes"),
            Some("name"),
        ));
    }
    for (i, origin) in new.allowed_origins.iter().enumerate() {
        if !is_origin(origin) {
            return Err(ApiError::bad(
                ErrorCode::InvalidOrigin,
                "an origin is scheme://host[:port] without a path, or *",
                Some(&format!("allowed_origins[{i}]")),
            ));
        }
    }
    let created = project::create(ctx.env, new, &subject::now().to_string()).await?;
    Ok(Response::from_json(&created)?.with_status(201))
}

/// `*`, or `http(s)://host[:port]` with nothing after.
fn is_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    rest.is_some_and(|host| {
        !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    })
}

/// `POST /v1/keys/rotate` (secret key): `{"key": "identity_secret" | "secret_key" |
/// "publishable_key", "retire_previous"?: true}`. Identity secrets overlap (two valid) until
/// the previous one is retired; the other keys are replaced at once.
pub async fn rotate_key(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: RotateKeyRequest = json_body(&mut req).await?;
    let kind = body.key;
    if body.retire_previous && kind != KeyKind::IdentitySecret {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "only identity secrets overlap and can be retired",
            Some("retire_previous"),
        ));
    }
    let value = project::rotate(ctx.env, &project, kind, body.retire_previous).await?;
    Ok(Response::from_json(&RotatedKey {
        key: body.key,
        value,
    })?)
}

/// `PUT /v1/definitions` (secret key): validates (every problem at once) and stores a new version.
pub async fn put_definitions(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::server_or_member(&req, ctx, cairn_core::wire::Role::Owner).await?;
    let project = caller.project;
    let body = read_body(&mut req).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad(ErrorCode::InvalidBody, "the body is not UTF-8", None))?;
    let is_toml = req
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.contains("toml"));
    let defs = if is_toml {
        Definitions::from_toml(text)
    } else {
        Definitions::from_json(text)
    };
    let defs = defs.map_err(|e| ApiError::invalid_definitions(e.problems()))?;
    let problems = defs.validate();
    if !problems.is_empty() {
        return Err(ApiError::invalid_definitions(problems));
    }
    let now = subject::now().to_string();
    let source = is_toml.then_some(text);
    let version =
        project::put_definitions(ctx.env, &project, &defs, source, &caller.by, &now).await?;
    Ok(Response::from_json(&DefinitionsResponse {
        version,
        definitions: defs,
        source: source.map(str::to_owned),
        created_at: Some(now),
    })?)
}

/// `GET /v1/definitions/versions`: every version, newest first (at most 200).
pub async fn definitions_versions(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::server_or_member(req, ctx, cairn_core::wire::Role::Viewer).await?;
    let live = caller.project.definitions_version;
    let versions: Vec<serde_json::Value> =
        project::stored_versions(ctx.env, &caller.project.id, None)
            .await?
            .into_iter()
            .map(|v| {
                serde_json::json!({
                    "version": v.version as i64,
                    "created_at": v.created_at,
                    "created_by": v.created_by,
                    "live": v.version as i64 == live,
                })
            })
            .collect();
    Ok(Response::from_json(
        &serde_json::json!({ "versions": versions }),
    )?)
}

/// `POST /v1/definitions/rollback` `{"version": N}`: publishes version N again, as a new
/// version (the history keeps every step).
pub async fn rollback_definitions(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        version: i64,
    }
    let caller = auth::server_or_member(&req, ctx, cairn_core::wire::Role::Owner).await?;
    let body: Body = super::json_body(&mut req).await?;
    let stored = project::stored_versions(ctx.env, &caller.project.id, Some(body.version))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("definitions version"))?;
    let defs = Definitions::from_json(&stored.body)
        .map_err(|e| ApiError::invalid_definitions(e.problems()))?;
    let problems = defs.validate();
    if !problems.is_empty() {
        return Err(ApiError::invalid_definitions(problems));
    }
    let now = subject::now().to_string();
    let by = format!("rollback to {} by {}", body.version, caller.by);
    let version = project::put_definitions(
        ctx.env,
        &caller.project,
        &defs,
        stored.source.as_deref(),
        &by,
        &now,
    )
    .await?;
    Ok(Response::from_json(&DefinitionsResponse {
        version,
        definitions: defs,
        source: stored.source,
        created_at: Some(now),
    })?)
}

/// `GET /v1/definitions` (secret key): the current version.
pub async fn get_definitions(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        version: Option<i64>,
    }
    let project = auth::server_or_member(req, ctx, cairn_core::wire::Role::Viewer)
        .await?
        .project;
    let q: Query = super::query(req)?;
    let version = q.version.unwrap_or(project.definitions_version);
    let stored = project::stored_versions(ctx.env, &project.id, Some(version))
        .await?
        .into_iter()
        .next();
    let Some(stored) = stored else {
        if q.version.is_some() {
            return Err(ApiError::not_found("definitions version"));
        }
        let defs = project.definitions(ctx.env).await?;
        return Ok(Response::from_json(&DefinitionsResponse {
            version: project.definitions_version,
            definitions: defs.source().clone(),
            source: None,
            created_at: None,
        })?);
    };
    let definitions = Definitions::from_json(&stored.body)
        .map_err(|e| ApiError::internal(format!("stored definitions unreadable: {e}")))?;
    Ok(Response::from_json(&DefinitionsResponse {
        version,
        definitions,
        source: stored.source,
        created_at: Some(stored.created_at),
    })?)
}

#[derive(Deserialize)]
struct DemoTokenQuery {
    key: String,
    user: String,
    #[serde(default)]
    acct: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

/// `GET /v1/demo/token?key=pk_…&user=…`: a user token for the demo project, standing in for the
/// product's backend. Only on local runs (`CAIRN_DEMO_TOKENS=on`), only for the demo project.
pub async fn demo_token(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let enabled = ctx
        .env
        .var("CAIRN_DEMO_TOKENS")
        .map(|v| v.to_string() == "on")
        .unwrap_or(false);
    if !enabled {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "demo tokens are served on local runs only (CAIRN_DEMO_TOKENS=on)",
        ));
    }
    let q: DemoTokenQuery = query(req)?;
    super::check_id(&q.user, ErrorCode::InvalidUserId, "user")?;
    if let Some(acct) = &q.acct {
        super::check_id(acct, ErrorCode::InvalidAccountId, "acct")?;
    }
    let project = Project::by_publishable_key(ctx.env, &q.key, &ctx.ip)
        .await?
        .filter(|p| p.id == "prj_demo")
        .ok_or_else(|| ApiError::not_found("demo project"))?;
    let secret = project
        .identity_secrets
        .first()
        .ok_or_else(|| ApiError::internal("the demo project has no identity secret"))?;
    let now = subject::now().as_second();
    let claims = UserClaims {
        sub: q.user,
        exp: now + 3600,
        iat: Some(now),
        acct: q.acct,
        traits: q.locale.map(|locale| UserTraits {
            locale: Some(locale),
            ..UserTraits::default()
        }),
    };
    let token = auth::sign_demo_token(secret, &claims)?;
    Ok(Response::from_json(&DemoTokenResponse { token })?)
}
