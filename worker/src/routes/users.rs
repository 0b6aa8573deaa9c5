//! A user's view and life: `GET /v1/client/me`, the live stream, acknowledgements
//! (`POST /v1/client/awards/{id}/seen`), and, for the product's servers, `GET` and `DELETE
//! /v1/users/{user_id}`.

use cairn_core::definitions::Scope;
use cairn_core::wire::AccountView;
use serde::Deserialize;
use worker::{Headers, Request, Response};

use super::{Ctx, check_id, locale, query};
use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::Project;
use crate::subject::{self, Command, Target};
use crate::{ledger, writer};

/// `GET /v1/client/me` (publishable key + user token): the user's and their account's view.
pub async fn client_me(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::client(req, ctx).await?;
    let me = view(
        ctx,
        &caller.project,
        &caller.claims.sub,
        caller.claims.acct.as_deref(),
        &caller.locale,
    )
    .await?;
    Ok(Response::from_json(&me)?)
}

/// `GET /v1/client/stream?key=pk_…&token=…`: a WebSocket to the user's Durable Object, which
/// pushes every award (the user's and their account's) the moment it happens, in the locale
/// of this connection.
pub async fn client_stream(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let upgrade = req
        .headers()
        .get("upgrade")?
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Err(ApiError::bad(
            ErrorCode::WebsocketRequired,
            "connect to this route with a WebSocket",
            None,
        ));
    }
    let caller = auth::client_from_query(req, ctx).await?;
    let target = Target::of(
        &caller.project,
        Scope::User,
        &caller.claims.sub,
        &caller.locale,
    );
    let headers = Headers::new();
    headers.set("upgrade", "websocket")?;
    headers.set("x-cairn-target", &serde_json::to_string(&target)?)?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let forward = Request::new_with_init("https://subject/stream", &init)?;
    let stub = ctx
        .env
        .durable_object(subject::BINDING)?
        .id_from_name(&target.object())?
        .get_stub()?;
    Ok(stub.fetch_with_request(forward).await?)
}

/// `GET /v1/users/{user_id}?account_id=` (secret key): what `/v1/client/me` shows that user.
pub async fn get_user(req: &Request, ctx: &Ctx<'_>, user_id: &str) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Query {
        #[serde(default)]
        account_id: Option<String>,
    }
    let project = auth::server(req, ctx).await?;
    let q: Query = query(req)?;
    if let Some(account) = &q.account_id {
        check_id(account, ErrorCode::InvalidAccountId, "account_id")?;
    }
    let me = view(
        ctx,
        &project,
        user_id,
        q.account_id.as_deref(),
        &locale(req)?,
    )
    .await?;
    Ok(Response::from_json(&me)?)
}

/// A user's view, with their account's when `account` is given.
pub(crate) async fn view(
    ctx: &Ctx<'_>,
    project: &Project,
    user: &str,
    account: Option<&str>,
    locale: &str,
) -> ApiResult<serde_json::Value> {
    let target = |scope, id: &str| Target::of(project, scope, id, locale);
    let account = match account {
        Some(a) => {
            let command = Command::Account {
                target: target(Scope::Account, a),
            };
            Some(subject::send::<AccountView>(ctx.env, &project.account_object(a), &command).await?)
        }
        None => None,
    };
    let command = Command::Me {
        target: target(Scope::User, user),
        account,
    };
    subject::send(ctx.env, &project.user_object(user), &command).await
}

/// `POST /v1/client/awards/{id}/seen` (publishable key + user token): the widget acknowledges
/// a celebration, once for all tabs and devices of this user.
pub async fn client_seen(req: &Request, ctx: &Ctx<'_>, award_id: &str) -> ApiResult<Response> {
    let caller = auth::client(req, ctx).await?;
    let user = &caller.claims.sub;
    let command = Command::Seen {
        project: caller.project.id.clone(),
        user: user.clone(),
        account: caller.claims.acct.clone(),
        award_id: award_id.to_owned(),
    };
    let _: bool = subject::send(ctx.env, &caller.project.user_object(user), &command).await?;
    Ok(Response::from_json(&cairn_core::wire::SeenResponse {
        id: award_id.to_owned(),
        seen: true,
    })?)
}

/// `POST /v1/client/awards/{id}/cta` (publishable key + user token): the widget showed the
/// award's call to action, or the user followed it; each counts once per award.
pub async fn client_cta(mut req: Request, ctx: &Ctx<'_>, award_id: &str) -> ApiResult<Response> {
    let caller = auth::client(&req, ctx).await?;
    let body: cairn_core::wire::CtaRequest = super::json_body(&mut req).await?;
    let user = &caller.claims.sub;
    let command = Command::Cta {
        project: caller.project.id.clone(),
        user: user.clone(),
        account: caller.claims.acct.clone(),
        award_id: award_id.to_owned(),
        click: body.action == cairn_core::wire::CtaAction::Click,
    };
    let _: bool = subject::send(ctx.env, &caller.project.user_object(user), &command).await?;
    Ok(Response::from_json(&cairn_core::wire::CtaResponse {
        id: award_id.to_owned(),
        action: body.action,
        recorded: true,
    })?)
}

/// `DELETE /v1/users/{user_id}` (secret key): erases the user's state, ledger rows and account
/// memberships. Totals they added to an account stay as anonymous aggregates.
pub async fn erase_user(req: &Request, ctx: &Ctx<'_>, user_id: &str) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    let accounts: Vec<String> =
        subject::send(ctx.env, &project.user_object(user_id), &Command::Erase).await?;
    for account in &accounts {
        let command = Command::Forget {
            target: Target::of(
                &project,
                Scope::Account,
                account,
                cairn_core::definitions::DEFAULT_LOCALE,
            ),
            member: user_id.to_owned(),
        };
        let _: bool = subject::send(ctx.env, &project.account_object(account), &command).await?;
    }
    // Pending ledger items first (the writer also drops any that arrive late), then the rows.
    writer::erase(ctx.env, &project.id, user_id).await?;
    ledger::erase_user(ctx.env, &project.id, user_id).await?;
    let db = ctx.env.d1(crate::project::DB)?;
    db.batch(crate::shares::erase_statements(&db, &project.id, user_id)?)
        .await?;
    Ok(Response::from_json(&cairn_core::wire::ErasedResponse {
        user_id: user_id.to_owned(),
        erased: true,
        accounts,
    })?)
}
