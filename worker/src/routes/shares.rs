//! Sharing: the user's public badges (`/v1/client/shares`), the public page, its image and its
//! credential (`/s/{share_id}…`), the issuer's profile and keys (`/issuers/{project}…`), the
//! brand pages show (`/v1/brand`), signups brought by a share (`/v1/client/attribution`,
//! `/v1/attributions`) and their funnel (`/v1/shares/stats`).

use std::cell::RefCell;

use cairn_core::wire::{
    AttributionResult, Brand, ClientAttribution, MeResponse, RotatedIssuerKey, ServerAttribution,
    ShareRequest, SharesList,
};
use cairn_share::credential::{self, IssuerUrls};
use cairn_share::{Badge, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, card, clean, is_colour, page};
use serde_json::json;
use worker::{Headers, Request, Response};

use super::{Ctx, check_id, json_body};
use crate::auth;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::DB;
use crate::shares::{self, bad};
use crate::subject::now;
use crate::{issuer, notify};

/// `POST /v1/client/shares` (publishable key + user token): makes one of the user's badges
/// public, or updates the message and name of its page if it already is.
pub async fn client_create(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::client(&req, ctx).await?;
    let body: ShareRequest = json_body(&mut req).await?;
    let award_id = body.award_id.trim();
    if !crate::router::is_award_id(award_id) {
        return Err(ApiError::bad(
            ErrorCode::InvalidAwardId,
            "an award id is aw_ and 24 hex digits",
            Some("award_id"),
        ));
    }
    if body.message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(bad(
            "message",
            &format!("a message is at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    let message = clean(&body.message, MAX_MESSAGE_CHARS);
    let display_name = match body.display_name.as_deref() {
        Some(n) if n.chars().count() > MAX_NAME_CHARS => {
            return Err(bad(
                "display_name",
                &format!("a display name is at most {MAX_NAME_CHARS} characters"),
            ));
        }
        Some(n) => Some(clean(n, MAX_NAME_CHARS)).filter(|n| !n.is_empty()),
        None => None,
    };
    let user = caller.claims.sub.as_str();
    let project = &caller.project;
    // The award as the user sees it (their Durable Object is the authority, the ledger may
    // not have it yet).
    let me: MeResponse = serde_json::from_value(
        super::users::view(
            ctx,
            project,
            user,
            caller.claims.acct.as_deref(),
            &caller.locale,
        )
        .await?,
    )?;
    let award = me
        .awards
        .iter()
        .chain(me.account.iter().flat_map(|a| a.awards.iter()))
        .find(|a| a.id == award_id)
        .ok_or_else(|| ApiError::not_found("award"))?;
    let defs = project.definitions(ctx.env).await?;
    let criteria = defs
        .milestone(&award.milestone)
        .map(|m| cairn_core::progress::criteria(&defs, m, &caller.locale))
        .unwrap_or_else(|| award.description.clone());
    // Where the share page's call to action leads: the page the user shared from. An `Origin`
    // that is not a web origin (`null` from a sandboxed frame or a file) leads to this
    // deployment instead.
    let origin = ctx
        .origin
        .as_deref()
        .and_then(web_origin)
        .unwrap_or_else(|| ctx.own.clone());
    let now_t = now();
    let now_text = now_t.to_string();
    let existing = shares::live_for(ctx.env, &project.id, award_id, user).await?;
    let share_id = match &existing {
        Some(row) => row.id.clone(),
        None => shares::new_id()?,
    };
    let badge = Badge {
        share_id: share_id.clone(),
        milestone: award.milestone.clone(),
        title: award.title.clone(),
        criteria,
        description: award.description.clone(),
        icon: award.badge.icon.clone(),
        image: award.badge.image.clone(),
        alt: award.badge.alt.clone(),
        display_name,
        message,
        achieved_at: award.achieved_at.as_str().to_owned(),
        locale: caller.locale.clone(),
    };
    let db = ctx.env.d1(DB)?;
    let badge_json = serde_json::to_string(&badge)?;
    let status = if let Some(row) = &existing {
        db.prepare("UPDATE shares SET badge = ?2 WHERE id = ?1")
            .bind(&[row.id.as_str().into(), badge_json.into()])?
            .run()
            .await?;
        200
    } else {
        let row = shares::Row {
            id: share_id.clone(),
            project_id: project.id.clone(),
            award_id: award_id.to_owned(),
            user_id: user.to_owned(),
            milestone_key: award.milestone.clone(),
            badge: badge_json.clone(),
            origin: origin.clone(),
            created_at: now_text.clone(),
            revoked_at: None,
            visits: 0,
            signups: 0,
            status_index: 0,
        };
        let key = format!("{share_id}.created");
        let hook = shares::webhook_statement(
            &db,
            "share.created",
            &key,
            &row,
            json!({
                "share_id": share_id,
                "award_id": award_id,
                "milestone_key": award.milestone,
                "user_id": user,
                "url": format!("{}/s/{share_id}", ctx.own),
                "created_at": now_text,
            }),
            &now_text,
            now_t.as_millisecond(),
        )?;
        let insert = db
            .prepare(
                "INSERT INTO shares (id, project_id, award_id, user_id, milestone_key, badge, origin, created_at, status_index) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                 COALESCE((SELECT MAX(i) FROM (SELECT status_index AS i FROM shares WHERE project_id = ?2 \
                 UNION ALL SELECT status_index FROM share_tombstones WHERE project_id = ?2)), -1) + 1",
            )
            .bind(&[
                share_id.as_str().into(),
                project.id.as_str().into(),
                award_id.into(),
                user.into(),
                award.milestone.as_str().into(),
                badge_json.into(),
                origin.as_str().into(),
                now_text.as_str().into(),
            ])?;
        match db.batch(vec![insert, hook]).await {
            Ok(_) => {}
            // Two first shares of one award at once: the unique index kept the other.
            Err(_) => {
                if let Some(row) = shares::live_for(ctx.env, &project.id, award_id, user).await? {
                    return answer(ctx, &row, 200).await;
                }
                return Err(ApiError::unavailable("the share could not be stored"));
            }
        }
        notify::trigger(ctx.env, &[key]).await;
        201
    };
    let row = shares::get(ctx.env, &share_id)
        .await?
        .ok_or_else(|| ApiError::internal("a share vanished after its write"))?;
    answer(ctx, &row, status).await
}

async fn answer(ctx: &Ctx<'_>, row: &shares::Row, status: u16) -> ApiResult<Response> {
    let badge = row.badge()?;
    let issuer = shares::issuer(ctx.env, &row.project_id, &ctx.own, &row.origin).await?;
    Ok(Response::from_json(&shares::view(row, &badge, &issuer, &ctx.own))?.with_status(status))
}

/// `GET /v1/client/shares`: the user's public badges, newest first.
pub async fn client_list(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::client(req, ctx).await?;
    let rows = shares::live_of(ctx.env, &caller.project.id, &caller.claims.sub).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        let issuer = shares::issuer(ctx.env, &row.project_id, &ctx.own, &row.origin).await?;
        list.push(shares::view(row, &row.badge()?, &issuer, &ctx.own));
    }
    Ok(Response::from_json(&SharesList { shares: list })?)
}

/// `DELETE /v1/client/shares/{id}`: the badge is private again; its page answers `410`, its
/// credential too, and its cached image is dropped.
pub async fn client_revoke(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let caller = auth::client(req, ctx).await?;
    let row = shares::get(ctx.env, id)
        .await?
        .filter(|r| r.project_id == caller.project.id && r.user_id == caller.claims.sub)
        .ok_or_else(|| ApiError::not_found("share"))?;
    if row.revoked_at.is_none() {
        ctx.env
            .d1(DB)?
            .prepare("UPDATE shares SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
            .bind(&[id.into(), now().to_string().into()])?
            .run()
            .await?;
    }
    let cache = worker::Cache::default();
    let _ = cache.delete(format!("{}/s/{id}.png", ctx.own), false).await;
    Ok(Response::empty()?.with_status(204))
}

fn html(body: String, csp: &str, status: u16, cache: &str) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("content-security-policy", csp)?;
    headers.set("cache-control", cache)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "strict-origin-when-cross-origin")?;
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

/// How long browsers and the edge keep a page: short, so a revocation shows within minutes.
const PAGE_CACHE: &str = "public, max-age=60, s-maxage=300";

/// `GET /s/{share_id}`: the public page (`410` once revoked, `404` if unknown).
pub async fn page(req: &Request, ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let public = match shares::public(ctx.env, id, &ctx.own).await? {
        Ok(p) => p,
        Err(Some(locale)) => {
            let r = page::gone(&locale);
            return html(r.html, &r.csp, 410, "no-store");
        }
        Err(None) => {
            let r = page::missing(cairn_core::definitions::DEFAULT_LOCALE);
            return html(r.html, &r.csp, 404, "no-store");
        }
    };
    let rendered = page::render(&public.badge, &public.issuer, &public.urls);
    let user_agent = req.headers().get("user-agent")?.unwrap_or_default();
    if !shares::is_bot(&user_agent) {
        let env = ctx.env.clone();
        let day = now().to_string().get(..10).unwrap_or_default().to_owned();
        let visitor = shares::visitor(&shares::visit_salt(&env), &day, &ctx.ip, &user_agent);
        let share = public.row.id;
        ctx.context.wait_until(async move {
            if let Err(e) = shares::count_visit(&env, &share, &day, &visitor).await {
                worker::console_warn!("share visit not counted: {e}");
            }
        });
    }
    html(rendered.html, &rendered.csp, 200, PAGE_CACHE)
}

thread_local! {
    static RENDERER: RefCell<Option<std::rc::Rc<card::Renderer>>> = const { RefCell::new(None) };
}

/// The isolate's renderer (the font is parsed once).
fn renderer() -> std::rc::Rc<card::Renderer> {
    RENDERER.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| std::rc::Rc::new(card::Renderer::new()))
            .clone()
    })
}

/// `GET /s/{share_id}.png`: the 1200×630 preview, rendered once and then served from the
/// Cache API (`x-cairn-render` says which: `rendered` or `cached`, with the render's time).
pub async fn image(ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let url = format!("{}/s/{id}.png", ctx.own);
    let cache = worker::Cache::default();
    let public = match shares::public(ctx.env, id, &ctx.own).await? {
        Ok(p) => p,
        Err(Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                "this badge is no longer shared",
            ));
        }
        Err(None) => return Err(ApiError::not_found("share")),
    };
    if let Some(hit) = cache.get(url.as_str(), false).await? {
        let headers: Headers = hit.headers().clone();
        headers.set("x-cairn-render", "cached")?;
        return Ok(hit.with_headers(headers));
    }
    let started = js_sys::Date::now();
    let png = renderer()
        .png(&public.badge, &public.issuer)
        .map_err(ApiError::internal)?;
    let took = js_sys::Date::now() - started;
    let headers = Headers::new();
    headers.set("content-type", "image/png")?;
    headers.set("cache-control", "public, max-age=3600, s-maxage=86400")?;
    headers.set("x-content-type-options", "nosniff")?;
    let stored = Response::from_bytes(png.clone())?.with_headers(headers.clone());
    if let Err(e) = cache.put(url.as_str(), stored).await {
        worker::console_warn!("share image not cached: {e}");
    }
    headers.set("x-cairn-render", &format!("rendered; ms={took}"))?;
    Ok(Response::from_bytes(png)?.with_headers(headers))
}

/// `GET /s/{share_id}/credential`: the Open Badges 3.0 credential as a VC-JWT
/// (`application/vc+jwt`), signed with the project's current key. Revoked: `410`.
pub async fn credential(ctx: &Ctx<'_>, id: &str) -> ApiResult<Response> {
    let public = match shares::public(ctx.env, id, &ctx.own).await? {
        Ok(p) => p,
        Err(Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                "this badge is no longer shared: its credential was revoked",
            ));
        }
        Err(None) => return Err(ApiError::not_found("share")),
    };
    let issuer_urls = IssuerUrls::new(&ctx.own, &public.row.project_id);
    let vc = credential::credential(
        &public.badge,
        &public.issuer,
        &public.urls,
        &issuer_urls,
        public.row.status_index.max(0) as u64,
    );
    let nbf = public
        .badge
        .achieved_at
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .unwrap_or(0);
    let claims = credential::jwt_claims(&vc, nbf);
    let jwt = issuer::sign_jwt(
        ctx.env,
        &public.row.project_id,
        &now().to_string(),
        &claims,
        |kid| issuer_urls.key(kid),
    )
    .await?;
    let headers = Headers::new();
    headers.set("content-type", "application/vc+jwt")?;
    headers.set("cache-control", "no-store")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(jwt)?.with_headers(headers))
}

fn public_json(value: &serde_json::Value) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("cache-control", "public, max-age=300")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(value.to_string())?.with_headers(headers))
}

/// `GET /issuers/{project}`: the issuer's Open Badges `Profile`.
pub async fn profile(ctx: &Ctx<'_>, project: &str) -> ApiResult<Response> {
    let issuer = shares::issuer(ctx.env, project, &ctx.own, &ctx.own).await?;
    public_json(&credential::profile(
        &issuer,
        &IssuerUrls::new(&ctx.own, project),
    ))
}

/// `GET /issuers/{project}/jwks.json`: every public key, current first, retired ones too.
pub async fn jwks(ctx: &Ctx<'_>, project: &str) -> ApiResult<Response> {
    shares::issuer(ctx.env, project, &ctx.own, &ctx.own).await?;
    issuer::ensure_key(ctx.env, project, &now().to_string()).await?;
    let urls = IssuerUrls::new(&ctx.own, project);
    let keys: Vec<_> = issuer::public_keys(ctx.env, project)
        .await?
        .into_iter()
        .map(|k| published(k, &urls))
        .collect();
    public_json(&json!({ "keys": keys }))
}

/// A key as published: its `kid` is the URL a credential's header names (OB 3.0: a URI that
/// dereferences to the key), so a verifier matches the two as they are.
fn published(key: issuer::PublicKey, urls: &IssuerUrls) -> serde_json::Value {
    let mut jwk = key.jwk;
    if let Some(map) = jwk.as_object_mut() {
        map.insert("kid".into(), urls.key(&key.kid).into());
    }
    jwk
}

/// `GET /issuers/{project}/keys/{kid}`: one public key (a JWT header's `kid`).
pub async fn key(ctx: &Ctx<'_>, project: &str, kid: &str) -> ApiResult<Response> {
    let keys = issuer::public_keys(ctx.env, project).await?;
    let key = keys
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ApiError::not_found("key"))?;
    public_json(&published(key, &IssuerUrls::new(&ctx.own, project)))
}

/// `GET /issuers/{project}/status`: the project's revocation status list, a
/// `BitstringStatusListCredential` signed as a VC-JWT with the current key. A revoked share's
/// bit is set, so a credential fetched before the revocation fails a verifier's status check.
pub async fn status_list(ctx: &Ctx<'_>, project: &str) -> ApiResult<Response> {
    shares::issuer(ctx.env, project, &ctx.own, &ctx.own).await?;
    let urls = IssuerUrls::new(&ctx.own, project);
    let encoded = shares::encoded_status_list(ctx.env, project).await?;
    let now_t = now();
    let list = credential::status_list(&urls, &encoded, &now_t.to_string());
    let claims = credential::jwt_claims(&list, now_t.as_second());
    let jwt = issuer::sign_jwt(ctx.env, project, &now_t.to_string(), &claims, |kid| {
        urls.key(kid)
    })
    .await?;
    let headers = Headers::new();
    headers.set("content-type", "application/vc+jwt")?;
    headers.set("cache-control", "public, max-age=60")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(jwt)?.with_headers(headers))
}

/// `POST /v1/issuer/keys/rotate` (secret key): a new signing key; the old one stays published.
pub async fn rotate(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    let (kid, previous) = issuer::rotate(ctx.env, &project.id, &now().to_string()).await?;
    Ok(Response::from_json(&RotatedIssuerKey {
        kid,
        previous,
        jwks_url: IssuerUrls::new(&ctx.own, &project.id).jwks,
    })?)
}

/// `PUT /v1/brand` (secret key): replaces the brand public pages show.
pub async fn put_brand(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let brand: Brand = json_body(&mut req).await?;
    for (field, url) in [("site_url", &brand.site_url), ("logo_url", &brand.logo_url)] {
        if let Some(u) = url {
            check_url(field, u)?;
        }
    }
    for (field, colour) in [
        ("accent", &brand.accent),
        ("background", &brand.background),
        ("text", &brand.text),
    ] {
        if colour.as_deref().is_some_and(|c| !is_colour(c)) {
            return Err(bad(field, "a colour is #rrggbb"));
        }
    }
    ctx.env
        .d1(DB)?
        .prepare("UPDATE projects SET brand = ?2 WHERE id = ?1")
        .bind(&[
            project.id.as_str().into(),
            serde_json::to_string(&brand)?.into(),
        ])?
        .run()
        .await?;
    Ok(Response::from_json(&brand)?)
}

/// `https://…`, or `http://` on a loopback host (development).
fn check_url(field: &str, raw: &str) -> ApiResult<()> {
    let bad_url = || ApiError::bad(ErrorCode::InvalidUrl, "an https:// URL", Some(field));
    let url = url::Url::parse(raw).map_err(|_| bad_url())?;
    let loopback = crate::notify::endpoints::is_loopback(raw);
    if raw.len() > crate::notify::endpoints::MAX_URL_BYTES
        || !(url.scheme() == "https" || (url.scheme() == "http" && loopback))
    {
        return Err(bad_url());
    }
    Ok(())
}

/// `GET /v1/brand` (secret key).
pub async fn get_brand(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    #[derive(serde::Deserialize)]
    struct R {
        brand: String,
    }
    let r: R = ctx
        .env
        .d1(DB)?
        .prepare("SELECT brand FROM projects WHERE id = ?1")
        .bind(&[project.id.as_str().into()])?
        .first(None)
        .await?
        .ok_or_else(|| ApiError::not_found("project"))?;
    let brand: Brand = serde_json::from_str(&r.brand).unwrap_or_default();
    Ok(Response::from_json(&brand)?)
}

/// `POST /v1/client/attribution` (publishable key + user token): the widget found a
/// `cairn_ref` when this user identified.
pub async fn client_attribution(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let caller = auth::client(&req, ctx).await?;
    let body: ClientAttribution = json_body(&mut req).await?;
    let me: MeResponse = serde_json::from_value(
        super::users::view(
            ctx,
            &caller.project,
            &caller.claims.sub,
            None,
            &caller.locale,
        )
        .await?,
    )?;
    let known = me.totals.values().any(|v| *v > 0) || !me.awards.is_empty();
    attribution(
        ctx,
        &caller.project.id,
        &caller.claims.sub,
        &body.share_ref,
        known,
        "widget",
    )
    .await
}

/// `POST /v1/attributions` (secret key): the product's backend reports a signup from a share.
pub async fn server_attribution(mut req: Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(&req, ctx).await?;
    let body: ServerAttribution = json_body(&mut req).await?;
    check_id(&body.user_id, ErrorCode::InvalidUserId, "user_id")?;
    let me: MeResponse = serde_json::from_value(
        super::users::view(
            ctx,
            &project,
            &body.user_id,
            None,
            cairn_core::definitions::DEFAULT_LOCALE,
        )
        .await?,
    )?;
    let known = me.totals.values().any(|v| *v > 0) || !me.awards.is_empty();
    attribution(
        ctx,
        &project.id,
        &body.user_id,
        &body.share_ref,
        known,
        "server",
    )
    .await
}

async fn attribution(
    ctx: &Ctx<'_>,
    project: &str,
    user: &str,
    share_ref: &str,
    known: bool,
    source: &str,
) -> ApiResult<Response> {
    if !shares::is_share_id(share_ref) {
        return Err(bad("ref", "a share reference is sh_ and 32 hex digits"));
    }
    let share = shares::get(ctx.env, share_ref)
        .await?
        .filter(|s| s.project_id == project)
        .ok_or_else(|| ApiError::not_found("share"))?;
    let attributed = shares::attributed(ctx.env, project, user).await?;
    let reason = shares::refusal(&share, user, known, attributed);
    let now_t = now();
    let counted = match reason {
        Some(_) => false,
        None => {
            let counted =
                shares::attribute(ctx.env, &share, user, source, &now_t.to_string()).await?;
            if counted {
                let key = format!("{}.converted.{}", share.id, &user_key(user));
                let db = ctx.env.d1(DB)?;
                let statement = shares::webhook_statement(
                    &db,
                    "share.converted",
                    &key,
                    &share,
                    json!({
                        "share_id": share.id,
                        "award_id": share.award_id,
                        "milestone_key": share.milestone_key,
                        "sharer_user_id": share.user_id,
                        "user_id": user,
                        "source": source,
                        "converted_at": now_t.to_string(),
                    }),
                    &now_t.to_string(),
                    now_t.as_millisecond(),
                )?;
                statement.run().await?;
                notify::trigger(ctx.env, &[key]).await;
            }
            counted
        }
    };
    Ok(Response::from_json(&AttributionResult {
        share_id: share.id.clone(),
        counted,
        reason: match (reason, counted) {
            (Some(r), _) => Some(r.to_owned()),
            (None, false) => Some("already_attributed".to_owned()),
            (None, true) => None,
        },
    })?)
}

/// A short stable key of a user id for job ids (lowercase hex).
fn user_key(user: &str) -> String {
    use sha2::Digest;
    issuer::hex(
        sha2::Sha256::digest(user.as_bytes())
            .get(..8)
            .unwrap_or_default(),
    )
}

/// `GET /v1/shares/stats` (secret key): shares, visits, signups and conversion, per share and
/// per milestone.
pub async fn stats(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Response> {
    let project = auth::server(req, ctx).await?;
    Ok(Response::from_json(
        &shares::stats(ctx.env, &project.id).await?,
    )?)
}

/// `text` as a web origin (`https://app.example`, `http://127.0.0.1:8787`): an http(s) URL with
/// a host, serialized as its origin; `None` for anything else (`null`, `file://`, `data:`).
fn web_origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host().is_some();
    web.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::web_origin;

    #[test]
    fn only_web_origins_lead_a_share_back() {
        assert_eq!(
            web_origin("https://app.example").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            web_origin("http://127.0.0.1:8787").as_deref(),
            Some("http://127.0.0.1:8787")
        );
        for bad in [
            "null",
            "file://",
            "data:text/html,x",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(web_origin(bad), None, "{bad}");
        }
    }
}
