//! Stalled users (activation guide): a milestone with `stall_after` that a user who started has
//! not reached that long after makes one `user.stalled` webhook and, when its policy names
//! `email`, one nudge email with the next step. The engine decides (once per stall, never for
//! the holdout, not once the milestone is reached); the user's alarm puts the stall in its
//! outbox; these are its jobs.

use cairn_core::wire::LoopsSettings;
use serde_json::{Value, json};
use worker::{D1Database, D1PreparedStatement, Env};

use super::{Attempt, Job, Settings, Tried, now};
use crate::error::ApiResult;
use crate::integrations::{self, LOOPS_API};
use crate::ledger::StallItem;

/// The webhook payload of a stall (Standard Webhooks' shape).
pub fn payload(stall: &StallItem) -> Value {
    json!({
        "type": "user.stalled",
        "timestamp": stall.stalled_at,
        "data": {
            "project_id": stall.project_id,
            "user_id": stall.user_id,
            "milestone_key": stall.milestone_key,
            "milestone_name": stall.milestone_name,
            "started_at": stall.started_at,
            "stalled_at": stall.stalled_at,
        },
    })
}

/// The statements that make a stall's jobs: one webhook per subscribed endpoint and, for an
/// `email` policy with Loops connected, the nudge.
pub fn statements(
    db: &D1Database,
    stall: &StallItem,
    now_ms: i64,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let id = stall.id();
    let subject = format!("user:{}", stall.user_id);
    let body = payload(stall).to_string();
    let webhooks = db
        .prepare(
            "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
             SELECT 'msg_' || ?2 || '.stalled.' || substr(e.id, 4), ?1, ?2, ?3, 'webhook', e.id, 'user.stalled', ?4, 'pending', ?5, \
             strftime('%Y-%m-%dT%H:%M:%fZ', ?5 / 1000.0, 'unixepoch') \
             FROM webhook_endpoints e WHERE e.project_id = ?1 AND e.enabled = 1 AND e.created_ms <= ?5 \
             AND EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE value = 'user.stalled')",
        )
        .bind(&[
            stall.project_id.as_str().into(),
            id.as_str().into(),
            subject.as_str().into(),
            body.as_str().into(),
            (now_ms as f64).into(),
        ])?;
    let mut out = vec![webhooks];
    if stall.channels.iter().any(|c| c == "email") {
        let nudge = json!({
            "milestone_key": stall.milestone_key,
            "milestone_name": stall.milestone_name,
            "started_at": stall.started_at,
            "definitions_version": stall.definitions_version,
        })
        .to_string();
        out.push(
            db.prepare(
                "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
                 SELECT 'msg_' || ?2 || '.nudge', ?1, ?2, ?3, 'nudge', 'loops', 'user.stalled', ?4, 'pending', ?5, \
                 strftime('%Y-%m-%dT%H:%M:%fZ', ?5 / 1000.0, 'unixepoch') \
                 WHERE EXISTS (SELECT 1 FROM integrations WHERE project_id = ?1 AND provider = 'loops')",
            )
            .bind(&[
                stall.project_id.as_str().into(),
                id.as_str().into(),
                subject.as_str().into(),
                nudge.as_str().into(),
                (now_ms as f64).into(),
            ])?,
        );
    }
    Ok(out)
}

/// One attempt of a nudge email (read the user's email and opt-out now).
pub async fn attempt(env: &Env, settings: Settings, job: &Job) -> ApiResult<Tried> {
    #[derive(serde::Deserialize)]
    struct Payload {
        milestone_key: String,
        milestone_name: String,
        started_at: String,
        definitions_version: f64,
    }
    let Some(loops) = integrations::load::<LoopsSettings>(env, &job.project_id, "loops").await?
    else {
        return Ok(Tried::Skip("Loops is not connected".into()));
    };
    let p: Payload = serde_json::from_str(&job.payload)?;
    let (person, email) = match crate::people::reachable(env, &job.project_id, &job.subject).await?
    {
        Ok(found) => found,
        Err(reason) => return Ok(Tried::Skip(reason.into())),
    };
    let ids = &loops.transactional_ids;
    let Some(transactional_id) = ids
        .get(&format!("nudge.{}", p.milestone_key))
        .or_else(|| ids.get("nudge"))
    else {
        return Ok(Tried::Skip(
            "Loops has no transactional email for nudges (transactional_ids.nudge)".into(),
        ));
    };
    let locale = person
        .locale
        .clone()
        .unwrap_or_else(|| cairn_core::definitions::DEFAULT_LOCALE.to_owned());
    let defs =
        crate::project::definitions(env, &job.project_id, p.definitions_version as i64).await?;
    let super::recap::Copy {
        title,
        next_step,
        cta,
    } = super::recap::copy(&defs, &p.milestone_key, &p.milestone_name, &locale);
    let api = loops
        .api_url
        .as_deref()
        .unwrap_or(LOOPS_API)
        .trim_end_matches('/')
        .to_owned();
    let url = format!("{api}/v1/transactional");
    let body = json!({
        "transactionalId": transactional_id,
        "email": email,
        "addToAudience": false,
        "dataVariables": {
            "name": person.name.clone().unwrap_or_default(),
            "milestone": title,
            "nextStep": next_step,
            "ctaLabel": cta.as_ref().map(|c| c.label.clone()).unwrap_or_default(),
            "ctaUrl": cta.and_then(|c| c.url).unwrap_or_default(),
            "startedAt": p.started_at,
        },
    });
    let started_ms = now().as_millisecond();
    let (answer, error, permanent) = super::loops_send(&url, &loops.api_key, &job.id, &body).await;
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
