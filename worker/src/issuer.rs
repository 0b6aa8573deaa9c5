//! The project as an Open Badges issuer: its signing keys (one RS256 pair per project,
//! generated on first need or at creation through Web Crypto, the private half sealed with
//! `CAIRN_SECRETS_KEY`), rotation (the old public key stays published), and VC-JWT signing.
//!
//! A JWT's compact form is three base64url parts; the signature is Web Crypto's. Cairn only
//! issues tokens here, it never parses one it did not make.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use worker::Env;

use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::project::DB;

/// A published public key.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub kid: String,
    pub jwk: Value,
}

#[derive(Deserialize)]
struct KeyRow {
    kid: String,
    public_jwk: String,
    #[allow(dead_code)]
    retired_at: Option<String>,
}

/// Every public key of `project`, current first.
pub async fn public_keys(env: &Env, project: &str) -> ApiResult<Vec<PublicKey>> {
    let rows: Vec<KeyRow> = env
        .d1(DB)?
        .prepare(
            "SELECT kid, public_jwk, retired_at FROM issuer_keys WHERE project_id = ?1 \
             ORDER BY retired_at IS NOT NULL, created_at DESC",
        )
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    rows.into_iter()
        .map(|r| {
            Ok(PublicKey {
                jwk: serde_json::from_str(&r.public_jwk)?,
                kid: r.kid,
            })
        })
        .collect()
}

/// Makes a new current key for `project` (retiring the current one, if any); returns the new
/// and the previous kid.
pub async fn rotate(env: &Env, project: &str, now: &str) -> ApiResult<(String, Option<String>)> {
    let previous = current_kid(env, project).await?;
    let kid = new_key(env, project, now, previous.as_deref()).await?;
    Ok((kid, previous))
}

/// Makes sure `project` has a current key (the first one is made on first need).
pub async fn ensure_key(env: &Env, project: &str, now: &str) -> ApiResult<()> {
    if current_kid(env, project).await?.is_none() {
        // Two first requests at once: the unique index keeps one, the other insert fails
        // harmlessly and its key is discarded.
        if let Err(e) = new_key(env, project, now, None).await
            && current_kid(env, project).await?.is_none()
        {
            return Err(e);
        }
    }
    Ok(())
}

async fn current_kid(env: &Env, project: &str) -> ApiResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        kid: String,
    }
    let row: Option<Row> = env
        .d1(DB)?
        .prepare("SELECT kid FROM issuer_keys WHERE project_id = ?1 AND retired_at IS NULL")
        .bind(&[project.into()])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.kid))
}

async fn new_key(env: &Env, project: &str, now: &str, retire: Option<&str>) -> ApiResult<String> {
    let kid = format!("k{}", hex(&crypto::random_bytes(8)?));
    let (mut public, private) = crypto::generate_rs256().await?;
    if let Some(map) = public.as_object_mut() {
        map.remove("key_ops");
        map.remove("ext");
        map.insert("kid".into(), kid.clone().into());
        map.insert("alg".into(), "RS256".into());
        map.insert("use".into(), "sig".into());
    }
    let sealed = crypto::seal(env, project, &private).await?;
    let db = env.d1(DB)?;
    let mut batch = Vec::new();
    if let Some(old) = retire {
        batch.push(
            db.prepare("UPDATE issuer_keys SET retired_at = ?3 WHERE project_id = ?1 AND kid = ?2")
                .bind(&[project.into(), old.into(), now.into()])?,
        );
    }
    batch.push(
        db.prepare(
            "INSERT INTO issuer_keys (project_id, kid, public_jwk, private_sealed, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            project.into(),
            kid.as_str().into(),
            public.to_string().into(),
            sealed.into(),
            now.into(),
        ])?,
    );
    db.batch(batch).await?;
    Ok(kid)
}

/// The compact VC-JWT of `claims`, signed with `project`'s current key; `kid_url` maps the
/// key's id to the URL its header names.
pub async fn sign_jwt(
    env: &Env,
    project: &str,
    now: &str,
    claims: &Value,
    kid_url: impl Fn(&str) -> String,
) -> ApiResult<String> {
    ensure_key(env, project, now).await?;
    #[derive(Deserialize)]
    struct Row {
        kid: String,
        private_sealed: String,
    }
    let row: Row = env
        .d1(DB)?
        .prepare(
            "SELECT kid, private_sealed FROM issuer_keys WHERE project_id = ?1 AND retired_at IS NULL",
        )
        .bind(&[project.into()])?
        .first(None)
        .await?
        .ok_or_else(|| ApiError::internal("issuer key vanished"))?;
    let private = crypto::open(env, project, &row.private_sealed).await?;
    let header = cairn_share::credential::jwt_header(&kid_url(&row.kid));
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = crypto::sign_rs256(&private, input.as_bytes()).await?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
