//! Customer accounts' traits, with the secret key: `PUT/GET /v1/accounts/{id}`.

use cairn_core::wire::AccountTraits;
use worker::{Request, Response};

use super::{Ctx, json_body};
use crate::accounts;
use crate::auth;
use crate::error::{ApiError, ApiResult};

/// `PUT /v1/accounts/{id}`: replaces what is known about the account.
pub async fn put(mut req: Request, ctx: &Ctx<'_>, account: &str) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let traits: AccountTraits = json_body(&mut req).await?;
    Ok(Response::from_json(
        &accounts::put(ctx.env, &project.id, account, traits).await?,
    )?)
}

/// `GET /v1/accounts/{id}`.
pub async fn get(req: &Request, ctx: &Ctx<'_>, account: &str) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    let record = accounts::get(ctx.env, &project.id, account)
        .await?
        .ok_or_else(|| ApiError::not_found("account (no traits were sent for it)"))?;
    Ok(Response::from_json(&record)?)
}
