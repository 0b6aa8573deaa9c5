//! The recap email (growth playbook §5): `email_delay_minutes` after an award whose policy
//! names `email`, one email through Loops' transactional API with the milestone, the user's
//! totals, the next step and the call to action.
//!
//! - **One recap per window.** The first award makes the user's recap job; an award made while
//!   that job has not been sent yet joins it (one statement in the same batch as the award's
//!   ledger row), so awards that fall within one delay window are one email.
//! - **Waits, then reads the facts.** The job is due at once; its first attempt finds it too
//!   early and reschedules it (not counted as an attempt) for `created + delay`. When it is
//!   sent it reads the user's email and opt-out *then* (see [`crate::people`]): no email, an
//!   opt-out or an erasure meanwhile skips it. Holdout and uncelebrated awards make none.
//! - Titles are rendered with the definitions the award was earned under, in the user's
//!   locale. `Idempotency-Key` is the job id.

use cairn_core::wire::LoopsSettings;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{D1Database, D1PreparedStatement, Env};

use super::{Attempt, Job, Settings, Tried, now};
use crate::error::ApiResult;
use crate::integrations::{self, LOOPS_API};
use crate::ledger::AwardItem;

/// The statements that put `item` in its user's recap (joining the pending one, or starting
/// one), for the ledger write's batch; none for holdout and uncelebrated awards.
pub fn statements(
    db: &D1Database,
    item: &AwardItem,
    now_ms: i64,
) -> ApiResult<Vec<D1PreparedStatement>> {
    if item.holdout || !item.celebrate {
        return Ok(Vec::new());
    }
    let subject = format!("user:{}", item.subject_id);
    let entry = json!({
        "id": item.id,
        "milestone_key": item.milestone_key,
        "milestone_name": item.milestone_name,
        "tier": item.tier,
        "kind": item.kind,
        "value": item.value,
        "achieved_at": item.achieved_at,
        "totals": item.totals,
    })
    .to_string();
    let join = db
        .prepare(
            "UPDATE notify_jobs SET payload = json_insert(payload, '$.awards[#]', json(?3)) \
             WHERE project_id = ?1 AND subject = ?2 AND channel = 'recap' AND state = 'pending' AND attempts = 0 \
             AND NOT EXISTS (SELECT 1 FROM json_each(notify_jobs.payload, '$.awards') WHERE json_extract(value, '$.id') = ?4)",
        )
        .bind(&[
            item.project_id.as_str().into(),
            subject.as_str().into(),
            entry.as_str().into(),
            item.id.as_str().into(),
        ])?;
    let hex = item.id.strip_prefix("aw_").unwrap_or(&item.id);
    let start = db
        .prepare(
            "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
             SELECT ?5, ?1, ?4, ?2, 'recap', 'loops', 'recap', \
             json_object('delay_minutes', ?6, 'definitions_version', ?7, 'awards', json_array(json(?3))), 'pending', ?8, \
             strftime('%Y-%m-%dT%H:%M:%fZ', ?8 / 1000.0, 'unixepoch') \
             WHERE EXISTS (SELECT 1 FROM integrations WHERE project_id = ?1 AND provider = 'loops') \
             AND NOT EXISTS (SELECT 1 FROM notify_jobs j WHERE j.project_id = ?1 AND j.subject = ?2 AND j.channel = 'recap' \
             AND j.state = 'pending' AND EXISTS (SELECT 1 FROM json_each(j.payload, '$.awards') WHERE json_extract(value, '$.id') = ?4))",
        )
        .bind(&[
            item.project_id.as_str().into(),
            subject.as_str().into(),
            entry.as_str().into(),
            item.id.as_str().into(),
            format!("msg_{hex}.recap").into(),
            f64::from(item.email_delay_minutes).into(),
            (item.definitions_version as f64).into(),
            (now_ms as f64).into(),
        ])?;
    Ok(vec![join, start])
}

#[derive(Debug, Deserialize)]
struct Payload {
    delay_minutes: f64,
    definitions_version: f64,
    awards: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    milestone_key: String,
    milestone_name: String,
    tier: String,
    #[serde(default)]
    totals: std::collections::BTreeMap<String, u64>,
}

/// A milestone's words in `locale`: its title, its next step (description) and its call to
/// action; `fallback` is its stored English title if the definitions no longer have it.
pub(super) struct Copy {
    pub title: String,
    pub next_step: String,
    pub cta: Option<cairn_core::definitions::Cta>,
}

pub(super) fn copy(defs: &cairn_core::Compiled, key: &str, fallback: &str, locale: &str) -> Copy {
    let m = defs.milestone(key);
    Copy {
        title: m.map_or_else(
            || fallback.to_owned(),
            |m| cairn_core::progress::title(defs, m, locale),
        ),
        next_step: m
            .map(|m| cairn_core::progress::description(defs, m, locale))
            .unwrap_or_default(),
        cta: m.and_then(|m| cairn_core::progress::cta(defs, m, locale)),
    }
}

/// The Loops transactional id for a recap whose latest award is `entry`: `recap.{milestone}`,
/// else `recap.{tier}`, else `recap`.
fn transactional<'a>(loops: &'a LoopsSettings, entry: &Entry) -> Option<&'a String> {
    let ids = &loops.transactional_ids;
    ids.get(&format!("recap.{}", entry.milestone_key))
        .or_else(|| ids.get(&format!("recap.{}", entry.tier)))
        .or_else(|| ids.get("recap"))
}

/// One attempt of a recap job.
pub async fn attempt(env: &Env, settings: Settings, job: &Job) -> ApiResult<Tried> {
    let Some(loops) = integrations::load::<LoopsSettings>(env, &job.project_id, "loops").await?
    else {
        return Ok(Tried::Skip("Loops is not connected".into()));
    };
    let payload: Payload = serde_json::from_str(&job.payload)?;
    let api = loops
        .api_url
        .as_deref()
        .unwrap_or(LOOPS_API)
        .trim_end_matches('/')
        .to_owned();
    let url = format!("{api}/v1/transactional");
    // Not before the end of its window.
    let scale = settings.scale_for(&url);
    let created_ms = job
        .created_at
        .parse::<jiff::Timestamp>()
        .map_or(0, |t| t.as_millisecond());
    let send_at = created_ms + (payload.delay_minutes as i64) * 60_000 / scale;
    if now().as_millisecond() < send_at {
        return Ok(Tried::Later(send_at));
    }
    let (person, email) = match crate::people::reachable(env, &job.project_id, &job.subject).await?
    {
        Ok(found) => found,
        Err(reason) => return Ok(Tried::Skip(reason.into())),
    };
    let Some(latest) = payload.awards.last() else {
        return Ok(Tried::Skip("no award to recap".into()));
    };
    let Some(transactional_id) = transactional(&loops, latest) else {
        return Ok(Tried::Skip(
            "Loops has no transactional email for recaps (transactional_ids.recap)".into(),
        ));
    };
    // Titles, next step and call to action in the user's locale.
    let locale = person
        .locale
        .clone()
        .unwrap_or_else(|| cairn_core::definitions::DEFAULT_LOCALE.to_owned());
    let defs =
        crate::project::definitions(env, &job.project_id, payload.definitions_version as i64)
            .await?;
    let titles: Vec<String> = payload
        .awards
        .iter()
        .map(|e| copy(&defs, &e.milestone_key, &e.milestone_name, &locale).title)
        .collect();
    let latest_copy = copy(
        &defs,
        &latest.milestone_key,
        &latest.milestone_name,
        &locale,
    );
    let (next_step, cta) = (latest_copy.next_step, latest_copy.cta);
    let mut data = serde_json::Map::new();
    data.insert(
        "name".into(),
        json!(person.name.clone().unwrap_or_default()),
    );
    data.insert("milestone".into(), json!(latest_copy.title));
    data.insert("milestones".into(), json!(titles.join(", ")));
    data.insert("milestoneCount".into(), json!(titles.len()));
    data.insert("tier".into(), json!(latest.tier));
    data.insert("nextStep".into(), json!(next_step));
    data.insert(
        "ctaLabel".into(),
        json!(cta.as_ref().map(|c| c.label.clone()).unwrap_or_default()),
    );
    data.insert(
        "ctaUrl".into(),
        json!(cta.and_then(|c| c.url).unwrap_or_default()),
    );
    for (metric, total) in &latest.totals {
        data.insert(format!("total_{metric}"), json!(total));
    }
    let body = json!({
        "transactionalId": transactional_id,
        "email": email,
        "addToAudience": false,
        "dataVariables": Value::Object(data),
    });
    let started_ms = now().as_millisecond();
    let (answer, error, permanent) = super::loops_send(&url, &loops.api_key, &job.id, &body).await;
    Ok(Tried::Attempted(Attempt {
        answer,
        error,
        started_ms,
        finished_ms: now().as_millisecond(),
        scale,
        failing_since: None,
        permanent,
        on_success: Vec::new(),
    }))
}
