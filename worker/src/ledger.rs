//! The milestone ledger in D1: written through outboxes, read by people.
//!
//! A subject's Durable Object puts every award into its own SQLite [`Outbox`] in the same
//! synchronous step as the state change, and sets its alarm to fire at once. The alarm, off the
//! request path, hands the outbox to the project's [`LedgerWriter`](crate::writer::LedgerWriter)
//! (one RPC) and empties it once the writer has stored the items in its own outbox. The writer
//! copies its outbox to D1 in batches of up to [`FLUSH_BATCH`] rows
//! (`INSERT … ON CONFLICT (id) DO NOTHING`, so a repeated copy is harmless) from its alarm, and
//! keeps what D1 did not take for the next try. At every step an item is deleted only after the
//! next holder has it durably: no award can exist in a Durable Object and be missing from the
//! ledger for longer than the retries take. Acknowledgements (`seen`) travel the same way.
//!
//! Why the writer: a batch that awards a thousand users at once would otherwise send a thousand
//! one-row writes to D1 (a single database) in the same instant; the writer turns them into a
//! few batches.

use cairn_core::definitions::Scope;
use cairn_core::engine::Award;
use cairn_core::{Compiled, Subject, progress};
use serde::{Deserialize, Serialize};
use worker::{D1Database, Env, SqlStorage};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::project::DB;
use crate::{impact, notify};

pub use cairn_core::wire::{LedgerPage as Page, LedgerRow};

/// The ledger row for `award` of `subject`.
pub fn row(defs: &Compiled, subject: Subject<'_>, award: &Award, now: &str) -> LedgerRow {
    let name = defs.milestone(&award.milestone).map_or_else(
        || award.milestone.clone(),
        |m| progress::title(defs, m, "en"),
    );
    LedgerRow {
        id: award.id.clone(),
        project_id: subject.project.to_owned(),
        subject_type: match subject.scope {
            Scope::User => "user",
            Scope::Account => "account",
        }
        .into(),
        subject_id: subject.id.to_owned(),
        milestone_key: award.milestone.clone(),
        milestone_name: name,
        kind: award.kind.as_str().into(),
        tier: award.tier.clone(),
        value: i64::try_from(award.value).unwrap_or(i64::MAX),
        achieved_at: award.achieved_at.to_string(),
        celebrate: award.celebrate,
        holdout: defs.in_holdout(subject.project, &subject.key()),
        seen_at: None,
        celebrated: false,
        celebrated_at: None,
        celebration_type: None,
        celebrated_by: None,
        account_id: (subject.scope == Scope::Account).then(|| subject.id.to_owned()),
        notes: None,
        created_at: now.to_owned(),
    }
}

/// A new award's ledger row, and what its milestone's policy asks of the notification
/// pipeline (decided where the definitions are: in the subject's object).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwardItem {
    #[serde(flatten)]
    pub row: LedgerRow,
    /// The notification channels of its policy (`csm_alert`, `email`, …); items stored
    /// before the pipeline existed have none.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Minutes from the award to its recap email.
    #[serde(default)]
    pub email_delay_minutes: u32,
    /// The definitions it was earned under (the recap renders its titles with them).
    #[serde(default)]
    pub definitions_version: i64,
    /// The subject's totals right after it (the recap shows them).
    #[serde(default)]
    pub totals: std::collections::BTreeMap<String, u64>,
    /// Reached live: compared in the impact analysis (celebrated unless held out).
    #[serde(default)]
    pub eligible: bool,
    /// The subject's first live event (time to first milestone counts from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// The milestone's funnel stage (`setup`, `activation`, `habit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

impl AwardItem {
    pub fn new(
        defs: &Compiled,
        subject: Subject<'_>,
        award: &Award,
        now: &str,
        definitions_version: i64,
        totals: &std::collections::BTreeMap<String, u64>,
    ) -> Self {
        let policy = defs.milestone(&award.milestone).map(|m| &m.policy);
        Self {
            row: row(defs, subject, award, now),
            channels: policy
                .map(|p| p.channels.iter().map(|c| c.as_str().to_owned()).collect())
                .unwrap_or_default(),
            email_delay_minutes: policy.map_or(0, |p| p.email_delay_minutes),
            definitions_version,
            totals: totals.clone(),
            eligible: award.eligible,
            started_at: None,
            stage: award.stage.map(|s| s.as_str().to_owned()),
        }
    }
}

impl std::ops::Deref for AwardItem {
    type Target = LedgerRow;

    fn deref(&self) -> &LedgerRow {
        &self.row
    }
}

/// A user stalled before a milestone (what its webhooks and nudge email say).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StallItem {
    pub project_id: String,
    pub user_id: String,
    pub milestone_key: String,
    /// Its title, in English.
    pub milestone_name: String,
    pub started_at: String,
    pub stalled_at: String,
    /// The milestone's channels (`email` sends a nudge).
    pub channels: Vec<String>,
    pub definitions_version: i64,
}

impl StallItem {
    pub fn new(
        defs: &Compiled,
        subject: Subject<'_>,
        stall: &cairn_core::engine::Stall,
        definitions_version: i64,
    ) -> Self {
        let m = defs.milestone(&stall.milestone);
        Self {
            project_id: subject.project.to_owned(),
            user_id: subject.id.to_owned(),
            milestone_key: stall.milestone.clone(),
            milestone_name: m.map_or_else(
                || stall.milestone.clone(),
                |m| progress::title(defs, m, "en"),
            ),
            started_at: stall.started_at.to_string(),
            stalled_at: stall.due_at.to_string(),
            channels: m
                .map(|m| {
                    m.policy
                        .channels
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            definitions_version,
        }
    }

    /// Its id (in job ids): `st_` and 24 hex digits of its project, user and milestone.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(
            format!(
                "{}\0{}\0{}",
                self.project_id, self.user_id, self.milestone_key
            )
            .as_bytes(),
        );
        let hex: String = d.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("st_{hex}")
    }
}

/// A pending ledger change, kept in a Durable Object's outbox until D1 has it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OutboxItem {
    /// A new award's row.
    Award(Box<AwardItem>),
    /// A user stalled before a milestone (no ledger row: its notifications only).
    Stall(Box<StallItem>),
    /// The subject returned on one of the measured days after an eligible award
    /// (`bit`: see [`cairn_core::engine::RETURN_DAYS`]).
    Returned {
        project: String,
        id: String,
        /// `user:ID` or `account:ID`.
        subject: String,
        bit: u8,
        at: String,
    },
    /// A member saw an award (their own or their account's).
    Seen {
        project: String,
        id: String,
        user: String,
        account: Option<String>,
        at: String,
    },
    /// A member was shown (or clicked) an award's call to action.
    Cta {
        project: String,
        id: String,
        user: String,
        account: Option<String>,
        click: bool,
        at: String,
    },
    /// A user's totals crossed values of the ladder-tuning grid (each `(metric, value)` once
    /// in a user's life: totals only grow).
    Reached {
        project: String,
        user: String,
        cells: Vec<ReachCell>,
        at: String,
    },
}

/// One crossing: `metric`'s total passed `value`, `days` after the user's first event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachCell {
    #[serde(rename = "m")]
    pub metric: String,
    #[serde(rename = "v")]
    pub value: u64,
    #[serde(rename = "d")]
    pub days: u32,
}

impl OutboxItem {
    /// The outbox key: one entry per award, and per acknowledgement.
    pub fn key(&self) -> String {
        match self {
            Self::Award(row) => row.id.clone(),
            Self::Seen { id, .. } => format!("seen:{id}"),
            Self::Returned { id, bit, .. } => format!("returned:{id}:{bit}"),
            Self::Stall(s) => format!("stall:{}", s.milestone_key),
            Self::Cta {
                id, user, click, ..
            } => format!("cta:{user}:{id}:{}", if *click { "click" } else { "view" }),
            // A (user, metric, value) is crossed once ever: its first cell names the item.
            Self::Reached { user, cells, .. } => cells.first().map_or_else(
                || format!("reached:{user}"),
                |c| format!("reached:{user}:{}:{}", c.metric, c.value),
            ),
        }
    }
}

impl OutboxItem {
    /// The subject the item belongs to, as `user:ID` or `account:ID`.
    pub fn subject(&self) -> String {
        match self {
            Self::Award(row) => format!("{}:{}", row.subject_type, row.subject_id),
            Self::Seen { user, .. } | Self::Cta { user, .. } | Self::Reached { user, .. } => {
                format!("user:{user}")
            }
            Self::Returned { subject, .. } => subject.clone(),
            Self::Stall(s) => format!("user:{}", s.user_id),
        }
    }

    /// The project the item belongs to.
    pub fn project(&self) -> &str {
        match self {
            Self::Award(row) => &row.project_id,
            Self::Seen { project, .. }
            | Self::Returned { project, .. }
            | Self::Cta { project, .. }
            | Self::Reached { project, .. } => project,
            Self::Stall(s) => &s.project_id,
        }
    }

    /// When the item was made (for erasure: items made before it are dropped).
    pub fn made_at(&self) -> Option<jiff::Timestamp> {
        match self {
            Self::Award(row) => row.created_at.parse().ok(),
            Self::Seen { at, .. }
            | Self::Returned { at, .. }
            | Self::Cta { at, .. }
            | Self::Reached { at, .. } => at.parse().ok(),
            Self::Stall(s) => s.stalled_at.parse().ok(),
        }
    }
}

/// Most items copied to D1 in one batch.
pub const FLUSH_BATCH: usize = 200;

/// A Durable Object's outbox: ledger items kept in its SQLite storage until the next holder
/// has them. Writes are synchronous, so they commit with the change they record.
pub struct Outbox<'a>(pub &'a SqlStorage);

impl Outbox<'_> {
    /// The table, in each owner's migrations.
    pub const TABLE: &'static str =
        "CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, row TEXT NOT NULL)";

    /// Adds `item` (an item already there, by key, is kept as it is).
    pub fn push(&self, item: &OutboxItem) -> ApiResult<()> {
        self.0.exec(
            "INSERT INTO outbox (id, row) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
            vec![item.key().into(), serde_json::to_string(item)?.into()],
        )?;
        Ok(())
    }

    /// Up to `limit` items, oldest first. An unreadable entry is reported and removed.
    pub fn items(&self, limit: usize) -> ApiResult<Vec<OutboxItem>> {
        #[derive(Deserialize)]
        struct Out {
            id: String,
            row: String,
        }
        let rows: Vec<Out> = self
            .0
            .exec(
                "SELECT id, row FROM outbox ORDER BY rowid LIMIT ?",
                vec![(limit as f64).into()],
            )?
            .to_array()?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            match serde_json::from_str(&r.row) {
                Ok(item) => items.push(item),
                Err(e) => {
                    worker::console_error!("outbox entry {} unreadable, dropped: {e}", r.id);
                    self.remove(std::slice::from_ref(&r.id))?;
                }
            }
        }
        Ok(items)
    }

    /// Every item, oldest first.
    pub fn all(&self) -> ApiResult<Vec<OutboxItem>> {
        self.items(usize::MAX >> 1)
    }

    /// Removes the items with these keys.
    pub fn remove(&self, keys: &[String]) -> ApiResult<()> {
        for key in keys {
            self.0
                .exec("DELETE FROM outbox WHERE id = ?", vec![key.as_str().into()])?;
        }
        Ok(())
    }
}

/// How long an acknowledgement waits for its award's ledger row before it is dropped.
const SEEN_PATIENCE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Applies `items` to the ledger in one batch; returns the keys that are done. Award rows
/// already there are left as they are; an acknowledgement whose award row is not there yet
/// stays pending (up to an hour).
pub async fn flush(env: &Env, items: &[OutboxItem], now: jiff::Timestamp) -> ApiResult<Flushed> {
    if items.is_empty() {
        return Ok(Flushed {
            done: Vec::new(),
            jobs_made: false,
        });
    }
    let db: D1Database = env.d1(DB)?;
    let now_ms = now.as_millisecond();
    // Each item's statement, then the statement creating its notification jobs (in the same
    // batch: a job exists exactly when its ledger row does).
    let mut statements = Vec::with_capacity(items.len() * 2);
    let mut awards = Vec::new();
    // Where each item's own statement is (the others make jobs, but the rollups').
    let mut positions = Vec::with_capacity(items.len());
    let mut rollups = Vec::new();
    // Projects whose old rollup keys this batch forgets.
    let mut pruned: Vec<String> = Vec::new();
    for item in items {
        if let OutboxItem::Stall(stall) = item {
            // No ledger row: its own statement is a no-op, then its jobs.
            positions.push(statements.len());
            awards.push(stall.id());
            statements.push(db.prepare("SELECT 1"));
            statements.extend(notify::stall::statements(&db, stall, now_ms)?);
            continue;
        }
        if let OutboxItem::Returned {
            project, id, bit, ..
        } = item
        {
            // The rollup first (it counts a return only while the row does not have it yet),
            // then the row.
            rollups.push(statements.len());
            statements.push(impact::returned_statement(&db, project, id, *bit)?);
            positions.push(statements.len());
            awards.push(id.clone());
            statements.push(
                db.prepare(
                    "UPDATE milestones SET returned = returned | ?3 WHERE project_id = ?1 AND id = ?2",
                )
                .bind(&[project.as_str().into(), id.as_str().into(), f64::from(*bit).into()])?,
            );
            continue;
        }
        if let OutboxItem::Cta {
            project,
            id,
            user,
            account,
            click,
            ..
        } = item
        {
            // The counter first (while the row does not have the bit), then the bit.
            let bit = if *click { 2.0 } else { 1.0 };
            rollups.push(statements.len());
            statements.push(impact::cta_statement(
                &db,
                project,
                id,
                (user, account.as_deref()),
                *click,
            )?);
            positions.push(statements.len());
            statements.push(members_award(
                &db,
                "cta = cta | ?5",
                (project, id),
                (user, account.as_deref()),
                bit.into(),
            )?);
            continue;
        }
        if let OutboxItem::Reached { project, cells, .. } = item {
            let key = item.key();
            rollups.push(statements.len());
            statements.push(crate::ladder::reach_statement(&db, project, &key, cells)?);
            positions.push(statements.len());
            statements.push(crate::ladder::applied_statement(&db, project, &key, now)?);
            if !pruned.contains(project) {
                pruned.push(project.clone());
                rollups.push(statements.len());
                statements.push(crate::ladder::prune_statement(&db, project, now)?);
            }
            continue;
        }
        let (event, award) = match item {
            OutboxItem::Award(r) => (notify::EventType::Achieved, &r.id),
            OutboxItem::Seen { id, .. } => (notify::EventType::Seen, id),
            OutboxItem::Stall(_)
            | OutboxItem::Returned { .. }
            | OutboxItem::Cta { .. }
            | OutboxItem::Reached { .. } => continue,
        };
        awards.push(award.clone());
        if let OutboxItem::Award(a) = item
            && a.eligible
            && a.subject_type == "user"
        {
            // Before the row: it counts the award only while the ledger does not have it.
            rollups.push(statements.len());
            statements.push(impact::award_statement(&db, a)?);
            if let Some(first) = impact::first_milestone_statement(&db, a)? {
                rollups.push(statements.len());
                statements.push(first);
            }
        }
        if let OutboxItem::Award(a) = item
            && a.subject_type == "user"
        {
            rollups.push(statements.len());
            statements.push(impact::tier_statement(&db, a)?);
            if let Some(stage) = &a.stage {
                rollups.push(statements.len());
                statements.push(impact::stage_statement(&db, a, stage)?);
            }
        }
        if let OutboxItem::Award(a) = item
            && a.account_id.is_some()
        {
            rollups.push(statements.len());
            statements.push(crate::case_studies::award_statement(&db, a)?);
        }
        statements.push(match item {
            OutboxItem::Award(r) => db
                .prepare(
                    "INSERT INTO milestones (id, project_id, subject_type, subject_id, milestone_key, milestone_name, kind, tier, \
                     value, achieved_at, celebrate, holdout, created_at, eligible, first_eligible, account_id, stage) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
                     ?14 AND ?3 = 'user' AND NOT EXISTS (SELECT 1 FROM milestones WHERE project_id = ?2 \
                     AND subject_type = ?3 AND subject_id = ?4 AND eligible = 1), ?15, ?16) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(&[
                    r.id.as_str().into(),
                    r.project_id.as_str().into(),
                    r.subject_type.as_str().into(),
                    r.subject_id.as_str().into(),
                    r.milestone_key.as_str().into(),
                    r.milestone_name.as_str().into(),
                    r.kind.as_str().into(),
                    r.tier.as_str().into(),
                    (r.value as f64).into(),
                    r.achieved_at.as_str().into(),
                    f64::from(u8::from(r.celebrate)).into(),
                    f64::from(u8::from(r.holdout)).into(),
                    r.created_at.as_str().into(),
                    f64::from(u8::from(r.eligible)).into(),
                    r.account_id.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into),
                    r.stage.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into),
                ])?,
            OutboxItem::Seen {
                project,
                id,
                user,
                account,
                at,
            } => members_award(
                &db,
                "seen_at = coalesce(seen_at, ?5)",
                (project, id),
                (user, account.as_deref()),
                at.as_str().into(),
            )?,
            OutboxItem::Stall(_)
            | OutboxItem::Returned { .. }
            | OutboxItem::Cta { .. }
            | OutboxItem::Reached { .. } => continue,
        });
        positions.push(statements.len() - 1);
        statements.push(notify::job_statement(
            &db,
            event,
            item.project(),
            award,
            now_ms,
        )?);
        if let OutboxItem::Award(a) = item {
            statements.push(notify::analytics_statement(
                &db,
                item.project(),
                award,
                now_ms,
            )?);
            if a.channels.iter().any(|c| c == "csm_alert") {
                statements.push(notify::slack_statement(&db, item.project(), award, now_ms)?);
            }
            if a.channels.iter().any(|c| c == "email") && a.subject_type == "user" {
                statements.extend(notify::recap::statements(&db, a, now_ms)?);
            }
        }
    }
    let results = db
        .batch(statements)
        .await
        .map_err(|e| ApiError::unavailable(format!("ledger write failed: {e}")))?;
    let jobs_made = results
        .iter()
        .enumerate()
        .filter(|(i, _)| !positions.contains(i) && !rollups.contains(i))
        .any(|(_, r)| r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) > 0);
    if jobs_made {
        notify::trigger(env, &awards).await;
    }
    let mut done = Vec::with_capacity(items.len());
    for (item, position) in items.iter().zip(&positions) {
        let Some(result) = results.get(*position) else {
            continue;
        };
        let finished = match item {
            OutboxItem::Award(_) | OutboxItem::Stall(_) | OutboxItem::Reached { .. } => true,
            OutboxItem::Seen { at, .. }
            | OutboxItem::Returned { at, .. }
            | OutboxItem::Cta { at, .. } => {
                let changed = result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0;
                let expired = at
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| now.duration_since(t) > SEEN_PATIENCE);
                changed || expired
            }
        };
        if finished {
            done.push(item.key());
        }
    }
    Ok(Flushed { done, jobs_made })
}

/// `UPDATE milestones SET {set}` (`?5` is `value`) on award `id` of `project`, when it is the
/// member's own or their account's.
fn members_award(
    db: &D1Database,
    set: &str,
    (project, id): (&str, &str),
    (user, account): (&str, Option<&str>),
    value: wasm_bindgen::JsValue,
) -> ApiResult<worker::D1PreparedStatement> {
    Ok(db
        .prepare(format!(
            "UPDATE milestones SET {set} WHERE project_id = ?1 AND id = ?2 \
             AND ((subject_type = 'user' AND subject_id = ?3) OR (subject_type = 'account' AND subject_id = ?4))"
        ))
        .bind(&[
            project.into(),
            id.into(),
            user.into(),
            account.map_or(wasm_bindgen::JsValue::NULL, Into::into),
            value,
        ])?)
}

/// What [`flush`] did.
pub struct Flushed {
    /// The keys of the items D1 has.
    pub done: Vec<String>,
    /// Whether notification jobs were made (the project's sweep then watches them).
    pub jobs_made: bool,
}

/// Filters of `GET /v1/milestones`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// `user:ID` or `account:ID`.
    #[serde(default)]
    pub subject: Option<String>,
    /// Milestone key.
    #[serde(default)]
    pub milestone: Option<String>,
    /// `true` / `false`: recorded as celebrated by a person or not.
    #[serde(default)]
    pub celebrated: Option<bool>,
    /// Only awards achieved at or after this instant (RFC 3339).
    #[serde(default)]
    pub since: Option<jiff::Timestamp>,
    /// Opaque cursor from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page size of the ledger's listings: 1–200, default 50.
fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad(
            ErrorCode::InvalidQuery,
            "limit must be 1 to 200",
            Some("limit"),
        ));
    }
    Ok(limit)
}

/// Lists `project`'s ledger.
pub async fn list(env: &Env, project: &str, q: &Query) -> ApiResult<Page> {
    let limit = page_limit(q.limit)?;
    let mut sql = String::from("SELECT * FROM milestones WHERE project_id = ?1");
    let mut args: Vec<wasm_bindgen::JsValue> = vec![project.into()];
    let mut push = |clause: &str, value: wasm_bindgen::JsValue, sql: &mut String| {
        args.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(subject) = &q.subject {
        let (kind, id) = subject
            .split_once(':')
            .filter(|(k, _)| matches!(*k, "user" | "account"))
            .ok_or_else(|| {
                ApiError::bad(
                    ErrorCode::InvalidQuery,
                    "subject is user:ID or account:ID",
                    Some("subject"),
                )
            })?;
        push("subject_type =", kind.into(), &mut sql);
        push("subject_id =", id.into(), &mut sql);
    }
    if let Some(m) = &q.milestone {
        push("milestone_key =", m.as_str().into(), &mut sql);
    }
    if let Some(c) = q.celebrated {
        push("celebrated =", f64::from(u8::from(c)).into(), &mut sql);
    }
    if let Some(since) = q.since {
        push("achieved_at >=", since.to_string().into(), &mut sql);
    }
    if let Some(cursor) = &q.cursor {
        let (at, id) = cursor.split_once('|').ok_or_else(|| {
            ApiError::bad(ErrorCode::InvalidQuery, "unknown cursor", Some("cursor"))
        })?;
        args.push(at.into());
        args.push(id.into());
        let (a, b) = (args.len() - 1, args.len());
        sql.push_str(&format!(
            " AND (achieved_at > ?{a} OR (achieved_at = ?{a} AND id > ?{b}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY achieved_at, id LIMIT {}", limit + 1));
    let mut rows: Vec<LedgerRow> = env
        .d1(DB)?
        .prepare(sql)
        .bind(&args)?
        .all()
        .await?
        .results()?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| format!("{}|{}", r.achieved_at, r.id))
    } else {
        None
    };
    Ok(Page {
        milestones: rows,
        next_cursor,
    })
}

pub use cairn_core::wire::CelebratedRequest as Celebrated;

/// Records how a person (`by`: `api`, `slack:U…`) celebrated award `id`; `false` if there is
/// no such award.
pub async fn mark_celebrated(
    env: &Env,
    project: &str,
    id: &str,
    body: &Celebrated,
    now: &str,
    by: &str,
) -> ApiResult<bool> {
    let db = env.d1(DB)?;
    let update = db
        .prepare(
            "UPDATE milestones SET celebrated = 1, celebrated_at = ?3, celebration_type = ?4, notes = ?5, \
             celebrated_by = ?6 WHERE project_id = ?1 AND id = ?2",
        )
        .bind(&[
            project.into(),
            id.into(),
            now.into(),
            body.celebration_type.as_str().into(),
            body.notes.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into),
            by.into(),
        ])?;
    let now_ms = crate::subject::now().as_millisecond();
    let jobs = notify::job_statement(&db, notify::EventType::Celebrated, project, id, now_ms)?;
    let results = db.batch(vec![update, jobs]).await?;
    let changed = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0)
        > 0;
    if changed {
        notify::trigger(env, &[id.to_owned()]).await;
        crate::writer::watch(env, project, now_ms).await;
    }
    Ok(changed)
}

/// One ledger row.
pub async fn get(env: &Env, project: &str, id: &str) -> ApiResult<Option<LedgerRow>> {
    Ok(env
        .d1(DB)?
        .prepare("SELECT * FROM milestones WHERE project_id = ?1 AND id = ?2")
        .bind(&[project.into(), id.into()])?
        .first(None)
        .await?)
}

/// Deletes a user's ledger rows (erasure).
pub async fn erase_user(env: &Env, project: &str, user: &str) -> ApiResult<()> {
    let db = env.d1(DB)?;
    let rows = db
        .prepare("DELETE FROM milestones WHERE project_id = ?1 AND subject_type = 'user' AND subject_id = ?2")
        .bind(&[project.into(), user.into()])?;
    db.batch(vec![
        rows,
        notify::erase_statement(&db, project, user)?,
        crate::people::erase_statement(&db, project, user)?,
    ])
    .await?;
    Ok(())
}

/// Filters of `GET /v1/console/feed`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// `user` or `account`.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub milestone: Option<String>,
    #[serde(default)]
    pub celebrated: Option<bool>,
    /// The account's CSM (`csm_name` in its traits).
    #[serde(default)]
    pub csm: Option<String>,
    /// The account, and its users' milestones.
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub since: Option<jiff::Timestamp>,
    #[serde(default)]
    pub until: Option<jiff::Timestamp>,
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// The console's feed: `project`'s milestones newest first, each with its account's context.
pub async fn feed(
    env: &Env,
    project: &str,
    q: &FeedQuery,
) -> ApiResult<cairn_core::wire::FeedPage> {
    use cairn_core::wire::{AccountContext, AccountTraits, FeedItem, FeedPage};
    let limit = page_limit(q.limit)?;
    let mut sql = String::from("SELECT * FROM milestones m WHERE m.project_id = ?1");
    let mut args: Vec<wasm_bindgen::JsValue> = vec![project.into()];
    let mut push = |clause: &str, value: &str, sql: &mut String| {
        args.push(value.into());
        sql.push_str(&clause.replace("?N", &format!("?{}", args.len())));
    };
    if let Some(scope) = &q.scope {
        if !matches!(scope.as_str(), "user" | "account") {
            return Err(ApiError::bad(
                ErrorCode::InvalidQuery,
                "scope is user or account",
                Some("scope"),
            ));
        }
        push(" AND m.subject_type = ?N", scope, &mut sql);
    }
    if let Some(kind) = &q.kind {
        push(" AND m.kind = ?N", kind, &mut sql);
    }
    if let Some(tier) = &q.tier {
        push(" AND m.tier = ?N", tier, &mut sql);
    }
    if let Some(m) = &q.milestone {
        push(" AND m.milestone_key = ?N", m, &mut sql);
    }
    if let Some(c) = q.celebrated {
        sql.push_str(if c {
            " AND m.celebrated = 1"
        } else {
            " AND m.celebrated = 0"
        });
    }
    if let Some(account) = &q.account {
        push(
            " AND ((m.subject_type = 'account' AND m.subject_id = ?N) OR (m.subject_type = 'user' AND (m.account_id = ?N \
             OR (m.account_id IS NULL AND m.subject_id IN (SELECT user_id FROM memberships WHERE project_id = ?1 AND account_id = ?N)))))",
            account,
            &mut sql,
        );
    }
    if let Some(csm) = &q.csm {
        push(
            " AND coalesce(m.account_id, \
             (SELECT account_id FROM memberships WHERE project_id = ?1 AND user_id = m.subject_id)) IN \
             (SELECT account_id FROM accounts WHERE project_id = ?1 AND json_extract(traits, '$.csm_name') = ?N)",
            csm,
            &mut sql,
        );
    }
    if let Some(since) = q.since {
        push(" AND m.achieved_at >= ?N", &since.to_string(), &mut sql);
    }
    if let Some(until) = q.until {
        push(" AND m.achieved_at < ?N", &until.to_string(), &mut sql);
    }
    if let Some(cursor) = &q.cursor {
        let (at, id) = cursor.split_once('|').ok_or_else(|| {
            ApiError::bad(ErrorCode::InvalidQuery, "unknown cursor", Some("cursor"))
        })?;
        args.push(at.into());
        args.push(id.into());
        let (a, b) = (args.len() - 1, args.len());
        sql.push_str(&format!(
            " AND (m.achieved_at < ?{a} OR (m.achieved_at = ?{a} AND m.id < ?{b}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY m.achieved_at DESC, m.id DESC LIMIT {}",
        limit + 1
    ));
    let db = env.d1(DB)?;
    let mut rows: Vec<LedgerRow> = db.prepare(sql).bind(&args)?.all().await?.results()?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| format!("{}|{}", r.achieved_at, r.id))
    } else {
        None
    };

    // The page's accounts: each account row's own, each user's through its membership.
    #[derive(Deserialize)]
    struct Membership {
        user_id: String,
        account_id: String,
    }
    #[derive(Deserialize)]
    struct Account {
        account_id: String,
        traits: String,
    }
    let users: Vec<&str> = rows
        .iter()
        .filter(|r| r.subject_type == "user" && r.account_id.is_none())
        .map(|r| r.subject_id.as_str())
        .collect();
    let memberships: Vec<Membership> = db
        .prepare(
            "SELECT user_id, account_id FROM memberships WHERE project_id = ?1 \
             AND user_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(&[project.into(), serde_json::to_string(&users)?.into()])?
        .all()
        .await?
        .results()?;
    // The account the award names (set when it was reached), else the user's membership.
    let account_of = |r: &LedgerRow| -> Option<String> {
        if r.subject_type == "account" {
            return Some(r.subject_id.clone());
        }
        r.account_id.clone().or_else(|| {
            memberships
                .iter()
                .find(|m| m.user_id == r.subject_id)
                .map(|m| m.account_id.clone())
        })
    };
    let mut ids: Vec<String> = rows.iter().filter_map(account_of).collect();
    ids.sort();
    ids.dedup();
    let accounts: Vec<Account> = db
        .prepare(
            "SELECT account_id, traits FROM accounts WHERE project_id = ?1 \
             AND account_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(&[project.into(), serde_json::to_string(&ids)?.into()])?
        .all()
        .await?
        .results()?;
    let items = rows
        .into_iter()
        .map(|row| {
            let id = account_of(&row);
            let traits: Option<AccountTraits> = id.as_ref().and_then(|id| {
                accounts
                    .iter()
                    .find(|a| &a.account_id == id)
                    .and_then(|a| serde_json::from_str(&a.traits).ok())
            });
            let days_as_customer = traits
                .as_ref()
                .and_then(|t| t.customer_since.as_deref())
                .and_then(|since| days_between(since, &row.achieved_at));
            let account = id.map(|account_id| {
                let t = traits.unwrap_or_default();
                AccountContext {
                    account_id,
                    name: t.name,
                    customer_since: t.customer_since,
                    arr: t.arr,
                    currency: t.currency,
                    health_score: t.health_score,
                    csm_name: t.csm_name,
                }
            });
            FeedItem {
                milestone: row,
                account,
                days_as_customer,
            }
        })
        .collect();
    Ok(FeedPage { items, next_cursor })
}

/// Whole days from `since` (a date or an instant) to the instant `at`.
fn days_between(since: &str, at: &str) -> Option<i64> {
    let at: jiff::Timestamp = at.parse().ok()?;
    let since: jiff::Timestamp = since.parse().ok().or_else(|| {
        since
            .parse::<jiff::civil::Date>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })?;
    Some(at.duration_since(since).as_hours().div_euclid(24))
}
