//! Connected services, with the secret key: `PUT/GET /v1/integrations`. Credentials go in,
//! never out (see [`crate::integrations`]).

use cairn_core::wire::IntegrationsUpdate;
use worker::{Request, Response};

use super::{Ctx, json_body};
use crate::auth;
use crate::error::ApiResult;
use crate::integrations;

/// `PUT /v1/integrations`: connects, replaces or (`null`) disconnects providers.
pub async fn put(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let update: IntegrationsUpdate = json_body(&mut req).await?;
    integrations::put(ctx.env, &project.id, update).await?;
    Ok(Response::from_json(
        &integrations::view(ctx.env, &project.id).await?,
    )?)
}

/// `GET /v1/integrations`.
pub async fn get(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    Ok(Response::from_json(
        &integrations::view(ctx.env, &project.id).await?,
    )?)
}
