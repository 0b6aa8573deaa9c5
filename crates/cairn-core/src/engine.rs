//! The engine: applies one event (or a clock tick) to one subject's state and reports what it
//! unlocked.
//!
//! A *subject* owns counters and awards: an end user, or an account (a team). Its host keeps a
//! [`SubjectState`] and is its single writer; the engine is a pure function of
//! `(state, event | tick, now, definitions)`:
//!
//! - every milestone is awarded at most once per subject; a jump that crosses several
//!   thresholds awards each of them, once, lowest first;
//! - an event whose idempotency key was seen in the last [`IDEMPOTENCY_WINDOW`] (up to
//!   [`IDEMPOTENCY_KEYS`] keys) is a *duplicate*: it changes nothing and returns the original
//!   result, awards included;
//! - an event is applied whole or not at all: every error leaves the state unchanged;
//! - when the definitions change, milestones that the state already satisfies are awarded
//!   retroactively with `celebrate = false`; earned awards always stay;
//! - [`Outcome::next_due`] is the next instant at which a time milestone could fire or a streak
//!   could lapse, so the host can set an alarm and call [`SubjectState::tick`].
//!
//! Streaks count periods (days or ISO weeks) in the subject's time zone, in arrival order: a late
//! event for a period before the streak's latest one does not change the streak.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::definitions::{Aggregate, Compiled, Kind, Milestone, Period, Rule, Scope};

/// How far in the future an event's timestamp may be (client clocks drift).
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);
/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// How many idempotency keys a subject remembers at most (the newest).
pub const IDEMPOTENCY_KEYS: usize = 128;
/// A time milestone detected more than this long after it was due is recorded without
/// celebrating (e.g. a sign-up date learned years later).
pub const TIME_GRACE: SignedDuration = SignedDuration::from_hours(24);

/// Whose state this is: a user or an account of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The project's id.
    pub project: &'a str,
    /// User or account.
    pub scope: Scope,
    /// The user's or account's id in the product.
    pub id: &'a str,
}

impl Subject<'_> {
    /// A stable textual id, `{project}/{user|account}/{id}`: award ids and holdout derive from it.
    pub fn key(&self) -> String {
        let scope = match self.scope {
            Scope::User => "user",
            Scope::Account => "account",
        };
        format!("{}/{scope}/{}", self.project, self.id)
    }
}

/// Facts about a subject that events may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traits {
    /// When the user signed up or the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// IANA time zone, e.g. `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// One usage event for one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// The metric's key.
    pub metric: &'a str,
    /// For `count` metrics, occurrences (default 1, at least 1); for `sum` metrics the amount
    /// added (required).
    pub value: Option<u64>,
    /// When it happened.
    pub at: Timestamp,
    /// Makes retries safe: a key seen before is a duplicate.
    pub idempotency_key: Option<&'a str>,
    /// For account subjects: the member (user id) who did it.
    pub member: Option<&'a str>,
    /// Traits to record (a newer value replaces an older one).
    pub traits: Option<&'a Traits>,
    /// History being imported: awards are recorded with `celebrate = false`.
    pub backfill: bool,
}

impl<'a> Event<'a> {
    /// An occurrence of `metric` at `at`, with nothing else set.
    pub fn new(metric: &'a str, at: Timestamp) -> Self {
        Self {
            metric,
            value: None,
            at,
            idempotency_key: None,
            member: None,
            traits: None,
            backfill: false,
        }
    }
}

/// Why an event was not applied. The state is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The metric is not in the definitions.
    #[error("unknown metric \"{0}\"")]
    UnknownMetric(String),
    /// A count metric's value is 0.
    #[error("value must be at least 1 for a count metric")]
    ZeroValue,
    /// A sum metric's event has no value.
    #[error("value is required for metric \"{0}\", which sums values")]
    MissingValue(String),
    /// The timestamp is after `now` plus [`MAX_CLOCK_SKEW`].
    #[error("timestamp {0} is in the future")]
    FutureTimestamp(Timestamp),
    /// The time zone is not an IANA zone.
    #[error("unknown time zone \"{0}\"")]
    UnknownTimeZone(String),
    /// The milestone is not defined.
    #[error("unknown milestone \"{0}\"")]
    UnknownMilestone(String),
    /// Only `custom` milestones of the subject's scope can be awarded by API.
    #[error("milestone \"{0}\" is not a custom milestone of this kind of subject")]
    NotCustom(String),
}

/// A milestone a subject has earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earned {
    /// When it was reached.
    #[serde(rename = "t")]
    pub achieved_at: Timestamp,
    /// The value that reached it (total, members, streak length…).
    #[serde(rename = "v")]
    pub value: u64,
    /// Whether it is to be celebrated (false for history, holdout and retroactive awards).
    #[serde(rename = "c")]
    pub celebrate: bool,
    /// Whether it was reached live, so that it is celebrated unless the subject is in the
    /// holdout: the awards the impact analysis compares.
    #[serde(default, rename = "e", skip_serializing_if = "std::ops::Not::not")]
    pub eligible: bool,
}

/// A streak in progress: consecutive periods with activity on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakRun {
    /// Index of the latest period with activity (days or weeks since 1970-01-01, local).
    pub last: i64,
    /// Length of the current run, in periods with activity.
    pub len: u32,
    /// Missed periods bridged in the current run.
    pub frozen: u32,
    /// Longest run ever.
    pub best: u32,
}

/// A remembered idempotency key and the result it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// 64-bit hash of the key.
    pub k: u64,
    /// When it was first seen.
    pub t: Timestamp,
    /// The metric's total after it.
    pub total: u64,
    /// The milestones it awarded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<String>,
}

/// Everything the engine remembers about one subject. Small by design: the host reads and
/// writes it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectState {
    /// Metric key → total (occurrences or sum).
    #[serde(default)]
    pub totals: BTreeMap<String, u64>,
    /// Milestone key → when, at what value, and whether to celebrate.
    #[serde(default)]
    pub earned: BTreeMap<String, Earned>,
    /// `{metric}/{day|week}/{freezes}` → the streak in progress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub streaks: BTreeMap<String, StreakRun>,
    /// Distinct members (account subjects).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub members: BTreeSet<String>,
    /// The subject's traits.
    #[serde(default)]
    pub traits: Traits,
    /// Recent idempotency keys, oldest first.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub recent: VecDeque<Seen>,
    /// Fingerprint of the definitions last evaluated against.
    #[serde(default)]
    pub fingerprint: Option<u64>,
    /// When the subject's first live event happened (stalls count from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// Milestones whose stall was already reported (once each).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub stalled: BTreeSet<String>,
    /// Eligible awards still inside their return window: milestone key → the return days
    /// already reported (bit `i` for [`RETURN_DAYS`]`[i]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub returns: BTreeMap<String, u8>,
    /// The earliest event seen, live or history (days to a total count from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_at: Option<Timestamp>,
}

/// The days after an award on which a return is measured: D1, D7 and D30. A subject
/// *returned on day n* when it has any event on the n-th calendar day after the award's, in
/// its time zone (PostHog's "returned and performed any event in that period").
pub const RETURN_DAYS: [i64; 3] = [1, 7, 30];

/// The bit reporting a conversion after an award (beside [`RETURN_DAYS`]' bits).
pub const CONVERTED: u8 = 1 << RETURN_DAYS.len();

/// A conversion counts for an award when it happens this many days after it, or fewer.
pub const CONVERSION_DAYS: i64 = 14;

/// All of [`RETURN_DAYS`]' bits and [`CONVERTED`].
const ALL_RETURNS: u8 = (CONVERTED << 1) - 1;

/// A user's total on a metric moved from `from` to `to` (the ladder-tuning histogram counts
/// the thresholds crossed: see [`crate::ladder`]). `metric` is `*` for the user's first event
/// of any metric (`from` 0, `to` 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reached {
    pub metric: String,
    pub from: u64,
    pub to: u64,
    /// Whole days from the user's first event to this one.
    pub days: u32,
}

/// A subject returned on one of [`RETURN_DAYS`] after an eligible award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returned {
    /// The award's id.
    pub award_id: String,
    /// Its milestone.
    pub milestone: String,
    /// The bit of the day returned on (`1 << i` for [`RETURN_DAYS`]`[i]`), or [`CONVERTED`].
    pub bit: u8,
}

/// A user who started but has not reached a milestone `stall_after` later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stall {
    /// The milestone not reached.
    pub milestone: String,
    /// The user's first event.
    pub started_at: Timestamp,
    /// When not having it became a stall.
    pub due_at: Timestamp,
}

/// A milestone newly earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// Deterministic id: see [`award_id`].
    pub id: String,
    /// Milestone key.
    pub milestone: String,
    /// Its kind.
    pub kind: Kind,
    /// Its tier.
    pub tier: String,
    /// User or account.
    pub scope: Scope,
    /// When it was reached.
    pub achieved_at: Timestamp,
    /// The value that reached it.
    pub value: u64,
    /// Whether to celebrate it.
    pub celebrate: bool,
    /// Whether it was reached live (celebrated unless in the holdout): see [`Earned::eligible`].
    pub eligible: bool,
    /// Its stage in the setup → activation → habit funnel.
    pub stage: Option<crate::definitions::Stage>,
}

/// What one event or tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The event's idempotency key was seen before: nothing changed, and this is the original
    /// result.
    pub duplicate: bool,
    /// The event metric's total after the event (0 for ticks).
    pub total: u64,
    /// Awards newly earned (for a duplicate: the ones the original earned).
    pub awards: Vec<Award>,
    /// The next instant a time milestone could fire or a streak could lapse.
    pub next_due: Option<Timestamp>,
    /// Returns (and conversions) after eligible awards that this event is the first to show
    /// (none for ticks and duplicates).
    pub returned: Vec<Returned>,
    /// The user's totals that moved (none for accounts, ticks and duplicates).
    pub reached: Vec<Reached>,
}

impl SubjectState {
    /// Applies `event` to `subject`'s state. Either the whole event is applied, or an error is
    /// returned and the state is unchanged.
    pub fn apply(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        event: &Event<'_>,
        now: Timestamp,
    ) -> Result<Outcome, EventError> {
        let metric = defs
            .metric(event.metric)
            .ok_or_else(|| EventError::UnknownMetric(event.metric.to_owned()))?;
        let amount = match (metric.aggregate, event.value) {
            (Aggregate::Count, None) => 1,
            (Aggregate::Count, Some(0)) => return Err(EventError::ZeroValue),
            (Aggregate::Count | Aggregate::Sum, Some(v)) => v,
            (Aggregate::Sum, None) => {
                return Err(EventError::MissingValue(event.metric.to_owned()));
            }
        };
        if event.at > now + MAX_CLOCK_SKEW {
            return Err(EventError::FutureTimestamp(event.at));
        }
        if let Some(tz) = event.traits.and_then(|t| t.tz.as_deref())
            && TimeZone::get(tz).is_err()
        {
            return Err(EventError::UnknownTimeZone(tz.to_owned()));
        }
        let key_hash = event.idempotency_key.map(|k| stable_hash(&[k.as_bytes()]));
        self.forget_old_keys(now);
        if let Some(seen) = key_hash.and_then(|k| self.recent.iter().find(|s| s.k == k)) {
            let awards = seen
                .awards
                .iter()
                .filter_map(|m| self.award(defs, subject, m))
                .collect();
            return Ok(Outcome {
                duplicate: true,
                total: seen.total,
                awards,
                next_due: self.next_due(defs, subject, now),
                returned: Vec::new(),
                reached: Vec::new(),
            });
        }

        let mut awards = self.reconcile(defs, subject, now);
        // History does not start anyone: stalls count from live activity.
        if !event.backfill && self.started_at.is_none_or(|s| event.at < s) {
            self.started_at = Some(event.at);
        }
        if let Some(traits) = event.traits {
            if traits.created_at.is_some() {
                self.traits.created_at = traits.created_at;
            }
            if traits.tz.is_some() {
                self.traits.tz.clone_from(&traits.tz);
            }
        }
        let total = self.totals.entry(event.metric.to_owned()).or_default();
        let before = *total;
        *total = total.saturating_add(amount);
        let total = *total;
        let mut reached = Vec::new();
        if subject.scope == Scope::User {
            if self.first_at.is_none() {
                // The user's first event.
                reached.push(Reached {
                    metric: crate::ladder::ANY.to_owned(),
                    from: 0,
                    to: 1,
                    days: 0,
                });
            }
            let first = *self
                .first_at
                .insert(self.first_at.map_or(event.at, |f| f.min(event.at)));
            let days = u32::try_from(event.at.duration_since(first).as_secs().max(0) / 86_400)
                .unwrap_or(u32::MAX);
            reached.push(Reached {
                metric: event.metric.to_owned(),
                from: before,
                to: total,
                days,
            });
        }
        let mut members_changed = false;
        if let (Scope::Account, Some(member)) = (subject.scope, event.member) {
            members_changed = self.members.insert(member.to_owned());
        }
        let watchers = defs.watching(subject.scope, event.metric);
        let tz = self.time_zone(defs);
        let converts = metric.conversion && !event.backfill;
        let returned = self.note_return(subject, event.at, &tz, converts);
        for &i in watchers.map_or(&[][..], |w| &w.others) {
            if let Rule::Streak {
                metric,
                period,
                freezes,
                ..
            } = &defs.milestones()[i].rule
            {
                let run_key = streak_key(metric, *period, *freezes);
                let p = period_index(event.at, &tz, *period);
                let run = self.streaks.get(&run_key).copied();
                self.streaks.insert(run_key, advance(run, p, *freezes));
            }
        }
        let mut candidates: Vec<usize> = watchers
            .map(|w| w.candidates(total).collect())
            .unwrap_or_default();
        if members_changed {
            candidates.extend_from_slice(defs.member_milestones());
        }
        if event.traits.is_some_and(|t| t.created_at.is_some()) {
            candidates.extend_from_slice(defs.timed(subject.scope));
        }
        self.evaluate(
            defs,
            subject,
            candidates,
            Trigger::Event {
                at: event.at,
                live: !event.backfill,
            },
            now,
            &mut awards,
        );

        if let Some(k) = key_hash {
            if self.recent.len() == IDEMPOTENCY_KEYS {
                self.recent.pop_front();
            }
            let keys = awards.iter().map(|a| a.milestone.clone()).collect();
            self.recent.push_back(Seen {
                k,
                t: now,
                total,
                awards: keys,
            });
        }
        Ok(Outcome {
            duplicate: false,
            total,
            awards,
            next_due: self.next_due(defs, subject, now),
            returned,
            reached,
        })
    }

    /// Advances the clock: awards time milestones now due and closes lapsed streaks.
    pub fn tick(&mut self, defs: &Compiled, subject: Subject<'_>, now: Timestamp) -> Outcome {
        let mut awards = self.reconcile(defs, subject, now);
        let tz = self.time_zone(defs);
        let lapsed: Vec<String> = self
            .streaks
            .iter()
            .filter(|(key, run)| {
                run.len > 0 && lapse_instant(key, run, &tz).is_some_and(|t| t <= now)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in lapsed {
            if let Some(run) = self.streaks.get_mut(&key) {
                run.len = 0;
                run.frozen = 0;
            }
        }
        self.evaluate(
            defs,
            subject,
            defs.timed(subject.scope).to_vec(),
            Trigger::Tick,
            now,
            &mut awards,
        );
        Outcome {
            duplicate: false,
            total: 0,
            awards,
            next_due: self.next_due(defs, subject, now),
            returned: Vec::new(),
            reached: Vec::new(),
        }
    }

    /// Updates the subject's traits without counting anything (a pipeline's `identify` or
    /// `group` call): its sign-up instant and time zone. A time milestone already due (a
    /// sign-up more than a year ago) is awarded at once, like a tick would.
    pub fn identify(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        traits: &Traits,
        now: Timestamp,
    ) -> Result<Outcome, EventError> {
        if let Some(tz) = traits.tz.as_deref()
            && TimeZone::get(tz).is_err()
        {
            return Err(EventError::UnknownTimeZone(tz.to_owned()));
        }
        if traits.created_at.is_some() {
            self.traits.created_at = traits.created_at;
        }
        if traits.tz.is_some() {
            self.traits.tz.clone_from(&traits.tz);
        }
        Ok(self.tick(defs, subject, now))
    }

    /// Awards the custom milestone `key` (idempotent: a second call is a duplicate).
    pub fn award_custom(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        key: &str,
        now: Timestamp,
        celebrate: bool,
    ) -> Result<Outcome, EventError> {
        let i = defs
            .milestone_index(key)
            .ok_or_else(|| EventError::UnknownMilestone(key.to_owned()))?;
        let m = &defs.milestones()[i];
        if m.kind != Kind::Custom || m.scope != subject.scope {
            return Err(EventError::NotCustom(key.to_owned()));
        }
        if self.earned.contains_key(key) {
            let awards = self.award(defs, subject, key).into_iter().collect();
            return Ok(Outcome {
                duplicate: true,
                total: 0,
                awards,
                next_due: self.next_due(defs, subject, now),
                returned: Vec::new(),
                reached: Vec::new(),
            });
        }
        let mut awards = self.reconcile(defs, subject, now);
        awards.push(self.earn(defs, subject, i, now, 0, celebrate));
        self.evaluate(
            defs,
            subject,
            defs.dependents(i).to_vec(),
            Trigger::Event {
                at: now,
                live: celebrate,
            },
            now,
            &mut awards,
        );
        Ok(Outcome {
            duplicate: false,
            total: 0,
            awards,
            next_due: self.next_due(defs, subject, now),
            returned: Vec::new(),
            reached: Vec::new(),
        })
    }

    /// Forgets `member` (erasure of a user): they no longer count as a member. Totals they
    /// contributed stay, as anonymous aggregates, and so do awards already earned.
    pub fn forget_member(&mut self, member: &str) -> bool {
        self.members.remove(member)
    }

    /// The subject's total for `metric` (0 when never seen).
    pub fn total(&self, metric: &str) -> u64 {
        self.totals.get(metric).copied().unwrap_or(0)
    }

    /// The streak run of a streak milestone's rule, as of `now` (length 0 once lapsed).
    pub fn streak(&self, defs: &Compiled, rule: &Rule, now: Timestamp) -> Option<StreakRun> {
        let Rule::Streak {
            metric,
            period,
            freezes,
            ..
        } = rule
        else {
            return None;
        };
        let key = streak_key(metric, *period, *freezes);
        let mut run = self.streaks.get(&key).copied()?;
        if lapse_instant(&key, &run, &self.time_zone(defs)).is_some_and(|t| t <= now) {
            run.len = 0;
        }
        Some(run)
    }

    /// The subject's time zone: its own, else the project's default.
    pub fn time_zone(&self, defs: &Compiled) -> TimeZone {
        self.traits
            .tz
            .as_deref()
            .and_then(|tz| TimeZone::get(tz).ok())
            .unwrap_or_else(|| defs.default_time_zone())
    }

    /// When anniversary milestone `m` is due for this subject, if its `created_at` is known.
    pub fn due(&self, defs: &Compiled, m: &Milestone) -> Option<Timestamp> {
        let Rule::Anniversary { months } = m.rule else {
            return None;
        };
        anniversary(self.traits.created_at?, &self.time_zone(defs), months)
    }

    /// The award of an earned milestone, rebuilt from the state.
    pub fn award(&self, defs: &Compiled, subject: Subject<'_>, key: &str) -> Option<Award> {
        let earned = self.earned.get(key)?;
        let m = defs.milestone(key);
        Some(Award {
            id: award_id(&subject.key(), key),
            milestone: key.to_owned(),
            kind: m.map_or(Kind::Custom, |m| m.kind),
            tier: m.map_or_else(|| "early".into(), |m| m.tier.clone()),
            scope: subject.scope,
            achieved_at: earned.achieved_at,
            value: earned.value,
            celebrate: earned.celebrate,
            eligible: earned.eligible,
            stage: m.and_then(|m| m.stage),
        })
    }

    /// After a definitions change: awards what the state already satisfies, without
    /// celebrating. Returns those awards.
    fn reconcile(&mut self, defs: &Compiled, subject: Subject<'_>, now: Timestamp) -> Vec<Award> {
        let mut awards = Vec::new();
        if self.fingerprint == Some(defs.fingerprint()) {
            return awards;
        }
        let first_time =
            self.fingerprint.is_none() && self.earned.is_empty() && self.totals.is_empty();
        self.fingerprint = Some(defs.fingerprint());
        if first_time {
            return awards;
        }
        let all: Vec<usize> = (0..defs.milestones().len()).collect();
        self.evaluate(defs, subject, all, Trigger::Retroactive, now, &mut awards);
        awards
    }

    /// Awards every candidate (and, transitively, what waits for it) that is now satisfied.
    fn evaluate(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        mut queue: Vec<usize>,
        trigger: Trigger,
        now: Timestamp,
        awards: &mut Vec<Award>,
    ) {
        queue.reverse();
        while let Some(i) = queue.pop() {
            let m = &defs.milestones()[i];
            if m.scope != subject.scope || self.earned.contains_key(&m.key) {
                continue;
            }
            if m.after
                .is_some_and(|a| !self.earned.contains_key(&defs.milestones()[a].key))
            {
                continue;
            }
            let Some((value, at, late)) = self.satisfied(defs, m, trigger, now) else {
                continue;
            };
            if m.available.is_some_and(|w| !w.contains(at)) {
                continue;
            }
            let eligible = match trigger {
                Trigger::Event { live, .. } => live && !late,
                Trigger::Tick => !late,
                Trigger::Retroactive => false,
            };
            awards.push(self.earn(defs, subject, i, at, value, eligible));
            queue.extend(defs.dependents(i).iter().rev());
        }
    }

    /// Whether `m` is satisfied: the value that satisfies it, when, and whether that was long
    /// enough ago that it should not be celebrated.
    fn satisfied(
        &self,
        defs: &Compiled,
        m: &Milestone,
        trigger: Trigger,
        now: Timestamp,
    ) -> Option<(u64, Timestamp, bool)> {
        let at = match trigger {
            Trigger::Event { at, .. } => at,
            Trigger::Tick | Trigger::Retroactive => now,
        };
        match &m.rule {
            Rule::Total { metric, threshold } => {
                let total = self.total(metric);
                (total >= *threshold).then_some((total, at, false))
            }
            Rule::Members { members } => {
                let n = self.members.len() as u64;
                (n >= *members).then_some((n, at, false))
            }
            Rule::Anniversary { .. } => {
                let due = self.due(defs, m)?;
                (due <= now).then(|| (m.count, due, now.duration_since(due) > TIME_GRACE))
            }
            Rule::Streak { length, .. } => {
                let run = self.streaks.get(&streak_key_of(&m.rule)?)?;
                (run.best >= *length).then_some((u64::from(run.best), at, false))
            }
            Rule::Adoption { metrics } => metrics.iter().all(|x| self.total(x) > 0).then_some((
                metrics.len() as u64,
                at,
                false,
            )),
            Rule::Custom => None,
        }
    }

    fn earn(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        i: usize,
        at: Timestamp,
        value: u64,
        eligible: bool,
    ) -> Award {
        let m = &defs.milestones()[i];
        let celebrate = eligible && !in_holdout(defs, subject);
        self.earned.insert(
            m.key.clone(),
            Earned {
                achieved_at: at,
                value,
                celebrate,
                eligible,
            },
        );
        if eligible {
            self.returns.insert(m.key.clone(), 0);
        }
        Award {
            id: award_id(&subject.key(), &m.key),
            milestone: m.key.clone(),
            kind: m.kind,
            tier: m.tier.clone(),
            scope: m.scope,
            achieved_at: at,
            value,
            celebrate,
            eligible,
            stage: m.stage,
        }
    }

    /// Records that the subject was active at `at`: the returns after eligible awards that
    /// this is the first to show, and with `converts` (a live conversion event) the awards it
    /// converts (at most [`CONVERSION_DAYS`] after them, once each). An award is forgotten once an event after its last measured
    /// day arrives — not by the clock: history and offline clients send days late, and a
    /// window closes on the events' own time, in arrival order (as streaks do).
    fn note_return(
        &mut self,
        subject: Subject<'_>,
        at: Timestamp,
        tz: &TimeZone,
        converts: bool,
    ) -> Vec<Returned> {
        let day = period_index(at, tz, Period::Day);
        let mut returned = Vec::new();
        let earned = &self.earned;
        self.returns.retain(|key, bits| {
            let Some(e) = earned.get(key) else {
                return false;
            };
            let offset = day - period_index(e.achieved_at, tz, Period::Day);
            for (i, d) in RETURN_DAYS.iter().enumerate() {
                let bit = 1 << i;
                if offset == *d && *bits & bit == 0 {
                    *bits |= bit;
                    returned.push(Returned {
                        award_id: award_id(&subject.key(), key),
                        milestone: key.clone(),
                        bit,
                    });
                }
            }
            let since = at.duration_since(e.achieved_at).as_secs();
            if converts && *bits & CONVERTED == 0 && (0..=CONVERSION_DAYS * 86_400).contains(&since)
            {
                *bits |= CONVERTED;
                returned.push(Returned {
                    award_id: award_id(&subject.key(), key),
                    milestone: key.clone(),
                    bit: CONVERTED,
                });
            }
            *bits != ALL_RETURNS && offset < last_return_day()
        });
        returned
    }

    fn forget_old_keys(&mut self, now: Timestamp) {
        while self
            .recent
            .front()
            .is_some_and(|s| now.duration_since(s.t) > IDEMPOTENCY_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    /// The next instant at which something could fire without an event.
    pub fn next_due(
        &self,
        defs: &Compiled,
        subject: Subject<'_>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let tz = self.time_zone(defs);
        let anniversaries = defs
            .timed(subject.scope)
            .iter()
            .map(|&i| &defs.milestones()[i])
            .filter(|m| !self.earned.contains_key(&m.key))
            .filter_map(|m| self.due(defs, m));
        let lapses = self
            .streaks
            .iter()
            .filter(|(_, run)| run.len > 0)
            .filter_map(|(key, run)| lapse_instant(key, run, &tz));
        let stalls = self.stall_deadlines(defs, subject).map(|(_, t)| t);
        anniversaries
            .chain(lapses)
            .filter(|&t| t > now)
            .chain(stalls.map(|t| t.max(now)))
            .min()
    }

    /// The instants at which not having a milestone becomes a stall (those not reported yet).
    fn stall_deadlines<'d>(
        &'d self,
        defs: &'d Compiled,
        subject: Subject<'_>,
    ) -> impl Iterator<Item = (&'d str, Timestamp)> + 'd {
        let started = self.started_at.filter(|_| subject.scope == Scope::User);
        defs.milestones()
            .iter()
            .filter(move |_| started.is_some())
            .filter(|m| !self.earned.contains_key(&m.key) && !self.stalled.contains(&m.key))
            .filter_map(move |m| {
                let due = started?
                    .checked_add(jiff::SignedDuration::from_secs(m.stall_after?))
                    .ok()?;
                Some((m.key.as_str(), due))
            })
    }

    /// The stalls due at `now`, each reported once (marked in the state); none for the holdout
    /// (marked all the same), none once the milestone is reached.
    pub fn due_stalls(
        &mut self,
        defs: &Compiled,
        subject: Subject<'_>,
        now: Timestamp,
    ) -> Vec<Stall> {
        let Some(started_at) = self.started_at else {
            return Vec::new();
        };
        let due: Vec<(String, Timestamp)> = self
            .stall_deadlines(defs, subject)
            .filter(|(_, t)| *t <= now)
            .map(|(k, t)| (k.to_owned(), t))
            .collect();
        let holdout = in_holdout(defs, subject);
        due.into_iter()
            .filter_map(|(milestone, due_at)| {
                self.stalled.insert(milestone.clone());
                (!holdout).then_some(Stall {
                    milestone,
                    started_at,
                    due_at,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// An event at `at`; `live` unless it is history (or a custom award not to celebrate).
    Event { at: Timestamp, live: bool },
    /// The clock.
    Tick,
    /// A definitions change.
    Retroactive,
}

/// The last of [`RETURN_DAYS`].
fn last_return_day() -> i64 {
    RETURN_DAYS.iter().copied().max().unwrap_or(0)
}

/// Holdout membership; the subject key is only built when the project has a holdout.
fn in_holdout(defs: &Compiled, subject: Subject<'_>) -> bool {
    defs.source().holdout.is_some_and(|h| h.percent > 0.0)
        && defs.in_holdout(subject.project, &subject.key())
}

fn streak_key(metric: &str, period: Period, freezes: u32) -> String {
    let unit = match period {
        Period::Day => "day",
        Period::Week => "week",
    };
    format!("{metric}/{unit}/{freezes}")
}

fn streak_key_of(rule: &Rule) -> Option<String> {
    match rule {
        Rule::Streak {
            metric,
            period,
            freezes,
            ..
        } => Some(streak_key(metric, *period, *freezes)),
        _ => None,
    }
}

/// The run after activity in period `p`.
fn advance(run: Option<StreakRun>, p: i64, freezes: u32) -> StreakRun {
    let Some(mut run) = run else {
        return StreakRun {
            last: p,
            len: 1,
            frozen: 0,
            best: 1,
        };
    };
    if p <= run.last {
        return run; // same period, or late: arrival order
    }
    let gap = u32::try_from(p - run.last - 1).unwrap_or(u32::MAX);
    if run.len > 0 && gap <= freezes.saturating_sub(run.frozen) {
        run.frozen += gap;
        run.len += 1;
    } else {
        run.len = 1;
        run.frozen = 0;
    }
    run.last = p;
    run.best = run.best.max(run.len);
    run
}

/// Index of the day (or ISO week) containing `at` in `tz`, counted from 1970-01-01.
pub fn period_index(at: Timestamp, tz: &TimeZone, period: Period) -> i64 {
    let date = at.to_zoned(tz.clone()).date();
    let day = date
        .since(Date::constant(1970, 1, 1))
        .map_or(0, |span| i64::from(span.get_days()));
    match period {
        Period::Day => day,
        // 1970-01-01 was a Thursday: shift so that weeks start on Monday.
        Period::Week => (day + 3).div_euclid(7),
    }
}

/// The instant period `index` starts in `tz`.
fn period_start(index: i64, tz: &TimeZone, period: Period) -> Option<Timestamp> {
    let day = match period {
        Period::Day => index,
        Period::Week => index * 7 - 3,
    };
    let date = Date::constant(1970, 1, 1).checked_add(day.days()).ok()?;
    Some(date.to_zoned(tz.clone()).ok()?.timestamp())
}

/// When the run `key` lapses: the start of the first period it can no longer bridge.
fn lapse_instant(key: &str, run: &StreakRun, tz: &TimeZone) -> Option<Timestamp> {
    let mut parts = key.rsplitn(3, '/');
    let freezes: u32 = parts.next()?.parse().ok()?;
    let period = match parts.next()? {
        "day" => Period::Day,
        _ => Period::Week,
    };
    let left = i64::from(freezes.saturating_sub(run.frozen));
    period_start(run.last + 2 + left, tz, period)
}

/// `created_at` + `months` in calendar terms in `tz`; a 29 February anniversary falls on
/// 28 February in common years.
pub fn anniversary(created_at: Timestamp, tz: &TimeZone, months: u32) -> Option<Timestamp> {
    let zoned = created_at.to_zoned(tz.clone());
    Some(
        zoned
            .checked_add(i64::from(months).months())
            .ok()?
            .timestamp(),
    )
}

/// A stable 64-bit hash of `parts` (SHA-256, length-prefixed parts): the same on every machine
/// and in every release.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
}

/// The award id of `milestone` for the subject with key `subject` (see [`Subject::key`]):
/// stable across runs, machines and retries, so storing an award twice is idempotent.
pub fn award_id(subject: &str, milestone: &str) -> String {
    let digest = Sha256::new()
        .chain_update((subject.len() as u64).to_le_bytes())
        .chain_update(subject.as_bytes())
        .chain_update(milestone.as_bytes())
        .finalize();
    let mut id = String::with_capacity(3 + 24);
    id.push_str("aw_");
    for byte in &digest[..12] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}
