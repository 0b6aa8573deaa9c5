//! The product's analytics tools hear every milestone: PostHog (`POST {host}/i/v0/e/`, one
//! event `milestone_achieved` with the milestone, tier, kind, value and holdout flag, and the
//! user's milestone list as `$set`) and Intercom (`POST {api}/events`, `milestone-achieved`
//! with flat metadata). Each is a job like any other: logged, retried, deduplicated (PostHog by
//! the event's `uuid`, derived from the job id).

use cairn_core::wire::{IntercomSettings, LedgerRow, PostHogSettings};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use worker::{D1Database, Env};

use super::{Attempt, Job, Settings, Tried, http, now};
use crate::error::ApiResult;
use crate::integrations::{self, INTERCOM_API, POSTHOG_HOST};

/// A stable UUID (RFC 4122 layout, version 8: custom) for job `id`.
pub fn uuid_for(id: &str) -> String {
    let d = Sha256::digest(id.as_bytes());
    let mut b: Vec<u8> = d.iter().take(16).copied().collect();
    if let Some(v) = b.get_mut(6) {
        *v = (*v & 0x0f) | 0x80;
    }
    if let Some(v) = b.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default().to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// The properties every tool gets.
fn properties(row: &LedgerRow) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("milestone".into(), json!(row.milestone_key));
    p.insert("milestone_name".into(), json!(row.milestone_name));
    p.insert("tier".into(), json!(row.tier));
    p.insert("kind".into(), json!(row.kind));
    p.insert("value".into(), json!(row.value));
    p.insert("holdout".into(), json!(row.holdout));
    p.insert("award_id".into(), json!(row.id));
    p
}

/// The PostHog event for `row` (pure).
pub fn posthog_event(api_key: &str, job: &str, row: &LedgerRow, milestones: &[String]) -> Value {
    let mut props = properties(row);
    props.insert("celebrate".into(), json!(row.celebrate));
    props.insert("$lib".into(), json!("cairn"));
    let distinct_id = match row.subject_type.as_str() {
        "account" => {
            props.insert("$groups".into(), json!({ "account": row.subject_id }));
            format!("account:{}", row.subject_id)
        }
        _ => {
            props.insert("$set".into(), json!({ "cairn_milestones": milestones }));
            row.subject_id.clone()
        }
    };
    json!({
        "api_key": api_key,
        "event": "milestone_achieved",
        "distinct_id": distinct_id,
        "timestamp": row.achieved_at,
        "uuid": uuid_for(job),
        "properties": props,
    })
}

/// The Intercom event for `row` (pure): metadata is flat.
pub fn intercom_event(row: &LedgerRow) -> Value {
    let created_at = row
        .achieved_at
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .unwrap_or_default();
    json!({
        "event_name": "milestone-achieved",
        "created_at": created_at,
        "user_id": row.subject_id,
        "metadata": properties(row),
    })
}

/// The subject's milestones so far (PostHog's `$set`).
async fn milestone_keys(db: &D1Database, row: &LedgerRow) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Key {
        milestone_key: String,
    }
    let keys: Vec<Key> = db
        .prepare(
            "SELECT milestone_key FROM milestones WHERE project_id = ?1 AND subject_type = ?2 AND subject_id = ?3 \
             ORDER BY achieved_at, milestone_key",
        )
        .bind(&[
            row.project_id.as_str().into(),
            row.subject_type.as_str().into(),
            row.subject_id.as_str().into(),
        ])?
        .all()
        .await?
        .results()?;
    Ok(keys.into_iter().map(|k| k.milestone_key).collect())
}

/// One attempt of a PostHog or Intercom job.
pub async fn attempt(
    env: &Env,
    settings: Settings,
    db: &D1Database,
    job: &Job,
) -> ApiResult<Tried> {
    let row: LedgerRow = serde_json::from_str(&job.payload)?;
    let (url, body, token, headers): (String, Value, Option<String>, Vec<(&str, &str)>) =
        match job.channel.as_str() {
            "posthog" => {
                let Some(ph) =
                    integrations::load::<PostHogSettings>(env, &job.project_id, "posthog").await?
                else {
                    return Ok(Tried::Skip("PostHog is not connected".into()));
                };
                let host = ph
                    .host
                    .as_deref()
                    .unwrap_or(POSTHOG_HOST)
                    .trim_end_matches('/');
                let keys = milestone_keys(db, &row).await?;
                (
                    format!("{host}/i/v0/e/"),
                    posthog_event(&ph.api_key, &job.id, &row, &keys),
                    None,
                    Vec::new(),
                )
            }
            _ => {
                let Some(ic) =
                    integrations::load::<IntercomSettings>(env, &job.project_id, "intercom")
                        .await?
                else {
                    return Ok(Tried::Skip("Intercom is not connected".into()));
                };
                let api = ic
                    .api_url
                    .as_deref()
                    .unwrap_or(INTERCOM_API)
                    .trim_end_matches('/');
                (
                    format!("{api}/events"),
                    intercom_event(&row),
                    Some(ic.access_token),
                    vec![("intercom-version", "2.11"), ("accept", "application/json")],
                )
            }
        };
    let started_ms = now().as_millisecond();
    let sent = http::post_json(&url, &body, token.as_deref(), &headers).await;
    let (answer, error, permanent) = http::classify(sent, &job.channel);
    Ok(Tried::Attempted(Attempt {
        answer,
        error,
        started_ms,
        finished_ms: now().as_millisecond(),
        scale: settings.scale_for(&url),
        failing_since: None,
        permanent,
        on_success: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scope: &str) -> LedgerRow {
        LedgerRow {
            id: "aw_0123456789abcdef01234567".into(),
            project_id: "prj_1".into(),
            subject_type: scope.into(),
            subject_id: "pat".into(),
            milestone_key: "projects.10".into(),
            milestone_name: "10 projects!".into(),
            kind: "usage".into(),
            tier: "early".into(),
            value: 10,
            achieved_at: "2026-11-30T09:00:00Z".into(),
            celebrate: true,
            holdout: false,
            seen_at: None,
            celebrated: false,
            celebrated_at: None,
            celebration_type: None,
            celebrated_by: None,
            account_id: None,
            notes: None,
            created_at: "2026-11-30T09:00:01Z".into(),
        }
    }

    #[test]
    fn posthog_events() {
        let keys = vec!["projects.1".to_owned(), "projects.10".to_owned()];
        let e = posthog_event("phc_x", "msg_1", &row("user"), &keys);
        assert_eq!(e["event"], "milestone_achieved");
        assert_eq!(e["distinct_id"], "pat");
        assert_eq!(e["properties"]["tier"], "early");
        assert_eq!(e["properties"]["holdout"], false);
        assert_eq!(e["properties"]["$set"]["cairn_milestones"], json!(keys));
        assert_eq!(e["uuid"], uuid_for("msg_1"));
        let a = posthog_event("phc_x", "msg_2", &row("account"), &[]);
        assert_eq!(a["distinct_id"], "account:pat");
        assert_eq!(a["properties"]["$groups"]["account"], "pat");
    }

    #[test]
    fn intercom_metadata_is_flat() {
        let e = intercom_event(&row("user"));
        assert_eq!(e["created_at"], 1_796_029_200);
        assert!(
            e["metadata"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| !v.is_object() && !v.is_array())
        );
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let u = uuid_for("msg_abc");
        assert_eq!(u, uuid_for("msg_abc"));
        assert_ne!(u, uuid_for("msg_abd"));
        let parts: Vec<usize> = u.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(u.chars().nth(14), Some('8'));
    }
}
