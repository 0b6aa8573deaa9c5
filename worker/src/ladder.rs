//! Ladder tuning's rollup: per (metric, grid value, days) the users whose total crossed the
//! value that many days after their first event (see [`cairn_core::ladder`]). A user's object
//! sends each crossing once (totals only grow); the writer adds it in its D1 batch, with the
//! item's key in `rollup_keys` so that a redelivered item counts once.

use cairn_core::ladder::{self, Cell};
use cairn_core::wire::LadderResponse;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ledger::ReachCell;
use crate::project::{self, DB};

/// How long a rollup key is kept (an outbox item is redelivered within minutes).
const KEYS_KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(48);

/// The crossings of one outbox item, unless D1 already has its key.
pub fn reach_statement(
    db: &D1Database,
    project: &str,
    key: &str,
    cells: &[ReachCell],
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO ladder_reach (project_id, metric, value, days, users) \
             SELECT ?1, json_extract(c.value, '$.m'), json_extract(c.value, '$.v'), \
             json_extract(c.value, '$.d'), 1 FROM json_each(?3) AS c \
             WHERE NOT EXISTS (SELECT 1 FROM rollup_keys WHERE project_id = ?1 AND key = ?2) \
             ON CONFLICT (project_id, metric, value, days) DO UPDATE SET users = users + 1",
        )
        .bind(&[
            project.into(),
            key.into(),
            serde_json::to_string(cells)?.into(),
        ])?)
}

/// Remembers that D1 has the item `key` (after its counters, in the same batch).
pub fn applied_statement(
    db: &D1Database,
    project: &str,
    key: &str,
    now: jiff::Timestamp,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO rollup_keys (project_id, key, at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (project_id, key) DO NOTHING",
        )
        .bind(&[project.into(), key.into(), now.to_string().into()])?)
}

/// Forgets the project's rollup keys older than [`KEYS_KEPT`].
pub fn prune_statement(
    db: &D1Database,
    project: &str,
    now: jiff::Timestamp,
) -> ApiResult<D1PreparedStatement> {
    let before = now
        .checked_sub(KEYS_KEPT)
        .map_err(|e| ApiError::internal(format!("time out of range: {e}")))?;
    Ok(db
        .prepare("DELETE FROM rollup_keys WHERE project_id = ?1 AND at < ?2")
        .bind(&[project.into(), before.to_string().into()])?)
}

/// The cells of one crossing event, as the user's object sends them.
pub fn cells(reached: &[cairn_core::engine::Reached]) -> Vec<ReachCell> {
    reached
        .iter()
        .flat_map(|r| {
            ladder::crossed(r.from, r.to)
                .into_iter()
                .map(move |value| ReachCell {
                    metric: r.metric.clone(),
                    value,
                    days: r.days.min(ladder::MAX_DAYS),
                })
        })
        .collect()
}

/// Users with any event (the funnel's first step).
pub async fn started(db: &D1Database, project: &str) -> ApiResult<u64> {
    #[derive(Deserialize)]
    struct Row {
        users: Option<f64>,
    }
    let row: Option<Row> = db
        .prepare(
            "SELECT sum(users) AS users FROM ladder_reach WHERE project_id = ?1 AND metric = ?2 AND value = 1",
        )
        .bind(&[project.into(), ladder::ANY.into()])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| r.users).map_or(0, |u| u.max(0.0) as u64))
}

/// `GET /v1/analytics/ladder?metric=&thresholds=`.
pub async fn report(
    env: &Env,
    project_id: &str,
    metric: Option<&str>,
    thresholds: Option<&str>,
) -> ApiResult<LadderResponse> {
    #[derive(Deserialize)]
    struct Row {
        value: f64,
        days: f64,
        users: f64,
    }
    let defs = project::current_definitions(env, project_id).await?;
    let metrics: Vec<String> = defs
        .source()
        .metrics
        .iter()
        .map(|m| m.key.clone())
        .collect();
    let key = match metric {
        Some(m) => m.to_owned(),
        None => metrics
            .first()
            .cloned()
            .ok_or_else(|| ApiError::not_found("metric"))?,
    };
    let Some(m) = defs.metric(&key) else {
        return Err(ApiError::bad(
            ErrorCode::UnknownMetric,
            format!("\"{key}\" is not a metric of the live definitions"),
            Some("metric"),
        ));
    };
    let current = defs.user_thresholds(&key);
    let asked = match thresholds {
        Some(text) => ladder::parse_thresholds(text)
            .map_err(|e| ApiError::bad(ErrorCode::InvalidQuery, e, Some("thresholds")))?,
        None => Vec::new(),
    };
    let asked = if asked.is_empty() {
        current.clone()
    } else {
        asked
    };
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare(
            "SELECT value, days, users FROM ladder_reach WHERE project_id = ?1 AND metric = ?2",
        )
        .bind(&[project_id.into(), key.as_str().into()])?
        .all()
        .await?
        .results()?;
    let cells: Vec<Cell> = rows
        .iter()
        .map(|r| Cell {
            value: r.value.max(0.0) as u64,
            days: r.days.max(0.0) as u32,
            users: r.users.max(0.0) as u64,
        })
        .collect();
    let r = ladder::report(&cells, &asked);
    Ok(LadderResponse {
        metric: key.clone(),
        metric_name: m.name.clone(),
        metrics,
        users: r.users,
        rungs: r.rungs,
        current,
        simulated: r.simulated,
        suggested: r.suggested,
        suggestion_rule: ladder::SUGGESTION_RULE.to_owned(),
    })
}
