//! The console's API: members and their invitations (`/v1/console/members`), signing in and
//! out (`/v1/console/session`), the CSM's feed (`/v1/console/feed`), and the impact analysis
//! (`/v1/analytics/impact`, also with the secret key, so a product team can script it).

use cairn_core::wire::{InviteRequest, Role, SignInRequest};
use worker::{Headers, Request, Response};

use super::{Ctx, json_body, query};
use crate::auth;
use crate::console;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ledger;

/// `POST /v1/console/members`: invites a member (secret key, admin token with `project_id`,
/// or an owner's session); answers their one-time sign-in link.
pub async fn invite(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let bearer = req
        .headers()
        .get("authorization")?
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
    let body: InviteRequest = json_body(&mut req).await?;
    let (project, by) = match bearer {
        Some(key) if key.starts_with("sk_") => {
            (auth::server(&req, ctx).await?.id, "api".to_owned())
        }
        Some(_) => {
            auth::admin(&req, ctx.env)?;
            let id = body.project_id.clone().ok_or_else(|| {
                ApiError::bad(
                    ErrorCode::InvalidBody,
                    "with the admin token, name the project: project_id",
                    Some("project_id"),
                )
            })?;
            crate::project::Project::by_id(ctx.env, &id, &ctx.ip)
                .await?
                .ok_or_else(|| ApiError::not_found("project"))?;
            (id, "admin".to_owned())
        }
        None => {
            let owner = auth::member(&req, ctx, Role::Owner).await?;
            (owner.project.id.clone(), owner.by())
        }
    };
    if body.project_id.as_ref().is_some_and(|p| *p != project) {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "project_id names another project than the caller's",
            Some("project_id"),
        ));
    }
    let invitation =
        console::invite(ctx.env, &project, &body.email, body.role, &by, &ctx.own).await?;
    Ok(Response::from_json(&invitation)?.with_status(201))
}

/// `GET /v1/console/members`.
pub async fn members(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::server_or_member(req, ctx, Role::Owner).await?;
    Ok(Response::from_json(
        &console::members(ctx.env, &caller.project.id).await?,
    )?)
}

/// `POST /v1/console/session`: exchanges a sign-in link's token for a session cookie.
pub async fn sign_in(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let body: SignInRequest = json_body(&mut req).await?;
    let (token, signed) = console::sign_in(ctx.env, &body.token, &ctx.ip).await?;
    with_cookie(Response::from_json(&signed.view())?, Some(&token))
}

/// `GET /v1/console/session`: who is signed in.
pub async fn current(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let member = auth::member(req, ctx, Role::Viewer).await?;
    Ok(Response::from_json(&member.view())?)
}

/// `DELETE /v1/console/session`: signs out (the session ends on the server, too).
pub async fn sign_out(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    if ctx.origin.as_deref().is_some_and(|o| o != ctx.own) {
        return Err(ApiError::forbidden("sign out from the console itself"));
    }
    console::sign_out(req, ctx.env).await?;
    with_cookie(Response::empty()?.with_status(204), None)
}

fn with_cookie(response: Response, token: Option<&str>) -> ApiResult<Response> {
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.set(&name, &value)?;
    }
    headers.set("set-cookie", &console::set_cookie(token))?;
    headers.set("cache-control", "no-store")?;
    Ok(response.with_headers(headers))
}

/// `GET /v1/console/feed`: milestones newest first, with their accounts' context.
pub async fn feed(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::server_or_member(req, ctx, Role::Viewer).await?;
    let q: ledger::FeedQuery = query(req)?;
    Ok(Response::from_json(
        &ledger::feed(ctx.env, &caller.project.id, &q).await?,
    )?)
}

/// `GET /v1/analytics/impact?milestone=`: celebrated against holdout retention.
pub async fn impact(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        milestone: Option<String>,
    }
    let caller = auth::server_or_member(req, ctx, Role::Viewer).await?;
    let q: Query = query(req)?;
    let now = crate::subject::now();
    Ok(Response::from_json(
        &crate::impact::report(ctx.env, &caller.project.id, q.milestone.as_deref(), now).await?,
    )?)
}

/// `GET /v1/console/case-studies[?format=csv]`: accounts to ask for a case study, best first.
pub async fn case_studies(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        format: Option<String>,
    }
    let caller = auth::server_or_member(req, ctx, Role::Viewer).await?;
    let q: Query = query(req)?;
    let list = crate::case_studies::list(ctx.env, &caller.project.id).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Response::from_json(&list)?),
        Some("csv") => {
            let headers = Headers::new();
            headers.set("content-type", "text/csv; charset=utf-8")?;
            headers.set(
                "content-disposition",
                "attachment; filename=\"case-study-candidates.csv\"",
            )?;
            Ok(Response::ok(crate::case_studies::csv(&list)?)?.with_headers(headers))
        }
        Some(_) => Err(ApiError::bad(
            ErrorCode::InvalidQuery,
            "format is json or csv",
            Some("format"),
        )),
    }
}

/// `PUT /v1/console/case-studies/{account_id}`: asked, agreed or declined (a CSM or owner).
pub async fn case_study(mut req: Request, ctx: &Ctx<'_>, account: &str) -> ApiResult<Response> {
    let caller = auth::server_or_member(&req, ctx, Role::Csm).await?;
    let body: cairn_core::wire::CaseStudyUpdate = json_body(&mut req).await?;
    crate::case_studies::update(ctx.env, &caller.project.id, account, &body, &caller.by).await?;
    let list = crate::case_studies::list(ctx.env, &caller.project.id).await?;
    let candidate = list
        .candidates
        .into_iter()
        .find(|c| c.account.account_id == account)
        .ok_or_else(|| ApiError::not_found("account with milestones"))?;
    Ok(Response::from_json(&candidate)?)
}

/// `GET /v1/analytics/progress`: time to first milestone by signup week, and how many users
/// reached each tier.
pub async fn progress(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::server_or_member(req, ctx, Role::Viewer).await?;
    Ok(Response::from_json(
        &crate::impact::progress(ctx.env, &caller.project.id).await?,
    )?)
}

/// `GET /v1/analytics/ladder?metric=&thresholds=`: a metric's totals and days to reach them,
/// and the ladder other thresholds would have made.
pub async fn ladder(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        metric: Option<String>,
        #[serde(default)]
        thresholds: Option<String>,
    }
    let caller = auth::server_or_member(req, ctx, Role::Viewer).await?;
    let q: Query = query(req)?;
    Ok(Response::from_json(
        &crate::ladder::report(
            ctx.env,
            &caller.project.id,
            q.metric.as_deref(),
            q.thresholds.as_deref(),
        )
        .await?,
    )?)
}
