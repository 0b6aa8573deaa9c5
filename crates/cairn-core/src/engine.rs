//! The engine: applies one event to one subject's state and reports what it unlocked.
//!
//! A *subject* is whoever owns counters and awards (a user of a product, later also an account).
//! Its host keeps a [`SubjectState`] and is its single writer; the engine is a pure function of
//! `(state, event, now, definitions)`. Every milestone is awarded at most once per subject: the
//! state remembers earned milestones, and a jump that crosses several thresholds awards each once.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::definitions::Compiled;

/// How far in the future an event's timestamp may be (client clocks drift).
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// One usage event for one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// The metric's key.
    pub metric: &'a str,
    /// How much the metric grows: 1 for an occurrence.
    pub amount: u64,
    /// When it happened.
    pub at: Timestamp,
}

/// Why an event was not applied. Nothing in the state changes when it is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The metric is not in the definitions.
    #[error("unknown metric \"{0}\"")]
    UnknownMetric(String),
    /// The amount is 0.
    #[error("amount must be greater than 0")]
    ZeroAmount,
    /// The timestamp is after `now` plus [`MAX_CLOCK_SKEW`].
    #[error("timestamp {0} is in the future")]
    FutureTimestamp(Timestamp),
}

/// A milestone a subject has earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earned {
    /// When the crossing event happened.
    pub achieved_at: Timestamp,
    /// The metric total right after the crossing event.
    pub value: u64,
}

/// Everything the engine remembers about one subject. Small by design: it is read and written
/// whole by the host on every event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectState {
    /// Metric key -> total.
    #[serde(default)]
    pub totals: BTreeMap<String, u64>,
    /// Milestone key -> when and at what value it was earned.
    #[serde(default)]
    pub earned: BTreeMap<String, Earned>,
}

/// A milestone newly earned by one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    /// Deterministic id: see [`award_id`].
    pub id: String,
    /// Milestone key.
    pub milestone: String,
    /// Title with placeholders filled.
    pub title: String,
    /// When it was earned.
    pub achieved_at: Timestamp,
    /// The total that crossed the threshold.
    pub value: u64,
}

/// What one event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The event's metric total after the event.
    pub total: u64,
    /// Awards newly earned, by increasing threshold. Empty most of the time.
    pub awards: Vec<Award>,
}

impl SubjectState {
    /// Applies `event` for the subject `subject` (a stable id such as `project/user`).
    ///
    /// Either the event is applied whole and the outcome returned, or an error is returned and
    /// the state is unchanged.
    pub fn apply(
        &mut self,
        defs: &Compiled,
        subject: &str,
        event: &Event<'_>,
        now: Timestamp,
    ) -> Result<Outcome, EventError> {
        if defs.metric(event.metric).is_none() {
            return Err(EventError::UnknownMetric(event.metric.to_owned()));
        }
        if event.amount == 0 {
            return Err(EventError::ZeroAmount);
        }
        if event.at > now + MAX_CLOCK_SKEW {
            return Err(EventError::FutureTimestamp(event.at));
        }
        let total = self.totals.entry(event.metric.to_owned()).or_default();
        *total = total.saturating_add(event.amount);
        let total = *total;
        let mut awards = Vec::new();
        for m in defs
            .watching(event.metric)
            .take_while(|m| m.threshold <= total)
        {
            if self.earned.contains_key(&m.key) {
                continue;
            }
            self.earned.insert(
                m.key.clone(),
                Earned {
                    achieved_at: event.at,
                    value: total,
                },
            );
            awards.push(Award {
                id: award_id(subject, &m.key),
                milestone: m.key.clone(),
                title: m.title.clone(),
                achieved_at: event.at,
                value: total,
            });
        }
        Ok(Outcome { total, awards })
    }

    /// The subject's total for `metric` (0 when never seen).
    pub fn total(&self, metric: &str) -> u64 {
        self.totals.get(metric).copied().unwrap_or(0)
    }
}

/// The award id of `milestone` for `subject`: stable across runs, machines and retries, so that
/// storing an award twice (e.g. a retried ledger write) is idempotent.
pub fn award_id(subject: &str, milestone: &str) -> String {
    let digest = Sha256::new()
        .chain_update(subject.as_bytes())
        .chain_update([0])
        .chain_update(milestone.as_bytes())
        .finalize();
    let mut id = String::with_capacity(3 + 24);
    id.push_str("aw_");
    for byte in &digest[..12] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}
