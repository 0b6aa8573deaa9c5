//! The impact rollup: celebrated against holdout users, per milestone and UTC award day.
//!
//! `impact_daily` holds one row per (project, milestone, award day, arm) with the number of
//! eligible awards and how many of them returned on D1, D7 and D30 — counters, never user-days,
//! so a year of a million daily users stays a few hundred thousand rows per project (the
//! arithmetic is in ARCHITECTURE.md). Each counter moves in the same D1 batch as the ledger row
//! it counts, and only while the row does not have it yet: a redelivered outbox item counts
//! once. `*` is each user's first eligible milestone (the overall comparison, one award per
//! user, so its users are independent).

use cairn_core::definitions::Stage;
use cairn_core::engine::{CONVERSION_DAYS, RETURN_DAYS};
use cairn_core::impact;
use cairn_core::wire::{
    FirstMilestoneWeek, ImpactResponse, MilestoneImpact, MilestoneShares, ProgressResponse,
    ShareFunnel, TierReach,
};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::error::ApiResult;
use crate::ledger::AwardItem;
use crate::project::{self, DB};

/// The rollup key of each user's first compared milestone.
pub const FIRST: &str = "*";

/// Counts a new eligible user award in its arm (before the row's insert, in its batch).
pub fn award_statement(db: &D1Database, a: &AwardItem) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO impact_daily (project_id, milestone_key, day, arm, users) \
             SELECT ?1, k, substr(?3, 1, 10), ?4, 1 FROM (SELECT ?2 AS k UNION ALL SELECT '*' AS k \
               WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE project_id = ?1 AND subject_type = 'user' \
               AND subject_id = ?5 AND eligible = 1)) \
             WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE id = ?6) \
             ON CONFLICT (project_id, milestone_key, day, arm) DO UPDATE SET users = users + 1",
        )
        .bind(&[
            a.project_id.as_str().into(),
            a.milestone_key.as_str().into(),
            a.achieved_at.as_str().into(),
            f64::from(u8::from(a.celebrate)).into(),
            a.subject_id.as_str().into(),
            a.id.as_str().into(),
        ])?)
}

/// Counts a return after award `id` (before the row's update, in its batch).
pub fn returned_statement(
    db: &D1Database,
    project: &str,
    id: &str,
    bit: u8,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "UPDATE impact_daily SET d1 = d1 + (?3 = 1), d7 = d7 + (?3 = 2), d30 = d30 + (?3 = 4), \
             converted = converted + (?3 = 8) \
             WHERE project_id = ?1 \
             AND (day, arm) = (SELECT substr(achieved_at, 1, 10), celebrate FROM milestones \
               WHERE project_id = ?1 AND id = ?2 AND eligible = 1 AND (returned & ?3) = 0) \
             AND milestone_key IN (SELECT milestone_key FROM milestones WHERE project_id = ?1 AND id = ?2 \
               UNION ALL SELECT '*' FROM milestones WHERE project_id = ?1 AND id = ?2 AND first_eligible = 1)",
        )
        .bind(&[project.into(), id.into(), f64::from(bit).into()])?)
}

/// Counts a call to action shown or clicked, once per award (before the row's bit, in its
/// batch).
pub fn cta_statement(
    db: &D1Database,
    project: &str,
    id: &str,
    (user, account): (&str, Option<&str>),
    click: bool,
) -> ApiResult<D1PreparedStatement> {
    let bit = if click { 2.0 } else { 1.0 };
    Ok(db
        .prepare(
            "INSERT INTO cta_stats (project_id, milestone_key, tier, views, clicks) \
             SELECT ?1, milestone_key, tier, ?3 = 1, ?3 = 2 FROM milestones \
             WHERE project_id = ?1 AND id = ?2 AND (cta & ?3) = 0 \
             AND ((subject_type = 'user' AND subject_id = ?4) OR (subject_type = 'account' AND subject_id = ?5)) \
             ON CONFLICT (project_id, milestone_key) DO UPDATE SET \
             views = views + excluded.views, clicks = clicks + excluded.clicks",
        )
        .bind(&[
            project.into(),
            id.into(),
            bit.into(),
            user.into(),
            account.map_or(wasm_bindgen::JsValue::NULL, Into::into),
        ])?)
}

/// Counts a user's first milestone of a funnel stage (before the row's insert, in its batch).
pub fn stage_statement(
    db: &D1Database,
    a: &AwardItem,
    stage: &str,
) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO stage_reach (project_id, stage, users) SELECT ?1, ?2, 1 \
             WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE id = ?3) \
             AND NOT EXISTS (SELECT 1 FROM milestones WHERE project_id = ?1 AND subject_type = 'user' \
               AND subject_id = ?4 AND stage = ?2) \
             ON CONFLICT (project_id, stage) DO UPDATE SET users = users + 1",
        )
        .bind(&[
            a.project_id.as_str().into(),
            stage.into(),
            a.id.as_str().into(),
            a.subject_id.as_str().into(),
        ])?)
}

#[derive(Deserialize)]
struct ArmRow {
    milestone_key: String,
    arm: i64,
    n1: Option<f64>,
    r1: Option<f64>,
    n7: Option<f64>,
    r7: Option<f64>,
    n30: Option<f64>,
    r30: Option<f64>,
    n14: Option<f64>,
    c14: Option<f64>,
    all_users: Option<f64>,
}

#[derive(Deserialize)]
struct CtaRow {
    milestone_key: String,
    views: f64,
    clicks: f64,
}

#[derive(Deserialize)]
struct ShareRow {
    milestone_key: String,
    shares: f64,
    visits: Option<f64>,
    signups: Option<f64>,
}

/// The last UTC award day whose day `n` has passed everywhere at `now` (a subject's day `n`
/// ends at most a day and 14 hours after its award's UTC day starts + `n` days).
pub fn horizon(now: jiff::Timestamp, n: i64) -> String {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    today
        .checked_sub(jiff::Span::new().days(n + 2))
        .map_or_else(|_| "0000-00-00".to_owned(), |d| d.to_string())
}

/// The comparisons of `project` at `now`, for one milestone or all of them.
pub async fn report(
    env: &Env,
    project_id: &str,
    milestone: Option<&str>,
    now: jiff::Timestamp,
) -> ApiResult<ImpactResponse> {
    let [h1, h7, h30] = RETURN_DAYS.map(|n| horizon(now, n));
    // The milestone asked for, or NULL for all of them (each query's `?… IS NULL OR …`).
    let only: wasm_bindgen::JsValue = milestone.map_or(wasm_bindgen::JsValue::NULL, Into::into);
    let rows: Vec<ArmRow> = env
        .d1(DB)?
        .prepare(
            "SELECT milestone_key, arm, \
             sum(CASE WHEN day <= ?2 THEN users END) AS n1, sum(CASE WHEN day <= ?2 THEN d1 END) AS r1, \
             sum(CASE WHEN day <= ?3 THEN users END) AS n7, sum(CASE WHEN day <= ?3 THEN d7 END) AS r7, \
             sum(CASE WHEN day <= ?4 THEN users END) AS n30, sum(CASE WHEN day <= ?4 THEN d30 END) AS r30, \
             sum(CASE WHEN day <= ?6 THEN users END) AS n14, sum(CASE WHEN day <= ?6 THEN converted END) AS c14, \
             sum(users) AS all_users \
             FROM impact_daily WHERE project_id = ?1 AND (?5 IS NULL OR milestone_key IN (?5, '*')) \
             GROUP BY milestone_key, arm ORDER BY milestone_key",
        )
        .bind(&[
            project_id.into(),
            h1.into(),
            h7.into(),
            h30.into(),
            only.clone(),
            horizon(now, CONVERSION_DAYS).into(),
        ])?
        .all()
        .await?
        .results()?;
    let db = env.d1(DB)?;
    let ctas: Vec<CtaRow> = db
        .prepare(
            "SELECT milestone_key, views, clicks FROM cta_stats WHERE project_id = ?1 \
             AND (?2 IS NULL OR milestone_key = ?2)",
        )
        .bind(&[project_id.into(), only.clone()])?
        .all()
        .await?
        .results()?;
    // Shares are few next to awards (a row per badge made public), grouped by milestone.
    let shares: Vec<ShareRow> = db
        .prepare(
            "SELECT milestone_key, count(*) AS shares, sum(visits) AS visits, sum(signups) AS signups \
             FROM shares WHERE project_id = ?1 AND (?2 IS NULL OR milestone_key = ?2) GROUP BY milestone_key",
        )
        .bind(&[project_id.into(), only.clone()])?
        .all()
        .await?
        .results()?;
    let defs = project::current_definitions(env, project_id).await?;
    let converts = defs.source().metrics.iter().any(|m| m.conversion);
    let mut keys: Vec<&str> = rows.iter().map(|r| r.milestone_key.as_str()).collect();
    keys.extend(ctas.iter().map(|r| r.milestone_key.as_str()));
    keys.extend(shares.iter().map(|r| r.milestone_key.as_str()));
    keys.sort_unstable();
    keys.dedup();
    // The overall comparison first, then the ladder's order.
    keys.sort_by_key(|k| (*k != FIRST, defs.milestone_index(k).unwrap_or(usize::MAX)));
    let count = |v: Option<f64>| v.map_or(0, |v| v.max(0.0) as u64);
    let milestones = keys
        .iter()
        .map(|key| {
            let arm = |a: i64| rows.iter().find(|r| r.milestone_key == *key && r.arm == a);
            let (c, h) = (arm(1), arm(0));
            let pick = |r: Option<&ArmRow>, day: i64| {
                r.map_or(impact::arm(0, 0), |r| match day {
                    1 => impact::arm(count(r.n1), count(r.r1)),
                    7 => impact::arm(count(r.n7), count(r.r7)),
                    _ => impact::arm(count(r.n30), count(r.r30)),
                })
            };
            let m = defs.milestone(key);
            MilestoneImpact {
                milestone_key: (*key).to_owned(),
                milestone_name: m.map_or_else(
                    || {
                        if *key == FIRST {
                            "Each user's first milestone".to_owned()
                        } else {
                            (*key).to_owned()
                        }
                    },
                    |m| cairn_core::progress::title(&defs, m, "en"),
                ),
                tier: m.map_or_else(String::new, |m| m.tier.clone()),
                retention: RETURN_DAYS
                    .iter()
                    .map(|&d| {
                        impact::compare(u32::try_from(d).unwrap_or(0), pick(c, d), pick(h, d))
                    })
                    .collect(),
                conversion: converts.then(|| {
                    let conv = |r: Option<&ArmRow>| {
                        r.map_or(impact::arm(0, 0), |r| {
                            impact::arm(count(r.n14), count(r.c14))
                        })
                    };
                    impact::compare(
                        u32::try_from(CONVERSION_DAYS).unwrap_or(14),
                        conv(c),
                        conv(h),
                    )
                }),
                cta: (*key != FIRST).then(|| {
                    ctas.iter()
                        .find(|r| r.milestone_key == *key)
                        .map_or(impact::cta(0, 0), |r| {
                            impact::cta(count(Some(r.views)), count(Some(r.clicks)))
                        })
                }),
                shares: (*key != FIRST).then(|| {
                    let celebrated = c.map_or(0, |r| count(r.all_users));
                    let s = shares.iter().find(|r| r.milestone_key == *key);
                    let n = s.map_or(0, |s| count(Some(s.shares)));
                    let (visits, signups) =
                        s.map_or((0, 0), |s| (count(s.visits), count(s.signups)));
                    MilestoneShares {
                        celebrated,
                        share_rate: (celebrated > 0).then(|| n as f64 / celebrated as f64),
                        funnel: ShareFunnel {
                            shares: n,
                            visits,
                            signups,
                            conversion_rate: (visits > 0).then(|| signups as f64 / visits as f64),
                        },
                    }
                }),
            }
        })
        .collect();
    Ok(ImpactResponse {
        as_of: now.to_string(),
        milestones,
    })
}

/// The Monday (UTC) of `at`'s ISO week, `YYYY-MM-DD`.
fn week_of(at: jiff::Timestamp) -> String {
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(jiff::Span::new().days(back))
        .map_or_else(|_| date.to_string(), |d| d.to_string())
}

/// Counts a user's first compared milestone in the time-to-first histogram (before the row's
/// insert, in its batch); none without a first live event to count from.
pub fn first_milestone_statement(
    db: &D1Database,
    a: &AwardItem,
) -> ApiResult<Option<D1PreparedStatement>> {
    let (Some(started), Ok(achieved)) = (
        a.started_at
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok()),
        a.achieved_at.parse::<jiff::Timestamp>(),
    ) else {
        return Ok(None);
    };
    let hours = achieved.duration_since(started).as_hours().max(0);
    Ok(Some(
        db.prepare(
            "INSERT INTO first_milestones (project_id, signup_week, hours, users) \
             SELECT ?1, ?2, ?3, 1 WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE id = ?4) \
             AND NOT EXISTS (SELECT 1 FROM milestones WHERE project_id = ?1 AND subject_type = 'user' \
             AND subject_id = ?5 AND eligible = 1) \
             ON CONFLICT (project_id, signup_week, hours) DO UPDATE SET users = users + 1",
        )
        .bind(&[
            a.project_id.as_str().into(),
            week_of(started).into(),
            (hours as f64).into(),
            a.id.as_str().into(),
            a.subject_id.as_str().into(),
        ])?,
    ))
}

/// Counts a user's first milestone of its tier, and their first milestone at all (`*`).
pub fn tier_statement(db: &D1Database, a: &AwardItem) -> ApiResult<D1PreparedStatement> {
    Ok(db
        .prepare(
            "INSERT INTO tier_reach (project_id, tier, users) \
             SELECT ?1, k, 1 FROM (SELECT ?2 AS k WHERE NOT EXISTS (SELECT 1 FROM milestones \
               WHERE project_id = ?1 AND subject_type = 'user' AND subject_id = ?4 AND tier = ?2) \
             UNION ALL SELECT '*' AS k WHERE NOT EXISTS (SELECT 1 FROM milestones \
               WHERE project_id = ?1 AND subject_type = 'user' AND subject_id = ?4)) \
             WHERE NOT EXISTS (SELECT 1 FROM milestones WHERE id = ?3) \
             ON CONFLICT (project_id, tier) DO UPDATE SET users = users + 1",
        )
        .bind(&[
            a.project_id.as_str().into(),
            a.tier.as_str().into(),
            a.id.as_str().into(),
            a.subject_id.as_str().into(),
        ])?)
}

/// Time to first milestone by signup week, and progression through tiers.
pub async fn progress(env: &Env, project_id: &str) -> ApiResult<ProgressResponse> {
    #[derive(Deserialize)]
    struct Hist {
        signup_week: String,
        hours: f64,
        users: f64,
    }
    #[derive(Deserialize)]
    struct Reach {
        tier: String,
        users: f64,
    }
    let db = env.d1(DB)?;
    let hist: Vec<Hist> = db
        .prepare(
            "SELECT signup_week, hours, users FROM first_milestones WHERE project_id = ?1 \
             ORDER BY signup_week, hours",
        )
        .bind(&[project_id.into()])?
        .all()
        .await?
        .results()?;
    let reach: Vec<Reach> = db
        .prepare("SELECT tier, users FROM tier_reach WHERE project_id = ?1")
        .bind(&[project_id.into()])?
        .all()
        .await?
        .results()?;
    let mut time_to_first: Vec<FirstMilestoneWeek> = Vec::new();
    let mut week: Vec<(u64, u64)> = Vec::new();
    let count = |v: f64| v.max(0.0) as u64;
    for (i, h) in hist.iter().enumerate() {
        week.push((count(h.hours), count(h.users)));
        let last = hist
            .get(i + 1)
            .is_none_or(|n| n.signup_week != h.signup_week);
        if last {
            let q = |q| impact::nearest_rank(&week, q).unwrap_or(0);
            time_to_first.push(FirstMilestoneWeek {
                signup_week: h.signup_week.clone(),
                users: week.iter().map(|(_, c)| c).sum(),
                p50_hours: q(0.5),
                p75_hours: q(0.75),
                p90_hours: q(0.9),
            });
            week.clear();
        }
    }
    let users = reach
        .iter()
        .find(|r| r.tier == FIRST)
        .map_or(0, |r| count(r.users));
    let rank = |t: &str| match t {
        "early" => 0,
        "mid" => 1,
        "advanced" => 2,
        _ => 3,
    };
    let mut tiers: Vec<TierReach> = reach
        .iter()
        .filter(|r| r.tier != FIRST)
        .map(|r| TierReach {
            tier: r.tier.clone(),
            users: count(r.users),
            share: (users > 0).then(|| count(r.users) as f64 / users as f64),
        })
        .collect();
    tiers.sort_by(|a, b| rank(&a.tier).cmp(&rank(&b.tier)).then(a.tier.cmp(&b.tier)));
    #[derive(Deserialize)]
    struct StageRow {
        stage: String,
        users: f64,
    }
    let stages: Vec<StageRow> = db
        .prepare("SELECT stage, users FROM stage_reach WHERE project_id = ?1")
        .bind(&[project_id.into()])?
        .all()
        .await?
        .results()?;
    let started = crate::ladder::started(&db, project_id).await?;
    let in_defs: Vec<Stage> = {
        let defs = project::current_definitions(env, project_id).await?;
        Stage::ALL
            .iter()
            .copied()
            .filter(|s| defs.milestones().iter().any(|m| m.stage == Some(*s)))
            .collect()
    };
    let steps: Vec<(&str, u64)> = in_defs
        .iter()
        .map(|s| {
            let n = stages
                .iter()
                .find(|r| r.stage == s.as_str())
                .map_or(0, |r| count(r.users));
            (s.as_str(), n)
        })
        .collect();
    Ok(ProgressResponse {
        time_to_first,
        users,
        tiers,
        funnel: if steps.is_empty() {
            Vec::new()
        } else {
            impact::funnel(started, &steps)
        },
    })
}
