//! Wire types: everything that crosses HTTP between the widget (or a customer's server) and the
//! worker. Both sides use these exact types, so the JSON shapes cannot drift apart.
//!
//! Field names are `snake_case`; timestamps are RFC 3339 strings; counts are unsigned integers.
//! Every error response has the single shape [`ErrorBody`].

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::definitions::Compiled;
use crate::engine::{Award, SubjectState, award_id};

/// Request headers of the client (browser) API.
pub mod headers {
    /// The project's publishable key (`pk_…`), safe to embed in HTML.
    pub const KEY: &str = "x-cairn-key";
    /// The end user's id. Interim identity for the walking skeleton: it is replaced by a signed
    /// user token (`Authorization: Bearer …`) in the identity issue.
    pub const USER: &str = "x-cairn-user";
}

/// Body of `POST /v1/client/events`: one event for the calling user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEvent {
    /// Metric key, e.g. `project_created`.
    pub event: String,
    /// How much the metric grows; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// When it happened; the server's clock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// Answer to `POST /v1/client/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackResponse {
    /// The metric tracked.
    pub metric: String,
    /// The user's total for that metric after this event.
    pub total: u64,
    /// Milestones newly reached by this event (usually none); each appears in exactly one
    /// response, ever.
    pub awards: Vec<AwardView>,
}

/// An earned milestone as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardView {
    /// Deterministic award id (`aw_…`).
    pub id: String,
    /// Milestone key, e.g. `projects.10`.
    pub milestone: String,
    /// Title to show, e.g. `10 projects!`.
    pub title: String,
    /// When it was reached.
    pub achieved_at: Timestamp,
    /// The total that reached it.
    pub value: u64,
}

/// Answer to `GET /v1/client/me`: the calling user's totals, awards and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    /// The user's id.
    pub user_id: String,
    /// Metric key -> total.
    pub totals: BTreeMap<String, u64>,
    /// Earned milestones, oldest first.
    pub awards: Vec<AwardView>,
    /// One entry per ladder.
    pub progress: Vec<LadderProgress>,
}

/// Where a user stands on one ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderProgress {
    /// Ladder key.
    pub ladder: String,
    /// Metric it climbs.
    pub metric: String,
    /// Current total.
    pub current: u64,
    /// Next threshold, `None` at the top.
    pub next: Option<u64>,
    /// How many more to reach `next`, `None` at the top.
    pub remaining: Option<u64>,
    /// Progress from the previous threshold (or 0) to `next`, 0–100; 100 at the top.
    pub percent: u8,
}

/// The one error shape of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_body`, `unknown_metric`.
    pub code: String,
    /// Plain message for people.
    pub message: String,
    /// The offending field, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl From<Award> for AwardView {
    fn from(a: Award) -> Self {
        Self {
            id: a.id,
            milestone: a.milestone,
            title: a.title,
            achieved_at: a.achieved_at,
            value: a.value,
        }
    }
}

impl MeResponse {
    /// Builds the view of `state` for `user_id` under `defs`; `subject` is the id awards are
    /// keyed by (see [`award_id`]).
    pub fn build(defs: &Compiled, subject: &str, user_id: &str, state: &SubjectState) -> Self {
        let mut awards: Vec<AwardView> = state
            .earned
            .iter()
            .map(|(key, earned)| AwardView {
                id: award_id(subject, key),
                milestone: key.clone(),
                title: defs
                    .milestone(key)
                    .map_or_else(|| key.clone(), |m| m.title.clone()),
                achieved_at: earned.achieved_at,
                value: earned.value,
            })
            .collect();
        awards.sort_by_key(|a| (a.achieved_at, a.value));
        let progress = defs
            .source()
            .ladders
            .iter()
            .map(|l| LadderProgress::of(&l.key, &l.metric, &l.thresholds, state.total(&l.metric)))
            .collect();
        Self {
            user_id: user_id.to_owned(),
            totals: state.totals.clone(),
            awards,
            progress,
        }
    }
}

impl LadderProgress {
    /// Progress of `current` on a ladder with increasing `thresholds`.
    pub fn of(ladder: &str, metric: &str, thresholds: &[u64], current: u64) -> Self {
        let next = thresholds.iter().copied().find(|&t| t > current);
        let previous = thresholds
            .iter()
            .copied()
            .take_while(|&t| t <= current)
            .last()
            .unwrap_or(0);
        let percent = match next {
            None => 100,
            Some(next) => ((current - previous) * 100 / (next - previous)) as u8,
        };
        Self {
            ladder: ladder.to_owned(),
            metric: metric.to_owned(),
            current,
            next,
            remaining: next.map(|n| n - current),
            percent,
        }
    }
}
