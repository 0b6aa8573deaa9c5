//! Webhook endpoints: their rows, their secrets (sealed, see [`crate::crypto`]), the checks on
//! their URLs, and the one HTTP call a delivery makes.

use cairn_core::wire::{
    Delivery, DeliveryAttempt, DeliveryPage, WEBHOOK_EVENT_TYPES, WebhookEndpoint,
};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, Url};

use super::schedule::{Answer, Verdict};
use crate::crypto;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::DB;

/// Longest endpoint URL.
pub const MAX_URL_BYTES: usize = 2048;
/// Endpoints per project.
pub const MAX_ENDPOINTS: usize = 20;

/// Whether `url`'s host is a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks an endpoint URL: `https://` on a public host, no credentials, at most
/// [`MAX_URL_BYTES`]. In development (`dev`), `http://` and loopback hosts are accepted too.
pub fn check_url(raw: &str, dev: bool) -> ApiResult<String> {
    let bad = |m: &str| ApiError::bad(ErrorCode::InvalidUrl, m, Some("url"));
    if raw.len() > MAX_URL_BYTES {
        return Err(bad("the url must be at most 2048 bytes"));
    }
    let url = Url::parse(raw).map_err(|e| bad(&format!("the url does not parse: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("the url must not carry credentials"));
    }
    let loopback = is_loopback(raw);
    match url.scheme() {
        "https" => {}
        "http" if dev && loopback => {}
        _ => return Err(bad("the url must be https://")),
    }
    let private = match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => return Err(bad("the url has no host")),
    };
    if private && !(dev && loopback) {
        return Err(bad("the url must be a public address"));
    }
    Ok(url.to_string())
}

/// Checks a list of event types (each known, none twice, at least one).
pub fn check_event_types(types: Option<Vec<String>>) -> ApiResult<Vec<String>> {
    let Some(types) = types else {
        return Ok(WEBHOOK_EVENT_TYPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect());
    };
    if types.is_empty() {
        return Err(ApiError::bad(
            ErrorCode::InvalidEventType,
            "give at least one event type",
            Some("event_types"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for (i, t) in types.into_iter().enumerate() {
        if !WEBHOOK_EVENT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::bad(
                ErrorCode::InvalidEventType,
                format!(
                    "unknown event type (known: {})",
                    WEBHOOK_EVENT_TYPES.join(", ")
                ),
                Some(&format!("event_types[{i}]")),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// An endpoint's row (secrets still sealed).
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: String,
    pub url: String,
    pub event_types: String,
    pub description: String,
    pub enabled: f64,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<f64>,
    pub failing_since: Option<f64>,
    pub created_at: String,
}

const COLUMNS: &str = "id, url, event_types, description, enabled, disabled_reason, secret, previous_secret, previous_until, failing_since, created_at";

fn time(ms: f64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms as i64)
        .ok()
        .map(|t| t.to_string())
}

impl Row {
    /// The endpoint as the API shows it (no secret).
    pub fn view(&self, now_ms: i64) -> WebhookEndpoint {
        WebhookEndpoint {
            id: self.id.clone(),
            url: self.url.clone(),
            event_types: serde_json::from_str(&self.event_types).unwrap_or_default(),
            description: self.description.clone(),
            enabled: self.enabled != 0.0,
            disabled_reason: self.disabled_reason.clone(),
            failing_since: self.failing_since.and_then(time),
            previous_secret_until: self
                .previous_until
                .filter(|u| *u as i64 > now_ms && self.previous_secret.is_some())
                .and_then(time),
            created_at: self.created_at.clone(),
        }
    }
}

/// The project's endpoints, oldest first.
pub async fn list(env: &Env, project: &str) -> ApiResult<Vec<Row>> {
    Ok(env
        .d1(DB)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE project_id = ?1 ORDER BY created_ms, id"
        ))
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?)
}

/// One endpoint of the project.
pub async fn get(env: &Env, project: &str, id: &str) -> ApiResult<Row> {
    env.d1(DB)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE project_id = ?1 AND id = ?2"
        ))
        .bind(&[project.into(), id.into()])?
        .first(None)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// What a delivery needs of its endpoint: the URL and every secret that signs now.
pub struct ForDelivery {
    pub url: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secrets: Vec<String>,
    pub failing_since: Option<i64>,
}

pub async fn load_for_delivery(
    env: &Env,
    project: &str,
    id: &str,
) -> ApiResult<Option<ForDelivery>> {
    let row = match get(env, project, id).await {
        Ok(row) => row,
        Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let now_ms = crate::subject::now().as_millisecond();
    let mut secrets = vec![crypto::open(env, project, &row.secret).await?];
    if let (Some(previous), Some(until)) = (&row.previous_secret, row.previous_until)
        && until as i64 > now_ms
    {
        secrets.push(crypto::open(env, project, previous).await?);
    }
    Ok(Some(ForDelivery {
        url: row.url,
        enabled: row.enabled != 0.0,
        disabled_reason: row.disabled_reason,
        secrets,
        failing_since: row.failing_since.map(|f| f as i64),
    }))
}

/// POSTs one delivery; the answer's status (and `Retry-After`), or why there was none.
pub async fn post(
    url: &str,
    id: &str,
    timestamp: i64,
    signature: &str,
    body: &str,
) -> Result<Answer, String> {
    let timestamp = timestamp.to_string();
    let headers = [
        ("content-type", "application/json"),
        ("webhook-id", id),
        ("webhook-timestamp", timestamp.as_str()),
        ("webhook-signature", signature),
    ];
    super::http::post(url, body, &headers)
        .await
        .map(|(answer, _)| answer)
}

/// What an attempt's verdict does to its endpoint: a success clears its failures, a failure
/// starts them, a disabling verdict disables it.
pub fn after_attempt(
    db: &D1Database,
    project: &str,
    id: &str,
    verdict: &Verdict,
    now_ms: i64,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let statement = match verdict {
        Verdict::Delivered => db
            .prepare("UPDATE webhook_endpoints SET failing_since = NULL WHERE project_id = ?1 AND id = ?2")
            .bind(&[project.into(), id.into()])?,
        Verdict::Retry { .. } | Verdict::Failed { .. } => db
            .prepare(
                "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?3) WHERE project_id = ?1 AND id = ?2",
            )
            .bind(&[project.into(), id.into(), (now_ms as f64).into()])?,
        Verdict::Disable { reason } => db
            .prepare(
                "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?3 WHERE project_id = ?1 AND id = ?2",
            )
            .bind(&[project.into(), id.into(), reason.as_str().into()])?,
    };
    Ok(vec![statement])
}

/// Which jobs a listing shows.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// A webhook endpoint's id, `slack`, `loops`, an email address…
    pub target: Option<&'a str>,
    /// `webhook`, `slack`, `loops`, `recap`, `posthog`, `intercom`.
    pub channel: Option<&'a str>,
    /// `user:ID` or `account:ID`.
    pub subject: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// One page of an endpoint's deliveries, newest first, each with its attempts.
pub async fn deliveries(
    env: &Env,
    project: &str,
    filter: &Filter<'_>,
    cursor: Option<&str>,
    limit: u32,
) -> ApiResult<DeliveryPage> {
    #[derive(Deserialize)]
    struct JobRow {
        id: String,
        channel: String,
        subject: String,
        event_type: String,
        award_id: String,
        state: String,
        reason: Option<String>,
        due_ms: f64,
        created_at: String,
        finished_at: Option<String>,
    }
    #[derive(Deserialize)]
    struct AttemptRow {
        job_id: String,
        attempt: f64,
        at: String,
        status: Option<f64>,
        latency_ms: f64,
        error: Option<String>,
        next_ms: Option<f64>,
    }
    let db = env.d1(DB)?;
    // The cursor is the last page's last `created_at` and id.
    let (before_at, before_id) = match cursor.and_then(|c| c.split_once('|')) {
        Some((at, id)) => (at.to_owned(), id.to_owned()),
        None if cursor.is_some() => {
            return Err(ApiError::bad(
                ErrorCode::InvalidQuery,
                "cursor is not one this API gave",
                Some("cursor"),
            ));
        }
        None => ("9999".to_owned(), String::new()),
    };
    let limit = limit.clamp(1, 100);
    let jobs: Vec<JobRow> = db
        .prepare(
            "SELECT id, channel, subject, event_type, award_id, state, reason, due_ms, created_at, finished_at FROM notify_jobs \
             WHERE project_id = ?1 AND (?2 IS NULL OR target = ?2) AND (?3 IS NULL OR state = ?3) \
             AND (?7 IS NULL OR channel = ?7) AND (?8 IS NULL OR subject = ?8) \
             AND (created_at < ?4 OR (created_at = ?4 AND id < ?5)) \
             ORDER BY created_at DESC, id DESC LIMIT ?6",
        )
        .bind(&[
            project.into(),
            filter.target.map_or(JsValue::NULL, Into::into),
            filter.state.map_or(JsValue::NULL, Into::into),
            before_at.as_str().into(),
            before_id.as_str().into(),
            f64::from(limit).into(),
            filter.channel.map_or(JsValue::NULL, Into::into),
            filter.subject.map_or(JsValue::NULL, Into::into),
        ])?
        .all()
        .await?
        .results()?;
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    let attempts: Vec<AttemptRow> = db
        .prepare(
            "SELECT job_id, attempt, at, status, latency_ms, error, next_ms FROM notify_attempts \
             WHERE job_id IN (SELECT value FROM json_each(?1)) ORDER BY job_id, attempt",
        )
        .bind(&[serde_json::to_string(&ids)?.into()])?
        .all()
        .await?
        .results()?;
    let next_cursor = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| format!("{}|{}", j.created_at, j.id)))
        .flatten();
    let deliveries = jobs
        .into_iter()
        .map(|j| Delivery {
            attempts: attempts
                .iter()
                .filter(|a| a.job_id == j.id)
                .map(|a| DeliveryAttempt {
                    attempt: a.attempt as i64,
                    at: a.at.clone(),
                    status: a.status.and_then(|s| u16::try_from(s as i64).ok()),
                    latency_ms: a.latency_ms as i64,
                    error: a.error.clone(),
                    next_attempt_at: a.next_ms.and_then(time),
                })
                .collect(),
            next_attempt_at: (j.state == "pending").then(|| time(j.due_ms)).flatten(),
            id: j.id,
            channel: j.channel,
            subject: j.subject,
            event_type: j.event_type,
            award_id: j.award_id,
            state: j.state,
            reason: j.reason,
            created_at: j.created_at,
            finished_at: j.finished_at,
        })
        .collect();
    Ok(DeliveryPage {
        deliveries,
        next_cursor,
    })
}

/// Starts a new round of attempts for a delivery (at once); answers whether it exists.
pub async fn retry(env: &Env, project: &str, endpoint: &str, delivery: &str) -> ApiResult<bool> {
    let now_ms = crate::subject::now().as_millisecond();
    let result = env
        .d1(DB)?
        .prepare(
            "UPDATE notify_jobs SET state = 'pending', reason = NULL, round_start = attempts, due_ms = ?4, \
             lease_ms = 0, finished_at = NULL WHERE project_id = ?1 AND target = ?2 AND id = ?3 \
             AND (state <> 'pending' OR lease_ms < ?4)",
        )
        .bind(&[
            project.into(),
            endpoint.into(),
            delivery.into(),
            (now_ms as f64).into(),
        ])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn refused(url: &str, dev: bool) {
        let e = check_url(url, dev).expect_err(url);
        assert_eq!(e.code, ErrorCode::InvalidUrl, "{url}");
    }

    #[test]
    fn endpoint_urls() {
        assert_eq!(
            check_url("https://hooks.example.com/cairn", false).unwrap(),
            "https://hooks.example.com/cairn"
        );
        refused("http://hooks.example.com/", false);
        refused("http://hooks.example.com/", true);
        refused("ftp://hooks.example.com/", false);
        refused("https://user:pw@hooks.example.com/", false);
        refused("https://127.0.0.1/", false);
        refused("https://10.0.0.8/", false);
        refused("https://192.168.1.1/", false);
        refused("https://169.254.169.254/latest/meta-data", false);
        refused("https://[::1]/", false);
        refused("https://localhost/", false);
        refused("not a url", false);
        refused(&format!("https://a.example/{}", "x".repeat(2048)), false);
        // Development: loopback receivers, plain http.
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://localhost:9000/hook", true).is_ok());
        refused("http://10.0.0.8/", true);
    }

    #[test]
    fn event_types() {
        assert_eq!(
            check_event_types(None).unwrap().len(),
            WEBHOOK_EVENT_TYPES.len()
        );
        assert_eq!(
            check_event_types(Some(vec!["milestone.seen".into(), "milestone.seen".into()]))
                .unwrap(),
            ["milestone.seen"]
        );
        let e = check_event_types(Some(vec!["milestone.seen".into(), "nope".into()])).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("event_types[1]"));
        assert!(check_event_types(Some(vec![])).is_err());
    }
}
