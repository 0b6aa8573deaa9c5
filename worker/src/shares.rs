//! Shared badges: the rows behind `/s/{share_id}` (made public by their owner through the
//! widget, revoked by them, removed with them on erasure), their visits (one per visitor per
//! day, a salted hash, bots not counted) and the signups they brought (attribution).
//!
//! What a page shows is copied into the share when it is made (`badge`: title, criteria and
//! art in the award's locale, the message and the name the user chose), so a public page never
//! needs the user's Durable Object and shows nothing the user did not choose to show.

use cairn_core::wire::{ShareFunnel, ShareStats, ShareStatsRow, ShareView};
use cairn_share::{Badge, Issuer, Theme, Urls, links};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use worker::Env;

use crate::crypto;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::issuer::hex;
use crate::project::DB;

/// A share as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: String,
    pub project_id: String,
    pub award_id: String,
    pub user_id: String,
    pub milestone_key: String,
    pub badge: String,
    pub origin: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub visits: i64,
    pub signups: i64,
    pub status_index: i64,
}

impl Row {
    pub fn badge(&self) -> ApiResult<Badge> {
        Ok(serde_json::from_str(&self.badge)?)
    }
}

/// A share with its project's public face.
#[derive(Debug, Clone)]
pub struct Public {
    pub row: Row,
    pub badge: Badge,
    pub issuer: Issuer,
    pub urls: Urls,
}

/// `sh_` and 32 hex digits: 128 random bits.
pub fn new_id() -> ApiResult<String> {
    Ok(format!("sh_{}", hex(&crypto::random_bytes(16)?)))
}

/// Whether `id` has the form [`new_id`] makes.
pub fn is_share_id(id: &str) -> bool {
    id.strip_prefix("sh_")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

const COLUMNS: &str = "id, project_id, award_id, user_id, milestone_key, badge, origin, created_at, revoked_at, visits, signups, status_index";

/// The project's revocation bitstring, GZIP-compressed and multibase-encoded (`u` + base64url),
/// for its `BitstringStatusListCredential`.
pub async fn encoded_status_list(env: &Env, project: &str) -> ApiResult<String> {
    use base64::Engine;
    use std::io::Write;
    #[derive(Deserialize)]
    struct R {
        status_index: i64,
        revoked: i64,
    }
    let rows: Vec<R> = env
        .d1(DB)?
        .prepare(
            "SELECT status_index, revoked_at IS NOT NULL AS revoked FROM shares WHERE project_id = ?1 \
             UNION ALL SELECT status_index, 1 FROM share_tombstones WHERE project_id = ?1",
        )
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    let highest = rows
        .iter()
        .map(|r| r.status_index.max(0) as u64)
        .max()
        .unwrap_or(0);
    let revoked: Vec<u64> = rows
        .iter()
        .filter(|r| r.revoked != 0)
        .map(|r| r.status_index.max(0) as u64)
        .collect();
    let bits = cairn_share::credential::bitstring(&revoked, highest);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bits).map_err(ApiError::internal)?;
    let zipped = gz.finish().map_err(ApiError::internal)?;
    Ok(format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(zipped)
    ))
}

/// Share `id`, revoked or not.
pub async fn get(env: &Env, id: &str) -> ApiResult<Option<Row>> {
    Ok(env
        .d1(DB)?
        .prepare(format!("SELECT {COLUMNS} FROM shares WHERE id = ?1"))
        .bind(&[id.into()])?
        .first(None)
        .await?)
}

/// `user`'s live share of `award`, if any.
pub async fn live_for(env: &Env, project: &str, award: &str, user: &str) -> ApiResult<Option<Row>> {
    Ok(env
        .d1(DB)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM shares WHERE project_id = ?1 AND award_id = ?2 AND user_id = ?3 AND revoked_at IS NULL"
        ))
        .bind(&[project.into(), award.into(), user.into()])?
        .first(None)
        .await?)
}

/// `user`'s live shares, newest first.
pub async fn live_of(env: &Env, project: &str, user: &str) -> ApiResult<Vec<Row>> {
    Ok(env
        .d1(DB)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM shares WHERE project_id = ?1 AND user_id = ?2 AND revoked_at IS NULL ORDER BY created_at DESC"
        ))
        .bind(&[project.into(), user.into()])?
        .all()
        .await?
        .results()?)
}

/// The project's public face: its name and brand, with defaults for what it did not set.
pub async fn issuer(
    env: &Env,
    project: &str,
    origin: &str,
    fallback_site: &str,
) -> ApiResult<Issuer> {
    let p: Face = env
        .d1(DB)?
        .prepare("SELECT name, brand FROM projects WHERE id = ?1")
        .bind(&[project.into()])?
        .first(None)
        .await?
        .ok_or_else(|| ApiError::not_found("project"))?;
    Ok(p.issuer(project, origin, fallback_site))
}

/// A project's name and brand, as stored.
#[derive(Deserialize)]
struct Face {
    name: String,
    brand: String,
}

impl Face {
    fn issuer(self, project: &str, origin: &str, fallback_site: &str) -> Issuer {
        let brand: cairn_core::wire::Brand = serde_json::from_str(&self.brand).unwrap_or_default();
        let theme = Theme::default();
        Issuer {
            id: cairn_share::credential::IssuerUrls::new(origin, project).profile,
            name: self.name,
            url: brand.site_url.unwrap_or_else(|| fallback_site.to_owned()),
            logo: brand.logo_url,
            theme: Theme {
                accent: brand.accent.unwrap_or(theme.accent),
                background: brand.background.unwrap_or(theme.background),
                text: brand.text.unwrap_or(theme.text),
            },
        }
    }
}

/// Share `id` as the public sees it: `Ok(None)` when unknown, `Err(Gone)` when revoked (its
/// locale, for the page that says so).
pub async fn public(
    env: &Env,
    id: &str,
    origin: &str,
) -> ApiResult<Result<Public, Option<String>>> {
    if !is_share_id(id) {
        return Ok(Err(None));
    }
    // One read: the share and its project's face (no `serde(flatten)`: it would buffer D1's
    // numbers as floats).
    #[derive(Deserialize)]
    struct Joined {
        id: String,
        project_id: String,
        award_id: String,
        user_id: String,
        milestone_key: String,
        badge: String,
        origin: String,
        created_at: String,
        revoked_at: Option<String>,
        visits: i64,
        signups: i64,
        status_index: i64,
        project_name: String,
        project_brand: String,
    }
    let joined: Option<Joined> = env
        .d1(DB)?
        .prepare(format!(
            "SELECT {}, p.name AS project_name, p.brand AS project_brand \
             FROM shares s JOIN projects p ON p.id = s.project_id WHERE s.id = ?1",
            COLUMNS
                .split(", ")
                .map(|c| format!("s.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let Some(j) = joined else {
        return Ok(Err(None));
    };
    let (project_name, project_brand) = (j.project_name, j.project_brand);
    let row = Row {
        id: j.id,
        project_id: j.project_id,
        award_id: j.award_id,
        user_id: j.user_id,
        milestone_key: j.milestone_key,
        badge: j.badge,
        origin: j.origin,
        created_at: j.created_at,
        revoked_at: j.revoked_at,
        visits: j.visits,
        signups: j.signups,
        status_index: j.status_index,
    };
    let badge = row.badge()?;
    if row.revoked_at.is_some() {
        return Ok(Err(Some(badge.locale)));
    }
    let face = Face {
        name: project_name,
        brand: project_brand,
    };
    let issuer = face.issuer(&row.project_id, origin, &row.origin);
    let urls = Urls::new(origin, &row.id, &issuer.url);
    Ok(Ok(Public {
        row,
        badge,
        issuer,
        urls,
    }))
}

/// The API's view of a share.
pub fn view(row: &Row, badge: &Badge, issuer: &Issuer, origin: &str) -> ShareView {
    let urls = Urls::new(origin, &row.id, &issuer.url);
    let text = if badge.message.is_empty() {
        badge.title.clone()
    } else {
        badge.message.clone()
    };
    ShareView {
        share_id: row.id.clone(),
        award_id: row.award_id.clone(),
        milestone: row.milestone_key.clone(),
        linkedin_add_url: links::add_to_profile(badge, issuer, &urls),
        linkedin_share_url: links::linkedin_share(&urls.page),
        x_url: links::x_intent(&text, &urls.page),
        url: urls.page,
        image_url: urls.image,
        credential_url: urls.credential,
        message: badge.message.clone(),
        display_name: badge.display_name.clone(),
        created_at: row.created_at.clone(),
    }
}

/// Known crawlers and link-preview fetchers (lowercase substrings of `User-Agent`): their
/// requests render the page but are not visits.
const BOTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "embedly",
    "quora link preview",
    "whatsapp",
    "telegram",
    "skypeuripreview",
    "preview",
    "vkshare",
    "pinterest",
    "headless",
    "lighthouse",
    "curl/",
    "wget/",
    "python-requests",
    "httpclient",
    "okhttp",
    "go-http-client",
    "node-fetch",
    "undici",
    "axios",
    "ureq",
];

/// Whether `user_agent` is a bot's (an empty one counts as a bot).
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || BOTS.iter().any(|b| ua.contains(b))
}

/// The visitor's hash for `day`: SHA-256 of a salt derived from the deployment secret and the
/// day, the address and the user agent. Neither is stored; tomorrow's hash of the same person
/// differs, so visits cannot be joined across days.
pub fn visitor(secret: &str, day: &str, ip: &str, user_agent: &str) -> String {
    let mut h = Sha256::new();
    for part in ["cairn-visit", secret, day, ip, user_agent] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex(h.finalize().get(..16).unwrap_or_default())
}

/// Counts one visit of `share` (idempotent per visitor and day).
pub async fn count_visit(env: &Env, share: &str, day: &str, visitor: &str) -> ApiResult<()> {
    let db = env.d1(DB)?;
    db.batch(vec![
        db.prepare("INSERT OR IGNORE INTO share_visits (share_id, day, visitor) VALUES (?1, ?2, ?3)")
            .bind(&[share.into(), day.into(), visitor.into()])?,
        db.prepare(
            "UPDATE shares SET visits = (SELECT count(*) FROM share_visits WHERE share_id = ?1) WHERE id = ?1",
        )
        .bind(&[share.into()])?,
    ])
    .await?;
    Ok(())
}

/// The deployment secret that salts visitor hashes.
pub fn visit_salt(env: &Env) -> String {
    crypto::deployment_secret(env).unwrap_or_default()
}

/// Why a reported signup does not count, if it does not.
pub fn refusal(share: &Row, user: &str, known: bool, attributed: bool) -> Option<&'static str> {
    if share.user_id == user {
        Some("self_referral")
    } else if attributed {
        Some("already_attributed")
    } else if known {
        Some("not_new")
    } else {
        None
    }
}

/// Records that `user` signed up through `share` (the caller checked [`refusal`]); `false`
/// if another report won the race.
pub async fn attribute(
    env: &Env,
    share: &Row,
    user: &str,
    source: &str,
    now: &str,
) -> ApiResult<bool> {
    let db = env.d1(DB)?;
    let results = db
        .batch(vec![
            db.prepare(
                "INSERT OR IGNORE INTO attributions (project_id, user_id, share_id, source, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                share.project_id.as_str().into(),
                user.into(),
                share.id.as_str().into(),
                source.into(),
                now.into(),
            ])?,
            db.prepare(
                "UPDATE shares SET signups = (SELECT count(*) FROM attributions WHERE share_id = ?1) WHERE id = ?1",
            )
            .bind(&[share.id.as_str().into()])?,
        ])
        .await?;
    let changed = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0);
    Ok(changed > 0)
}

/// Whether `user` of `project` was already attributed to a share.
pub async fn attributed(env: &Env, project: &str, user: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct R {
        #[allow(dead_code)]
        share_id: String,
    }
    let row: Option<R> = env
        .d1(DB)?
        .prepare("SELECT share_id FROM attributions WHERE project_id = ?1 AND user_id = ?2")
        .bind(&[project.into(), user.into()])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

fn funnel(shares: u64, visits: u64, signups: u64) -> ShareFunnel {
    ShareFunnel {
        shares,
        visits,
        signups,
        conversion_rate: (visits > 0).then(|| signups as f64 / visits as f64),
    }
}

/// `GET /v1/shares/stats`: per share, per milestone and in all.
pub async fn stats(env: &Env, project: &str) -> ApiResult<ShareStats> {
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM shares WHERE project_id = ?1 ORDER BY created_at DESC, id"
        ))
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    let mut milestones: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
    let (mut visits, mut signups) = (0u64, 0u64);
    let mut shares = Vec::with_capacity(rows.len());
    for r in &rows {
        let (v, s) = (r.visits.max(0) as u64, r.signups.max(0) as u64);
        let m = milestones.entry(r.milestone_key.clone()).or_default();
        *m = (m.0 + 1, m.1 + v, m.2 + s);
        visits += v;
        signups += s;
        shares.push(ShareStatsRow {
            share_id: r.id.clone(),
            award_id: r.award_id.clone(),
            milestone: r.milestone_key.clone(),
            created_at: r.created_at.clone(),
            revoked: r.revoked_at.is_some(),
            funnel: funnel(1, v, s),
        });
    }
    Ok(ShareStats {
        total: funnel(rows.len() as u64, visits, signups),
        milestones: milestones
            .into_iter()
            .map(|(k, (n, v, s))| (k, funnel(n, v, s)))
            .collect(),
        shares,
    })
}

/// Erasure: the user's shares (their pages answer 404 from now on; their status bits stay set,
/// as tombstones), their visits, and their own attribution. Counts of other shares they converted keep the signup, without the user.
pub fn erase_statements(
    db: &worker::D1Database,
    project: &str,
    user: &str,
) -> ApiResult<Vec<worker::D1PreparedStatement>> {
    Ok(vec![
        db.prepare(
            "INSERT OR IGNORE INTO share_tombstones (project_id, status_index) \
             SELECT project_id, status_index FROM shares WHERE project_id = ?1 AND user_id = ?2",
        )
        .bind(&[project.into(), user.into()])?,
        db.prepare(
            "DELETE FROM share_visits WHERE share_id IN (SELECT id FROM shares WHERE project_id = ?1 AND user_id = ?2)",
        )
        .bind(&[project.into(), user.into()])?,
        db.prepare(
            "DELETE FROM attributions WHERE share_id IN (SELECT id FROM shares WHERE project_id = ?1 AND user_id = ?2)",
        )
        .bind(&[project.into(), user.into()])?,
        db.prepare("DELETE FROM shares WHERE project_id = ?1 AND user_id = ?2")
            .bind(&[project.into(), user.into()])?,
        db.prepare("UPDATE attributions SET user_id = 'erased:' || hex(randomblob(8)) WHERE project_id = ?1 AND user_id = ?2")
            .bind(&[project.into(), user.into()])?,
    ])
}

/// A bad value in a share request.
pub fn bad(field: &str, message: &str) -> ApiError {
    ApiError::bad(ErrorCode::InvalidBody, message, Some(field))
}

/// The statement that makes `event`'s webhook jobs (`share.created`, `share.converted`), one per
/// subscribed endpoint; `key` names the occurrence (the job ids are `msg_{key}.{endpoint}`).
pub fn webhook_statement(
    db: &worker::D1Database,
    event: &str,
    key: &str,
    row: &Row,
    data: serde_json::Value,
    at: &str,
    now_ms: i64,
) -> ApiResult<worker::D1PreparedStatement> {
    let body = serde_json::json!({ "type": event, "timestamp": at, "data": data }).to_string();
    Ok(db
        .prepare(
            "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
             SELECT 'msg_' || ?2 || '.' || substr(e.id, 4), ?1, ?2, ?3, 'webhook', e.id, ?4, ?5, 'pending', ?6, \
             strftime('%Y-%m-%dT%H:%M:%fZ', ?6 / 1000.0, 'unixepoch') \
             FROM webhook_endpoints e WHERE e.project_id = ?1 AND e.enabled = 1 AND e.created_ms <= ?6 \
             AND EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE value = ?4)",
        )
        .bind(&[
            row.project_id.as_str().into(),
            key.into(),
            format!("user:{}", row.user_id).into(),
            event.into(),
            body.into(),
            (now_ms as f64).into(),
        ])?)
}
