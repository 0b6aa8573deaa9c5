//! Who is calling: the deployment admin, a product's server (secret key), or one of its users
//! in a browser (publishable key + a user token signed by the product's backend).

use cairn_core::definitions::{DEFAULT_LOCALE, is_valid_locale};
use cairn_core::wire::{MAX_ID_BYTES, MAX_TOKEN_LIFETIME_SECS, UserClaims, headers};
use hmac::{Hmac, Mac};
use jwt::{Header, Token, VerifyWithKey};
use sha2::{Digest, Sha256};
use worker::{Env, Request};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::Project;
use crate::routes::Ctx;

/// Clock skew tolerated on token expiry, in seconds.
const SKEW_SECS: i64 = 60;

/// A browser call on behalf of one user.
#[derive(Debug)]
pub struct ClientCaller {
    pub project: Project,
    pub claims: UserClaims,
    /// Locale for titles: the token's, else `Accept-Language`'s first, else `en`.
    pub locale: String,
}

/// `Authorization: Bearer <token>`, if present.
fn bearer(req: &Request) -> ApiResult<Option<String>> {
    Ok(req
        .headers()
        .get("authorization")?
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())))
}

/// The user name of `Authorization: Basic …` (how Segment-style pipelines send a write key:
/// the key as user name, no password).
fn basic_user(req: &Request) -> ApiResult<Option<String>> {
    use base64::Engine;
    let Some(encoded) = req
        .headers()
        .get("authorization")?
        .and_then(|v| v.strip_prefix("Basic ").map(|t| t.trim().to_owned()))
    else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Ok(decoded.and_then(|d| d.split(':').next().map(str::to_owned)))
}

/// The deployment admin (`CAIRN_ADMIN_TOKEN`).
pub fn admin(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = env
        .secret("CAIRN_ADMIN_TOKEN")
        .map(|s| s.to_string())
        .map_err(|_| {
            ApiError::forbidden("this deployment has no admin token (CAIRN_ADMIN_TOKEN)")
        })?;
    let given = bearer(req)?.unwrap_or_default();
    // Compare digests, so the comparison time says nothing about the token.
    if given.is_empty() || Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::unauthorized("missing or wrong admin token"));
    }
    Ok(())
}

/// A product's server: `Authorization: Bearer sk_…`.
pub async fn server(req: &Request, ctx: &Ctx<'_>) -> ApiResult<Project> {
    let key = match bearer(req)? {
        Some(key) => Some(key),
        None => basic_user(req)?,
    };
    let key = key.filter(|k| k.starts_with("sk_") && k.len() <= MAX_KEY_BYTES);
    let Some(key) = key else {
        return Err(ApiError::unauthorized(
            "missing secret key: send Authorization: Bearer sk_…",
        ));
    };
    let project = Project::by_secret_key(ctx.env, &key, &ctx.ip)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown secret key"))?;
    limit(ctx.env, "SERVER_RATE_LIMITER", format!("sk:{}", project.id)).await?;
    Ok(project)
}

/// Longest key looked up (real ones are far shorter).
const MAX_KEY_BYTES: usize = 128;

/// Counts one key lookup (a key this isolate has not seen lately) against the caller's
/// address: a flood of made-up keys reaches D1 only at the address limit's pace.
pub async fn limit_address(env: &Env, ip: &str) -> ApiResult<()> {
    limit(env, "ADDRESS_RATE_LIMITER", format!("ip:{ip}")).await
}

/// Seconds a client waits after a 429 (the limiters' period).
const RATE_PERIOD_SECS: u32 = 10;

/// Counts one request against `binding` for `key`; 429 when over.
async fn limit(env: &Env, binding: &str, key: String) -> ApiResult<()> {
    // A deployment without the binding is not limited (e.g. an older wrangler.toml).
    let Ok(limiter) = env.rate_limiter(binding) else {
        return Ok(());
    };
    if limiter.limit(key).await?.success {
        Ok(())
    } else {
        Err(ApiError::rate_limited(RATE_PERIOD_SECS))
    }
}

/// A browser: `X-Cairn-Key: pk_…` and `Authorization: Bearer <user token>`.
/// `origin` is the page's (`Origin` header), `own` the API's: the project must allow it.
pub async fn client(req: &Request, ctx: &Ctx<'_>) -> ApiResult<ClientCaller> {
    let key = req.headers().get(headers::KEY)?.unwrap_or_default();
    let token = bearer(req)?;
    client_with(req, ctx, &key, token.as_deref()).await
}

/// A browser's WebSocket, which cannot send headers: `?key=pk_…&token=…`.
pub async fn client_from_query(req: &Request, ctx: &Ctx<'_>) -> ApiResult<ClientCaller> {
    #[derive(serde::Deserialize)]
    struct Query {
        #[serde(default)]
        key: String,
        #[serde(default)]
        token: Option<String>,
    }
    let q: Query = req
        .query()
        .map_err(|e| ApiError::bad(ErrorCode::InvalidQuery, e.to_string(), None))?;
    client_with(req, ctx, &q.key, q.token.as_deref()).await
}

async fn client_with(
    req: &Request,
    ctx: &Ctx<'_>,
    key: &str,
    token: Option<&str>,
) -> ApiResult<ClientCaller> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(ApiError::unauthorized(format!(
            "missing publishable key in {}",
            headers::KEY
        )));
    }
    let project = Project::by_publishable_key(ctx.env, key, &ctx.ip)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown publishable key"))?;
    // From here on the browser may read the answer only if the project allows its origin.
    let allowed = ctx
        .origin
        .as_deref()
        .is_none_or(|o| project.allows_origin(o, &ctx.own));
    ctx.cors.set(Some(allowed));
    if let Some(origin) = ctx.origin.as_deref().filter(|_| !allowed) {
        return Err(ApiError::forbidden(format!(
            "origin {origin} is not allowed for this project"
        )));
    }
    let token = token.ok_or_else(|| {
        ApiError::unauthorized("missing user token: send Authorization: Bearer <token>")
    })?;
    let now_secs = worker::Date::now().as_millis() as i64 / 1000;
    let claims = verify(token, &project.identity_secrets, now_secs)?;
    limit(
        ctx.env,
        "CLIENT_RATE_LIMITER",
        format!("{}:{}", project.id, claims.sub),
    )
    .await?;
    let locale = claims
        .traits
        .as_ref()
        .and_then(|t| t.locale.clone())
        .or(accept_language(req)?)
        .filter(|l| is_valid_locale(l))
        .unwrap_or_else(|| DEFAULT_LOCALE.to_owned());
    Ok(ClientCaller {
        project,
        claims,
        locale,
    })
}

/// The first language of `Accept-Language`.
pub fn accept_language(req: &Request) -> ApiResult<Option<String>> {
    Ok(req
        .headers()
        .get("accept-language")?
        .and_then(|v| v.split([',', ';']).next().map(|l| l.trim().to_owned())))
}

/// Verifies an HS256 user token against any of `secrets` (two during a rotation).
pub fn verify(token: &str, secrets: &[String], now_secs: i64) -> ApiResult<UserClaims> {
    let mut verified = None;
    for secret in secrets {
        let key: Hmac<Sha256> = Hmac::new_from_slice(secret.as_bytes())
            .map_err(|_| ApiError::internal("bad identity secret"))?;
        let result: Result<Token<Header, UserClaims, _>, jwt::Error> = token.verify_with_key(&key);
        match result {
            Ok(t) => {
                verified = Some(t.claims().clone());
                break;
            }
            // A signature made with another secret: try the next one (rotation).
            Err(jwt::Error::InvalidSignature | jwt::Error::RustCryptoMac(_)) => continue,
            Err(jwt::Error::AlgorithmMismatch(..)) => {
                return Err(ApiError::unauthorized(
                    "user token must be signed with HS256",
                ));
            }
            Err(e) => return Err(ApiError::unauthorized(format!("invalid user token: {e}"))),
        }
    }
    let claims =
        verified.ok_or_else(|| ApiError::unauthorized("user token signature does not match"))?;
    if claims.exp + SKEW_SECS < now_secs {
        return Err(ApiError::unauthorized("user token expired"));
    }
    if claims.exp - now_secs > MAX_TOKEN_LIFETIME_SECS + SKEW_SECS
        || claims
            .iat
            .is_some_and(|iat| claims.exp - iat > MAX_TOKEN_LIFETIME_SECS)
    {
        return Err(ApiError::unauthorized(
            "user tokens may be valid for at most 24 hours",
        ));
    }
    if claims.sub.is_empty() || claims.sub.len() > MAX_ID_BYTES {
        return Err(ApiError::unauthorized(format!(
            "user token sub must be 1 to {MAX_ID_BYTES} bytes"
        )));
    }
    if claims
        .acct
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.len() > MAX_ID_BYTES)
    {
        return Err(ApiError::unauthorized(format!(
            "user token acct must be 1 to {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(claims)
}

/// Signs a development token for the demo project (`GET /v1/demo/token`).
pub fn sign_demo_token(secret: &str, claims: &UserClaims) -> ApiResult<String> {
    use jwt::SignWithKey;
    let key: Hmac<Sha256> =
        Hmac::new_from_slice(secret.as_bytes()).map_err(|_| ApiError::internal("bad secret"))?;
    claims.sign_with_key(&key).map_err(ApiError::internal)
}

/// Who may read or act on a project's ledger and analytics: its server or a console member.
#[derive(Debug)]
pub struct Caller {
    pub project: Project,
    /// How the ledger names them: `api` or `console:EMAIL`.
    pub by: String,
}

/// A product's server (`Authorization: Bearer sk_…`) or a console session whose role is at
/// least `need`. A session's unsafe requests must come from the console itself (`Origin`),
/// on top of the cookie's `SameSite=Strict`.
pub async fn server_or_member(
    req: &Request,
    ctx: &Ctx<'_>,
    need: cairn_core::wire::Role,
) -> ApiResult<Caller> {
    if req.headers().get("authorization")?.is_some() {
        let project = server(req, ctx).await?;
        return Ok(Caller {
            project,
            by: "api".into(),
        });
    }
    let member = member(req, ctx, need).await?;
    Ok(Caller {
        by: member.by(),
        project: member.project,
    })
}

/// A console session whose role is at least `need` (see [`server_or_member`]).
pub async fn member(
    req: &Request,
    ctx: &Ctx<'_>,
    need: cairn_core::wire::Role,
) -> ApiResult<crate::console::Signed> {
    let Some(member) = crate::console::session(req, ctx.env, &ctx.ip).await? else {
        return Err(ApiError::unauthorized(
            "not signed in: open a console sign-in link, or send Authorization: Bearer sk_…",
        ));
    };
    if member.role < need {
        return Err(ApiError::forbidden(format!(
            "a {} cannot do this: it needs the {} role",
            member.role.as_str(),
            need.as_str()
        )));
    }
    let safe = matches!(req.method(), worker::Method::Get | worker::Method::Head);
    if !safe && ctx.origin.as_deref() != Some(ctx.own.as_str()) {
        return Err(ApiError::forbidden(
            "a console session's changes must come from the console's own origin",
        ));
    }
    Ok(member)
}
