//! Case-study candidates (PRD-114 US-3): accounts ranked by their advanced milestones (their
//! own and their users'), business value and health, with where marketing stands with each.
//!
//! `account_milestones` counts each account's awards by tier as the ledger writes them (in the
//! same D1 batch, guarded by the row being new, like the impact rollup), so the ranking reads
//! one row per account, never the ledger.

use cairn_core::candidates::{self, Facts};
use cairn_core::wire::{
    AccountContext, AccountTraits, CaseStudies, CaseStudyCandidate, CaseStudyStatus,
    CaseStudyUpdate,
};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ledger::AwardItem;
use crate::project::DB;

/// Most candidates listed (the best first).
pub const MAX_CANDIDATES: u32 = 500;

/// Counts a new award for its account (before the row's insert, in its batch).
pub fn award_statement(db: &D1Database, a: &AwardItem) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO account_milestones (project_id, account_id, advanced, mid, total, latest_at) \
             SELECT ?1, ?2, ?3 = 'advanced', ?3 = 'mid', 1, ?4 WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE id = ?5) \
             ON CONFLICT (project_id, account_id) DO UPDATE SET advanced = advanced + excluded.advanced, \
             mid = mid + excluded.mid, total = total + 1, latest_at = max(latest_at, excluded.latest_at)",
        )
        .bind(&[
            a.project_id.as_str().into(),
            a.account_id.as_deref().unwrap_or_default().into(),
            a.tier.as_str().into(),
            a.achieved_at.as_str().into(),
            a.id.as_str().into(),
        ])?)
}

#[derive(Deserialize)]
struct Row {
    account_id: String,
    advanced: f64,
    mid: f64,
    total: f64,
    latest_at: String,
    traits: Option<String>,
    status: Option<String>,
    note: Option<String>,
    updated_by: Option<String>,
    updated_at: Option<String>,
}

/// The project's candidates, best first (declined ones last).
pub async fn list(env: &Env, project: &str) -> ApiResult<CaseStudies> {
    let rows: Vec<Row> = env
        .d1(DB)?
        .prepare(format!(
            "SELECT am.account_id, am.advanced, am.mid, am.total, am.latest_at, a.traits, \
             c.status, c.note, c.updated_by, c.updated_at FROM account_milestones am \
             LEFT JOIN accounts a ON a.project_id = am.project_id AND a.account_id = am.account_id \
             LEFT JOIN case_studies c ON c.project_id = am.project_id AND c.account_id = am.account_id \
             WHERE am.project_id = ?1 ORDER BY am.advanced DESC, am.mid DESC, am.latest_at DESC LIMIT {}",
            MAX_CANDIDATES * 4
        ))
        .bind(&[project.into()])?
        .all()
        .await?
        .results()?;
    let mut candidates: Vec<CaseStudyCandidate> = rows
        .into_iter()
        .map(|r| {
            let t: AccountTraits = r
                .traits
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            let facts = Facts {
                advanced: r.advanced.max(0.0) as u64,
                mid: r.mid.max(0.0) as u64,
                arr: t.arr,
                health: t.health_score,
            };
            CaseStudyCandidate {
                account: AccountContext {
                    account_id: r.account_id,
                    name: t.name,
                    customer_since: t.customer_since,
                    arr: t.arr,
                    currency: t.currency,
                    health_score: t.health_score,
                    csm_name: t.csm_name,
                },
                advanced: facts.advanced,
                mid: facts.mid,
                total: r.total.max(0.0) as u64,
                latest_at: r.latest_at,
                score: (candidates::score(facts) * 10.0).round() / 10.0,
                status: r.status.as_deref().and_then(CaseStudyStatus::parse),
                note: r.note,
                status_by: r.updated_by,
                status_at: r.updated_at,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        let declined = |c: &CaseStudyCandidate| c.status == Some(CaseStudyStatus::Declined);
        declined(a)
            .cmp(&declined(b))
            .then(b.score.total_cmp(&a.score))
            .then(b.latest_at.cmp(&a.latest_at))
    });
    candidates.truncate(MAX_CANDIDATES as usize);
    Ok(CaseStudies { candidates })
}

/// Records where marketing stands with `account` (which must have milestones).
pub async fn update(
    env: &Env,
    project: &str,
    account: &str,
    body: &CaseStudyUpdate,
    by: &str,
) -> ApiResult<()> {
    if body.note.as_ref().is_some_and(|n| n.len() > 1000) {
        return Err(ApiError::bad(
            ErrorCode::InvalidBody,
            "note must be at most 1000 bytes",
            Some("note"),
        ));
    }
    let db = env.d1(DB)?;
    let known: Option<serde_json::Value> = db
        .prepare(
            "SELECT 1 AS one FROM account_milestones WHERE project_id = ?1 AND account_id = ?2",
        )
        .bind(&[project.into(), account.into()])?
        .first(None)
        .await?;
    if known.is_none() {
        return Err(ApiError::not_found("account with milestones"));
    }
    db.prepare(
        "INSERT INTO case_studies (project_id, account_id, status, note, updated_by, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (project_id, account_id) DO UPDATE SET \
         status = excluded.status, note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&[
        project.into(),
        account.into(),
        body.status.as_str().into(),
        body.note.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into),
        by.into(),
        crate::subject::now().to_string().into(),
    ])?
    .run()
    .await?;
    Ok(())
}

/// The candidates as CSV (RFC 4180, a header row first).
pub fn csv(list: &CaseStudies) -> ApiResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(e);
    w.write_record([
        "rank",
        "account_id",
        "name",
        "score",
        "advanced",
        "mid",
        "total",
        "latest_at",
        "arr",
        "currency",
        "health_score",
        "csm",
        "customer_since",
        "status",
        "note",
    ])
    .map_err(fail)?;
    for (i, c) in list.candidates.iter().enumerate() {
        let a = &c.account;
        let num = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
        w.write_record([
            (i + 1).to_string(),
            a.account_id.clone(),
            a.name.clone().unwrap_or_default(),
            c.score.to_string(),
            c.advanced.to_string(),
            c.mid.to_string(),
            c.total.to_string(),
            c.latest_at.clone(),
            num(a.arr),
            a.currency.clone().unwrap_or_default(),
            num(a.health_score),
            a.csm_name.clone().unwrap_or_default(),
            a.customer_since.clone().unwrap_or_default(),
            c.status.map_or("", CaseStudyStatus::as_str).to_owned(),
            c.note.clone().unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}
