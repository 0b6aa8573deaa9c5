//! The notification pipeline: every award event becomes delivery jobs, delivered through
//! Cloudflare Queues, each with a durable record and a log in D1.
//!
//! - **Born with the ledger row.** The statements that create an award's jobs run in the same
//!   D1 batch as the ledger write that records it ([`crate::ledger::flush`], and the
//!   celebration route), so a job exists for every award and, its id being
//!   `msg_{award}.{event}.{endpoint}`, only once. The same id is the `webhook-id`.
//! - **The queue is the trigger, not the record.** After the batch the new jobs are sent to the
//!   `NOTIFY` queue; a retry is a message with `delay_seconds`. Locally a queue's messages live
//!   in memory and in production one can arrive twice, so the job's row decides: an attempt
//!   first *claims* the job (`pending`, due, no lease under way) in one statement, and a
//!   duplicate or stale message finds nothing to claim. A job due but never triggered (the
//!   message lost in a restart, or never sent) is found by the project's sweep, run by its
//!   ledger writer's alarm ([`crate::writer`]).
//! - **Every job ends** `delivered`, `failed` (and sent to the `NOTIFY_DEAD` queue) or
//!   `skipped` with a reason (endpoint deleted or disabled, user erased); every attempt is a row
//!   of `notify_attempts` (time, status, latency, next attempt).

mod analytics;
pub mod endpoints;
mod http;
pub mod recap;
pub mod schedule;
pub mod sign;
pub mod slack;
pub mod stall;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env, MessageBatch, MessageExt};

use crate::error::{ApiError, ApiResult};
use crate::project::DB;
use crate::subject::now;
use schedule::{Answer, Verdict};

/// The queue that triggers deliveries (producer binding).
pub const QUEUE: &str = "NOTIFY";
/// Where jobs that used their attempts go (producer binding).
pub const DEAD: &str = "NOTIFY_DEAD";
/// The development setting (a `wrangler dev --var`; never in `wrangler.toml`).
pub const DEV_SETTING: &str = "CAIRN_DEV_NOTIFY_SCALE";

/// An attempt holds its job this long (the 15 s timeout, and margin).
const LEASE_MS: i64 = 60_000;
/// A job due this long without being claimed is re-sent by the sweep.
const SWEEP_GRACE_MS: i64 = 60_000;
/// Deliveries of one consumer batch in flight at once.
const IN_FLIGHT: usize = 16;
/// Messages per `sendBatch` (the platform's limit).
const SEND_BATCH: usize = 100;

/// A queue message: which job, and how many attempts it had when sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobMessage {
    pub job: String,
    pub attempts: i64,
}

/// What the deployment allows (see [`DEV_SETTING`]).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `Some(scale)` in development: loopback and `http://` targets are accepted, and the
    /// schedule is divided by `scale` for them.
    pub dev_scale: Option<i64>,
}

impl Settings {
    pub fn of(env: &Env) -> Self {
        let dev_scale = env
            .var(DEV_SETTING)
            .ok()
            .and_then(|v| v.to_string().trim().parse::<i64>().ok())
            .filter(|s| *s >= 1);
        Self { dev_scale }
    }

    /// The schedule's compression for deliveries to `url` (1 unless development and loopback).
    pub fn scale_for(&self, url: &str) -> i64 {
        match self.dev_scale {
            Some(scale) if endpoints::is_loopback(url) => scale,
            _ => 1,
        }
    }

    /// The sweep's grace, compressed like the schedule in development (at least 1 s).
    pub fn grace_ms(&self) -> i64 {
        (SWEEP_GRACE_MS / self.dev_scale.unwrap_or(1)).max(1_000)
    }
}

/// The event types, each with the short name its job ids use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Achieved,
    Celebrated,
    Seen,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "milestone.achieved",
            Self::Celebrated => "milestone.celebrated",
            Self::Seen => "milestone.seen",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Self::Achieved => "achieved",
            Self::Celebrated => "celebrated",
            Self::Seen => "seen",
        }
    }

    /// Which awards the event is sent for. Imported history and retroactive awards were never
    /// "achieved" now (no webhook storm on import); holdout awards are, with `holdout: true`.
    fn condition(self) -> &'static str {
        match self {
            Self::Achieved => "(p.celebrate = 1 OR p.holdout = 1)",
            Self::Celebrated => "1 = 1",
            Self::Seen => "p.seen_at IS NOT NULL",
        }
    }
}

/// The statement that creates award `award`'s jobs for `event` (one per subscribed, enabled
/// endpoint that existed at `now_ms`), to run in the batch that writes the ledger row.
/// `at` is the event's time (the payload's `timestamp`); `at` of `None` takes the row's own
/// time for the event (`seen_at`, `celebrated_at`, `achieved_at`).
pub fn job_statement(
    db: &D1Database,
    event: EventType,
    project: &str,
    award: &str,
    now_ms: i64,
) -> ApiResult<D1PreparedStatement> {
    let at = match event {
        EventType::Achieved => "json_extract(p.data, '$.achieved_at')",
        EventType::Celebrated => "json_extract(p.data, '$.celebrated_at')",
        EventType::Seen => "p.seen_at",
    };
    let sql = format!(
        "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
         SELECT 'msg_' || substr(p.id, 4) || '.{short}.' || substr(e.id, 4), p.project_id, p.id, p.subject_type || ':' || p.subject_id, \
         'webhook', e.id, ?3, json_object('type', ?3, 'timestamp', {at}, 'data', json(p.data)), 'pending', ?4, \
         strftime('%Y-%m-%dT%H:%M:%fZ', ?4 / 1000.0, 'unixepoch') \
         FROM milestone_payloads p JOIN webhook_endpoints e ON e.project_id = p.project_id \
         WHERE p.project_id = ?1 AND p.id = ?2 AND {condition} AND e.enabled = 1 AND e.created_ms <= ?4 \
         AND EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE value = ?3)",
        short = event.short(),
        condition = event.condition(),
    );
    Ok(db.prepare(sql).bind(&[
        project.into(),
        award.into(),
        event.as_str().into(),
        (now_ms as f64).into(),
    ])?)
}

/// The statement that creates award `award`'s Slack alert job (when Slack is connected, and
/// for a holdout subject only if the project opted in), for the ledger write's batch.
pub fn slack_statement(
    db: &D1Database,
    project: &str,
    award: &str,
    now_ms: i64,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
             SELECT 'msg_' || substr(p.id, 4) || '.csm_alert.slack', p.project_id, p.id, p.subject_type || ':' || p.subject_id, \
             'slack', 'slack', 'csm_alert', p.data, 'pending', ?3, strftime('%Y-%m-%dT%H:%M:%fZ', ?3 / 1000.0, 'unixepoch') \
             FROM milestone_payloads p JOIN integrations i ON i.project_id = p.project_id AND i.provider = 'slack' \
             WHERE p.project_id = ?1 AND p.id = ?2 AND p.celebrate + p.holdout > 0 \
             AND (p.holdout = 0 OR json_extract(i.settings, '$.alert_holdout') = 'true')",
        )
        .bind(&[project.into(), award.into(), (now_ms as f64).into()])?)
}

/// The statement that creates award `award`'s analytics events, one per connected tool:
/// PostHog for users and accounts, Intercom for users (its events belong to people).
pub fn analytics_statement(
    db: &D1Database,
    project: &str,
    award: &str,
    now_ms: i64,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT OR IGNORE INTO notify_jobs (id, project_id, award_id, subject, channel, target, event_type, payload, state, due_ms, created_at) \
             SELECT 'msg_' || substr(p.id, 4) || '.' || i.provider, p.project_id, p.id, p.subject_type || ':' || p.subject_id, \
             i.provider, i.provider, 'milestone.achieved', p.data, 'pending', ?3, strftime('%Y-%m-%dT%H:%M:%fZ', ?3 / 1000.0, 'unixepoch') \
             FROM milestone_payloads p JOIN integrations i ON i.project_id = p.project_id \
             WHERE p.project_id = ?1 AND p.id = ?2 \
             AND (i.provider = 'posthog' OR (i.provider = 'intercom' AND p.subject_type = 'user'))",
        )
        .bind(&[project.into(), award.into(), (now_ms as f64).into()])?)
}

/// Sends the new jobs of `awards` to the queue. A failure is only logged: the sweep finds
/// them (they are in D1 already).
pub async fn trigger(env: &Env, awards: &[String]) {
    if awards.is_empty() {
        return;
    }
    if let Err(e) = trigger_new(env, awards).await {
        worker::console_warn!("notify: new jobs wait for the sweep: {e}");
    }
}

async fn trigger_new(env: &Env, awards: &[String]) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare(
            "SELECT id FROM notify_jobs WHERE award_id IN (SELECT value FROM json_each(?1)) \
             AND state = 'pending' AND attempts = 0 AND lease_ms = 0",
        )
        .bind(&[serde_json::to_string(awards)?.into()])?
        .all()
        .await?
        .results()?;
    let messages: Vec<JobMessage> = rows
        .into_iter()
        .map(|r| JobMessage {
            job: r.id,
            attempts: 0,
        })
        .collect();
    send(env, &messages, 0).await
}

/// Triggers the new jobs `ids` of `project` now (their rows exist); the sweep covers a lost
/// message.
pub async fn trigger_jobs(env: &Env, project: &str, ids: &[String]) {
    let messages: Vec<JobMessage> = ids
        .iter()
        .map(|id| JobMessage {
            job: id.clone(),
            attempts: 0,
        })
        .collect();
    if let Err(e) = send(env, &messages, 0).await {
        worker::console_warn!("notify: new jobs wait for the sweep: {e}");
    }
    crate::writer::watch(env, project, now().as_millisecond()).await;
}

/// POSTs JSON once, outside any job (e.g. updating a Slack message after a click).
pub async fn http_post_json(url: &str, body: &serde_json::Value) -> Result<(), String> {
    match http::post_json(url, body, None, &[]).await? {
        (Answer::Status { status, .. }, _) if (200..300).contains(&status) => Ok(()),
        (Answer::Status { status, .. }, text) => Err(format!("HTTP {status}: {text:.200}")),
        (Answer::NoAnswer, _) => Err("no answer".into()),
    }
}

/// Triggers job `job` of `project` now (a manual retry); the sweep covers a lost message.
pub async fn resend(env: &Env, project: &str, job: &str) {
    let message = JobMessage {
        job: job.to_owned(),
        attempts: 0,
    };
    if let Err(e) = send(env, &[message], 0).await {
        worker::console_warn!("notify: {job} waits for the sweep: {e}");
    }
    crate::writer::watch(env, project, now().as_millisecond()).await;
}

/// Sends `messages` to the queue, delayed by `delay_secs` (at most 12 h).
async fn send(env: &Env, messages: &[JobMessage], delay_secs: u32) -> ApiResult<()> {
    let queue = env.queue(QUEUE)?;
    for chunk in messages.chunks(SEND_BATCH) {
        let batch = worker::BatchMessageBuilder::new()
            .messages(chunk.to_vec())
            .delay_seconds(delay_secs.min(43_200))
            .build();
        queue.send_batch(batch).await?;
    }
    Ok(())
}

/// The project's sweep: re-sends jobs that are due and were not claimed for a while (their
/// message was lost or never sent). Answers when the next sweep is due, if any job is pending.
pub async fn sweep(env: &Env, project: &str) -> ApiResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        attempts: f64,
    }
    #[derive(Deserialize)]
    struct Next {
        next: Option<f64>,
    }
    let settings = Settings::of(env);
    let now_ms = now().as_millisecond();
    let grace = settings.grace_ms();
    let db = env.d1(DB)?;
    let stale: Vec<Row> = db
        .prepare(
            "SELECT id, attempts FROM notify_jobs WHERE project_id = ?1 AND state = 'pending' \
             AND due_ms <= ?2 AND lease_ms < ?3 ORDER BY due_ms LIMIT 1000",
        )
        .bind(&[
            project.into(),
            ((now_ms - grace) as f64).into(),
            (now_ms as f64).into(),
        ])?
        .all()
        .await?
        .results()?;
    let messages: Vec<JobMessage> = stale
        .into_iter()
        .map(|r| JobMessage {
            job: r.id,
            attempts: r.attempts as i64,
        })
        .collect();
    send(env, &messages, 0).await?;
    let next: Option<Next> = db
        .prepare(
            "SELECT min(max(due_ms, lease_ms)) AS next FROM notify_jobs WHERE project_id = ?1 AND state = 'pending'",
        )
        .bind(&[project.into()])?
        .first(None)
        .await?;
    Ok(next
        .and_then(|n| n.next)
        .map(|due| (due as i64 + grace).max(now_ms + grace)))
}

/// The queue's consumer: one delivery attempt per message. A message whose attempt could not
/// even be recorded (D1 unavailable) is retried by the queue, and after its retries lands in
/// the dead-letter queue; the job itself stays pending for the sweep.
pub async fn consume(batch: MessageBatch<JobMessage>, env: Env) -> worker::Result<()> {
    let settings = Settings::of(&env);
    let messages = batch.messages()?;
    let env = &env;
    futures_util::stream::iter(messages)
        .for_each_concurrent(IN_FLIGHT, |message| async move {
            match attempt(env, settings, &message.body().job).await {
                Ok(()) => message.ack(),
                Err(e) => {
                    worker::console_error!(
                        "notify: attempt of {} not recorded: {e}",
                        message.body().job
                    );
                    message.retry();
                }
            }
        })
        .await;
    Ok(())
}

/// A claimed job.
#[derive(Debug, Deserialize)]
pub(crate) struct Job {
    pub id: String,
    pub project_id: String,
    pub subject: String,
    pub created_at: String,
    pub channel: String,
    pub target: String,
    pub payload: String,
    pub attempts: f64,
    pub round_start: f64,
}

/// What one channel's attempt did.
pub(crate) enum Tried {
    /// Nothing to attempt: the job ends `skipped` with this reason.
    Skip(String),
    /// Too early (a recap waits for its window): due again at this instant, this claim not
    /// counted as an attempt.
    Later(i64),
    Attempted(Attempt),
}

/// One attempt's facts, for the log and the verdict.
pub(crate) struct Attempt {
    pub answer: Answer,
    pub error: Option<String>,
    pub started_ms: i64,
    pub finished_ms: i64,
    /// The schedule's compression for this target (see [`Settings::scale_for`]).
    pub scale: i64,
    /// Since when this target fails (webhook endpoints keep it).
    pub failing_since: Option<i64>,
    /// A failure no retry can fix (e.g. Slack's `invalid_auth`).
    pub permanent: Option<String>,
    /// Statements to run with the log when it was delivered (e.g. where the message is).
    pub on_success: Vec<D1PreparedStatement>,
}

/// One attempt of job `id`, if it is due and nobody else holds it.
async fn attempt(env: &Env, settings: Settings, id: &str) -> ApiResult<()> {
    let db = env.d1(DB)?;
    let now_ms = now().as_millisecond();
    let job: Option<Job> = db
        .prepare(
            "UPDATE notify_jobs SET attempts = attempts + 1, lease_ms = ?2 \
             WHERE id = ?1 AND state = 'pending' AND due_ms <= ?3 AND lease_ms < ?3 \
             RETURNING id, project_id, subject, created_at, channel, target, payload, attempts, round_start",
        )
        .bind(&[
            id.into(),
            ((now_ms + LEASE_MS) as f64).into(),
            // A message delayed by whole seconds may arrive a little early.
            ((now_ms + 1_000) as f64).into(),
        ])?
        .first(None)
        .await?;
    let Some(job) = job else {
        return Ok(()); // done, not due, or under way: this message is stale
    };
    let tried = match job.channel.as_str() {
        "webhook" => webhook_attempt(env, settings, &job).await?,
        "slack" => slack_attempt(env, settings, &db, &job).await?,
        "loops" => loops_attempt(env, settings, &job).await?,
        "posthog" | "intercom" => analytics::attempt(env, settings, &db, &job).await?,
        "recap" => recap::attempt(env, settings, &job).await?,
        "nudge" => stall::attempt(env, settings, &job).await?,
        other => Tried::Skip(format!("unknown channel {other}")),
    };
    let tried = match tried {
        Tried::Skip(reason) => return finish(&db, &job.id, "skipped", Some(&reason)).await,
        Tried::Later(at_ms) => return later(env, &db, &job, at_ms).await,
        Tried::Attempted(a) => a,
    };
    record(env, &db, &job, tried).await
}

/// A webhook delivery: signed with every secret that signs now.
async fn webhook_attempt(env: &Env, settings: Settings, job: &Job) -> ApiResult<Tried> {
    let Some(endpoint) = endpoints::load_for_delivery(env, &job.project_id, &job.target).await?
    else {
        return Ok(Tried::Skip("the endpoint was deleted".into()));
    };
    if !endpoint.enabled {
        return Ok(Tried::Skip(format!(
            "the endpoint is disabled ({})",
            endpoint
                .disabled_reason
                .as_deref()
                .unwrap_or("by its owner")
        )));
    }
    let started_ms = now().as_millisecond();
    let timestamp = started_ms / 1000;
    let Some(signature) = sign::header(&endpoint.secrets, &job.id, timestamp, &job.payload) else {
        return Err(ApiError::internal(
            "an endpoint's secret is not a whsec_ secret",
        ));
    };
    let answer = endpoints::post(&endpoint.url, &job.id, timestamp, &signature, &job.payload).await;
    let (answer, error) = match answer {
        Ok(a) => (a, None),
        Err(e) => (Answer::NoAnswer, Some(e)),
    };
    Ok(Tried::Attempted(Attempt {
        answer,
        error,
        started_ms,
        finished_ms: now().as_millisecond(),
        scale: settings.scale_for(&endpoint.url),
        failing_since: endpoint.failing_since,
        permanent: None,
        on_success: Vec::new(),
    }))
}

/// The CSM's Slack alert.
async fn slack_attempt(
    env: &Env,
    settings: Settings,
    db: &D1Database,
    job: &Job,
) -> ApiResult<Tried> {
    let Some(slack) =
        crate::integrations::load::<cairn_core::wire::SlackSettings>(env, &job.project_id, "slack")
            .await?
    else {
        return Ok(Tried::Skip("Slack is not connected".into()));
    };
    let row: cairn_core::wire::LedgerRow = serde_json::from_str(&job.payload)?;
    let account = match row.subject_type.as_str() {
        "account" => crate::accounts::traits(env, &job.project_id, &row.subject_id).await?,
        _ => None,
    };
    let advanced = row.tier == "advanced";
    let defs = crate::project::current_definitions(env, &job.project_id).await?;
    let (text, blocks) = slack::message(
        &job.project_id,
        &row,
        account.as_ref(),
        &slack::ideas(&defs, &row, advanced, "en"),
    );
    let started_ms = now().as_millisecond();
    let posted = slack::post(&slack, &text, &blocks).await;
    let target = slack
        .webhook_url
        .as_deref()
        .or(slack.api_url.as_deref())
        .unwrap_or(crate::integrations::SLACK_API);
    let (channel, ts) = posted.message.unwrap_or_default();
    let on_success = vec![
        db.prepare(
            "INSERT INTO slack_messages (project_id, award_id, channel, ts) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (project_id, award_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts",
        )
        .bind(&[
            job.project_id.as_str().into(),
            row.id.as_str().into(),
            channel.as_str().into(),
            ts.as_str().into(),
        ])?,
    ];
    Ok(Tried::Attempted(Attempt {
        permanent: posted.permanent.then(|| posted.error.clone()).flatten(),
        answer: posted.answer,
        error: posted.error,
        started_ms,
        finished_ms: now().as_millisecond(),
        scale: settings.scale_for(target),
        failing_since: None,
        on_success,
    }))
}

/// A transactional email through Loops (`Idempotency-Key` = the job id, so a repeated attempt
/// is one email).
async fn loops_attempt(env: &Env, settings: Settings, job: &Job) -> ApiResult<Tried> {
    #[derive(Deserialize)]
    struct Payload {
        kind: String,
        email: String,
        #[serde(rename = "dataVariables")]
        data_variables: serde_json::Value,
        /// Data variables kept sealed at rest (a sign-in link), opened only to send.
        #[serde(default)]
        sealed: std::collections::BTreeMap<String, String>,
    }
    let Some(loops) =
        crate::integrations::load::<cairn_core::wire::LoopsSettings>(env, &job.project_id, "loops")
            .await?
    else {
        return Ok(Tried::Skip("Loops is not connected".into()));
    };
    let mut payload: Payload = serde_json::from_str(&job.payload)?;
    for (name, sealed) in &payload.sealed {
        let value = crate::crypto::open(env, &job.project_id, sealed).await?;
        if let Some(vars) = payload.data_variables.as_object_mut() {
            vars.insert(name.clone(), value.into());
        }
    }
    let Some(transactional) = loops.transactional_ids.get(&payload.kind) else {
        return Ok(Tried::Skip(format!(
            "Loops has no transactional email for {} (transactional_ids.{})",
            payload.kind, payload.kind
        )));
    };
    let api = loops
        .api_url
        .as_deref()
        .unwrap_or(crate::integrations::LOOPS_API)
        .trim_end_matches('/');
    let url = format!("{api}/v1/transactional");
    let body = serde_json::json!({
        "transactionalId": transactional,
        "email": payload.email,
        "addToAudience": false,
        "dataVariables": payload.data_variables,
    });
    let started_ms = now().as_millisecond();
    let (answer, error, permanent) = loops_send(&url, &loops.api_key, &job.id, &body).await;
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

/// One Loops transactional send (`Idempotency-Key` = the job id), read as [`http::classify`]
/// does, except that Loops' 409 for a key it already sent is a success.
pub(crate) async fn loops_send(
    url: &str,
    api_key: &str,
    job: &str,
    body: &serde_json::Value,
) -> (Answer, Option<String>, Option<String>) {
    match http::post_json(url, body, Some(api_key), &[("idempotency-key", job)]).await {
        Ok((Answer::Status { status: 409, .. }, _)) => (
            Answer::Status {
                status: 200,
                retry_after_ms: None,
            },
            Some("already sent (409 for this Idempotency-Key)".to_owned()),
            None,
        ),
        sent => http::classify(sent, "loops"),
    }
}

/// Logs an attempt, decides what comes next, and tells the queue.
async fn record(env: &Env, db: &D1Database, job: &Job, tried: Attempt) -> ApiResult<()> {
    let attempt_no = job.attempts as i64;
    let finished = tried.finished_ms;
    let mut verdict = match &tried.permanent {
        Some(reason) => Verdict::Failed {
            reason: reason.clone(),
        },
        None => schedule::verdict(
            attempt_no - job.round_start as i64,
            &tried.answer,
            finished,
            tried.failing_since,
            tried.scale,
        ),
    };
    // Only a webhook endpoint can be disabled; elsewhere that is a failed job.
    if job.channel != "webhook"
        && let Verdict::Disable { reason } = &verdict
    {
        verdict = Verdict::Failed {
            reason: reason.clone(),
        };
    }
    let status = match &tried.answer {
        Answer::Status { status, .. } => JsValue::from(f64::from(*status)),
        Answer::NoAnswer => JsValue::NULL,
    };
    let next = match &verdict {
        Verdict::Retry { at_ms } => JsValue::from(*at_ms as f64),
        _ => JsValue::NULL,
    };
    let at = at_text(tried.started_ms);
    let log = db
        .prepare(
            "INSERT OR REPLACE INTO notify_attempts (job_id, attempt, at, status, latency_ms, error, next_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            job.id.as_str().into(),
            (attempt_no as f64).into(),
            at.as_str().into(),
            status,
            ((finished - tried.started_ms) as f64).into(),
            tried.error.as_deref().map_or(JsValue::NULL, Into::into),
            next,
        ])?;
    let mut statements = vec![log];
    if job.channel == "webhook" {
        statements.extend(endpoints::after_attempt(
            db,
            &job.project_id,
            &job.target,
            &verdict,
            finished,
        )?);
    }
    let finished_at = at_text(finished);
    let (update, dead) = match &verdict {
        Verdict::Delivered => {
            statements.extend(tried.on_success);
            (
                job_update(db, &job.id, "delivered", None, None, &finished_at)?,
                None,
            )
        }
        Verdict::Retry { at_ms } => (
            job_update(db, &job.id, "pending", None, Some(*at_ms), &finished_at)?,
            None,
        ),
        Verdict::Failed { reason } | Verdict::Disable { reason } => (
            job_update(db, &job.id, "failed", Some(reason), None, &finished_at)?,
            Some(reason.clone()),
        ),
    };
    statements.push(update);
    db.batch(statements).await?;
    if let Verdict::Retry { at_ms } = verdict {
        let delay = u32::try_from((at_ms - finished + 999) / 1000).unwrap_or(u32::MAX);
        let message = JobMessage {
            job: job.id.clone(),
            attempts: attempt_no,
        };
        if let Err(e) = send(env, &[message], delay).await {
            worker::console_warn!("notify: retry of {} waits for the sweep: {e}", job.id);
        }
        crate::writer::watch(env, &job.project_id, at_ms).await;
    }
    if let Some(reason) = dead {
        dead_letter(env, &job.id, &reason).await;
    }
    Ok(())
}

fn at_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn job_update(
    db: &D1Database,
    id: &str,
    state: &str,
    reason: Option<&str>,
    due_ms: Option<i64>,
    at: &str,
) -> ApiResult<D1PreparedStatement> {
    let finished = if state == "pending" {
        JsValue::NULL
    } else {
        at.into()
    };
    Ok(db
        .prepare(
            "UPDATE notify_jobs SET state = ?2, reason = ?3, due_ms = coalesce(?4, due_ms), lease_ms = 0, finished_at = ?5 WHERE id = ?1",
        )
        .bind(&[
            id.into(),
            state.into(),
            reason.map_or(JsValue::NULL, Into::into),
            due_ms.map_or(JsValue::NULL, |d| JsValue::from(d as f64)),
            finished,
        ])?)
}

/// Puts a job back until `at_ms`, undoing its claim's count.
async fn later(env: &Env, db: &D1Database, job: &Job, at_ms: i64) -> ApiResult<()> {
    db.prepare(
        "UPDATE notify_jobs SET attempts = max(attempts - 1, 0), lease_ms = 0, due_ms = ?2 WHERE id = ?1",
    )
    .bind(&[job.id.as_str().into(), (at_ms as f64).into()])?
    .run()
    .await?;
    let delay = u32::try_from((at_ms - now().as_millisecond() + 999) / 1000).unwrap_or(u32::MAX);
    let message = JobMessage {
        job: job.id.clone(),
        attempts: job.attempts as i64 - 1,
    };
    if let Err(e) = send(env, &[message], delay).await {
        worker::console_warn!("notify: {} waits for the sweep: {e}", job.id);
    }
    crate::writer::watch(env, &job.project_id, at_ms).await;
    Ok(())
}

/// Ends a job without an attempt.
async fn finish(db: &D1Database, id: &str, state: &str, reason: Option<&str>) -> ApiResult<()> {
    let at = at_text(now().as_millisecond());
    job_update(db, id, state, reason, None, &at)?.run().await?;
    Ok(())
}

/// Records a failed job in the dead-letter queue (its row says the same).
async fn dead_letter(env: &Env, job: &str, reason: &str) {
    #[derive(Serialize)]
    struct Dead<'a> {
        job: &'a str,
        reason: &'a str,
    }
    let sent = match env.queue(DEAD) {
        Ok(q) => q
            .send(Dead { job, reason })
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = sent {
        worker::console_warn!("notify: {job} failed ({reason}); dead-letter queue: {e}");
    }
}

/// Erasure: an erased user's pending jobs are skipped, and no job keeps their payload.
pub fn erase_statement(
    db: &D1Database,
    project: &str,
    user: &str,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "UPDATE notify_jobs SET payload = '{}', lease_ms = 0, \
             reason = CASE WHEN state = 'pending' THEN 'the user was erased' ELSE reason END, \
             state = CASE WHEN state = 'pending' THEN 'skipped' ELSE state END, \
             finished_at = coalesce(finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
             WHERE project_id = ?1 AND subject = ?2",
        )
        .bind(&[project.into(), format!("user:{user}").into()])?)
}
