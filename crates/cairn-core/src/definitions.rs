//! Milestone definitions: what a product counts, which milestones it celebrates and how loudly.
//!
//! Definitions are written by the product team as TOML (a `cairn.toml` in their repository) or
//! JSON (through the API); both read into [`Definitions`], a flat, serde-friendly model that
//! rejects unknown fields. [`Definitions::validate`] reports *every* problem at once, each with
//! its path (`milestones[3].threshold`) and a plain message, and [`Definitions::compile`] turns
//! valid definitions into [`Compiled`]: typed rules indexed by metric, so that an event costs in
//! proportion to the milestones that watch its metric, not to all milestones.
//!
//! Milestone kinds (`kind = "…"`):
//!
//! | kind | subject | awarded when |
//! |---|---|---|
//! | `usage` | user | the user's total of `metric` ≥ `threshold` |
//! | `value` | user | the sum of `metric`'s values (a `sum` metric) ≥ `threshold` |
//! | `team` | account | the account's total of `metric` ≥ `threshold`, or its distinct members ≥ `members` |
//! | `time` | user or account (`of`) | `years` / `months` after `created_at`, in the subject's time zone |
//! | `streak` | user | `days` (or `weeks`) consecutive periods with `metric`, with up to `freezes` missed periods bridged per streak |
//! | `adoption` | user | every metric of `metrics` used at least once |
//! | `custom` | user or account (`of`) | awarded by an explicit API call only |
//!
//! `ladders` are shorthand: one metric and increasing thresholds, each a `usage` milestone
//! `{key}.{threshold}`. Any milestone may name another in `after`: it is only awarded once that
//! one is earned (onboarding phases: setup → activation → habit).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use cairn_wire::names;
pub use cairn_wire::{Badge, Channel, Cta, CtaKind, Kind, Period, Scope, Stage, UnknownName};

/// Placeholders a message may use: `{count}` (the milestone's number), `{name}` (its metric's
/// name, or the subject's name where known), `{next}` (the next step of its ladder).
pub const PLACEHOLDERS: &[&str] = &["count", "name", "next"];
/// The locale every definition must have strings for, and the end of every fallback chain.
pub const DEFAULT_LOCALE: &str = "en";
/// Maximum number of milestones after ladders are expanded.
pub const MAX_MILESTONES: usize = 5_000;

/// The product team's definitions, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definitions {
    /// Schema version of this document; only `1` exists.
    pub version: u32,
    /// Everything that can be counted.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Milestones of every kind.
    #[serde(default)]
    pub milestones: Vec<MilestoneDef>,
    /// Ladders: shorthand for `usage` milestones on one metric.
    #[serde(default)]
    pub ladders: Vec<Ladder>,
    /// Tier name → celebration policy. `early`, `mid` and `advanced` exist by default.
    #[serde(default)]
    pub tiers: BTreeMap<String, Policy>,
    /// Locale → message key (`{milestone}.name`, `{milestone}.description`) → template.
    #[serde(default)]
    pub messages: BTreeMap<String, BTreeMap<String, String>>,
    /// Locale → the locale to try next (`fr-CA` → `fr`). Every chain ends in `en`.
    #[serde(default)]
    pub fallback: BTreeMap<String, String>,
    /// Control group: subjects whose celebrations are suppressed (awards still recorded).
    #[serde(default)]
    pub holdout: Option<Holdout>,
    /// IANA time zone of subjects that have none of their own (default `UTC`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// How calls from a customer-data pipeline (Segment's spec: `POST /v1/segment`) map to
    /// metrics.
    #[serde(default, skip_serializing_if = "Intake::is_empty")]
    pub intake: Intake,
    /// Kind of milestone (`usage`, `time`, …) → the celebration ideas the CSM is offered, in
    /// order (built-in ids, or your own with a `suggestion.<id>` message). Texts and the two
    /// emails are localized by `messages` (`suggestion.<id>`, `email.<which>.subject|body`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub suggestions: BTreeMap<String, SuggestionSet>,
}

/// One kind's celebration ideas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionSet {
    pub ideas: Vec<String>,
}

/// Customer-data pipeline intake: which `track` event names count for which metric.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// Event name (e.g. `Project Created`) → metric. A name equal to a metric key maps to it
    /// without being listed; other names are ignored.
    #[serde(default)]
    pub events: BTreeMap<String, IntakeEvent>,
}

impl Intake {
    fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// What one event name counts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntakeEvent {
    /// Just the metric (each event counts 1).
    Metric(String),
    /// The metric, and the property holding the value to add (for `sum` metrics).
    Detailed {
        metric: String,
        #[serde(default)]
        value: Option<String>,
    },
}

impl IntakeEvent {
    /// The metric and the value's property.
    pub fn parts(&self) -> (&str, Option<&str>) {
        match self {
            Self::Metric(m) => (m, None),
            Self::Detailed { metric, value } => (metric, value.as_deref()),
        }
    }
}

/// A countable thing, such as `project_created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Stable key, `[a-z0-9_.:-]{1,64}`.
    pub key: String,
    /// Human name, used in plain-words criteria ("10 projects created").
    pub name: String,
    /// Whether a browser (with a user token) may track it; otherwise only the server key may.
    #[serde(default)]
    pub client: bool,
    /// `count`: each event adds its `value` (default 1) occurrences; `sum`: each event adds its
    /// `value` (required), e.g. cents processed.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// A conversion (`plan_upgraded`): the impact page compares, celebrated against holdout,
    /// the awards followed by one of its events within [`crate::engine::CONVERSION_DAYS`] days.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conversion: bool,
}

/// How a metric's events add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Aggregate {
    /// Occurrences.
    #[default]
    Count,
    /// A sum of values.
    Sum,
}

names!(Aggregate { Count = "count", Sum = "sum" });

/// One milestone, as written. Which fields apply depends on `kind`; validation says which are
/// missing or out of place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDef {
    /// Stable key, `[a-z0-9_.:-]{1,64}`; never reuse one for a different meaning.
    pub key: String,
    /// The kind.
    pub kind: Option<Kind>,
    /// Title, a template in the default locale ("{count} projects!").
    pub name: String,
    /// One line of copy, a template in the default locale.
    #[serde(default)]
    pub description: String,
    /// Tier name (default `early`).
    #[serde(default)]
    pub tier: Option<String>,
    /// Its stage in the setup → activation → habit funnel, if it is one of the funnel's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Badge art.
    #[serde(default)]
    pub badge: Option<Badge>,
    /// Call to action shown after the celebration; overrides the tier's.
    #[serde(default)]
    pub cta: Option<Cta>,
    /// Channels; override the tier's.
    #[serde(default)]
    pub channels: Option<Vec<Channel>>,
    /// A user who started (first event) but has not reached this milestone this long after
    /// is *stalled*: `3d`, `12h`, `2w` (once per milestone; never for the holdout).
    #[serde(default)]
    pub stall_after: Option<String>,
    /// Seasonal / limited-time: only awarded for activity inside this window.
    #[serde(default)]
    pub available: Option<Window>,
    /// Only awarded once this other milestone is earned (phases).
    #[serde(default)]
    pub after: Option<String>,
    /// `usage`, `value`, `team`, `streak`: the metric.
    #[serde(default)]
    pub metric: Option<String>,
    /// `usage`, `value`, `team`: the total to reach.
    #[serde(default)]
    pub threshold: Option<u64>,
    /// `team`: distinct members to reach.
    #[serde(default)]
    pub members: Option<u64>,
    /// `time`, `custom`: whose milestone it is (default `user`).
    #[serde(default)]
    pub of: Option<Scope>,
    /// `time`: years after `created_at`.
    #[serde(default)]
    pub years: Option<u32>,
    /// `time`: months after `created_at`.
    #[serde(default)]
    pub months: Option<u32>,
    /// `streak`: consecutive days.
    #[serde(default)]
    pub days: Option<u32>,
    /// `streak`: consecutive ISO weeks.
    #[serde(default)]
    pub weeks: Option<u32>,
    /// `streak`: missed periods that may be bridged in one streak (default 0).
    #[serde(default)]
    pub freezes: Option<u32>,
    /// `adoption`: every one of these metrics used at least once.
    #[serde(default)]
    pub metrics: Option<Vec<String>>,
}

/// A ladder of `usage` milestones on one metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// Stable key; each step's milestone key is `{key}.{threshold}`.
    pub key: String,
    /// The metric whose total climbs the ladder.
    pub metric: String,
    /// Strictly increasing, each greater than 0.
    pub thresholds: Vec<u64>,
    /// Title of every step, a template ("{count} projects!").
    pub name: String,
    /// Title of the step at 1, when there is one ("First project!"). Defaults to `name`.
    #[serde(default)]
    pub name_first: Option<String>,
    /// One line of copy for every step.
    #[serde(default)]
    pub description: String,
    /// Tier of each step, by threshold; steps beyond the list take its last entry.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// Stage of each step, by threshold, like `tiers` (none: not in the funnel).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// Badge art of every step.
    #[serde(default)]
    pub badge: Option<Badge>,
}

/// Built-in badge icons.
pub const ICONS: &[&str] = &[
    "medal", "flame", "rocket", "star", "users", "cake", "trophy",
];

/// A tier's celebration policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Channels used.
    pub channels: Vec<Channel>,
    /// Minutes between the award and the recap email (with `email`).
    #[serde(default = "default_email_delay")]
    pub email_delay_minutes: u32,
    /// Call to action offered.
    #[serde(default)]
    pub cta: Option<Cta>,
}

fn default_email_delay() -> u32 {
    90
}

/// The control group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holdout {
    /// Share of subjects, 0–50 percent, in steps of 0.01.
    pub percent: f64,
}

/// A time window; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// From this instant (inclusive).
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// Until this instant (exclusive).
    #[serde(default)]
    pub until: Option<Timestamp>,
}

impl Window {
    /// Whether `at` is inside.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|f| at >= f) && self.until.is_none_or(|u| at < u)
    }
}

/// One problem found while validating definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where the problem is, e.g. `ladders[0].thresholds`.
    pub path: String,
    /// A plain message, shown to people as it is.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Definitions that could not be read or are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionsError {
    /// The text is not TOML/JSON of the expected shape.
    #[error("cannot read definitions: {0}")]
    Syntax(String),
    /// The document is well-formed but has problems; every one is listed.
    #[error("{} problem(s) in definitions: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

impl DefinitionsError {
    /// Every problem, with a path (a syntax error has the path `""`).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Self::Syntax(message) => vec![Problem {
                path: String::new(),
                message: message.clone(),
            }],
            Self::Invalid(problems) => problems.clone(),
        }
    }
}

/// What a compiled milestone checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Total (count or sum) of `metric` ≥ `threshold`, for the milestone's scope.
    Total { metric: String, threshold: u64 },
    /// Distinct account members ≥ `members`.
    Members { members: u64 },
    /// `years`·12 + `months` months after `created_at`.
    Anniversary { months: u32 },
    /// `length` consecutive `period`s with `metric`, bridging up to `freezes` missed ones.
    Streak {
        metric: String,
        period: Period,
        length: u32,
        freezes: u32,
    },
    /// Every metric used at least once.
    Adoption { metrics: Vec<String> },
    /// Awarded by API only.
    Custom,
}

/// One milestone after ladders are expanded and defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Stable key, e.g. `projects.10`.
    pub key: String,
    /// The kind.
    pub kind: Kind,
    /// Whose milestone it is.
    pub scope: Scope,
    /// What it checks.
    pub rule: Rule,
    /// Tier name.
    pub tier: String,
    /// Title template (default locale).
    pub name: String,
    /// Description template (default locale).
    pub description: String,
    /// Badge art.
    pub badge: Badge,
    /// Channels and CTA: the milestone's overrides over its tier's policy.
    pub policy: Policy,
    /// Seasonal window.
    pub available: Option<Window>,
    /// Index of the milestone that must be earned first.
    pub after: Option<usize>,
    /// `{count}`: threshold, members, years/months, streak length, metrics to adopt.
    pub count: u64,
    /// `{next}`: the next threshold of its ladder, when it is a ladder step.
    pub next: Option<u64>,
    /// Key of the ladder it belongs to, if any.
    pub ladder: Option<String>,
    /// Seconds after a user's first event at which not having it is a stall.
    pub stall_after: Option<i64>,
    /// Its stage in the setup → activation → habit funnel.
    pub stage: Option<Stage>,
}

/// Validated definitions, indexed for evaluation.
#[derive(Debug, Clone)]
pub struct Compiled {
    source: Definitions,
    milestones: Vec<Milestone>,
    index: HashMap<String, usize>,
    /// (scope, metric) → milestones watching that metric.
    watching: HashMap<(Scope, String), Watchers>,
    /// Milestones of kinds that depend on time or membership, per scope.
    timed: [Vec<usize>; 2],
    members: Vec<usize>,
    /// Milestone → milestones whose `after` is it.
    dependents: Vec<Vec<usize>>,
    metrics: HashMap<String, usize>,
    fingerprint: u64,
}

/// The milestones watching one metric.
#[derive(Debug, Clone, Default)]
pub struct Watchers {
    /// Total rules as (threshold, milestone index), by increasing threshold: after an event only
    /// the prefix at or below the new total can be newly satisfied.
    pub totals: Vec<(u64, usize)>,
    /// Streak and adoption rules, in definition order.
    pub others: Vec<usize>,
}

impl Watchers {
    /// Milestones that may be satisfied when the metric's total is `total`: totals up to it
    /// (lowest first), then the others.
    pub fn candidates(&self, total: u64) -> impl Iterator<Item = usize> + '_ {
        let reached = self
            .totals
            .partition_point(|&(threshold, _)| threshold <= total);
        self.totals[..reached]
            .iter()
            .map(|&(_, i)| i)
            .chain(self.others.iter().copied())
    }
}

/// A stall delay (`3d`, `12h`, `2w`, `1w 2d`: jiff's friendly durations, days of 24 hours) in
/// seconds, from 1 hour to 365 days.
pub fn parse_stall(text: &str) -> Option<i64> {
    let span: jiff::Span = text.trim().parse().ok()?;
    let secs = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .ok()?
        .as_secs();
    (3_600..=365 * 86_400).contains(&secs).then_some(secs)
}

/// Default tiers, after the growth playbook: small wins quietly, big ones loudly.
pub fn default_tiers() -> BTreeMap<String, Policy> {
    use Channel::*;
    let policy = |channels: &[Channel], cta| Policy {
        channels: channels.to_vec(),
        email_delay_minutes: 90,
        cta,
    };
    let cta = |kind| {
        Some(Cta {
            kind,
            label: crate::phrases::EN.cta(kind).into(),
            url: None,
        })
    };
    BTreeMap::from([
        (
            "early".into(),
            policy(&[Confetti, Badge], cta(CtaKind::NextFeature)),
        ),
        (
            "mid".into(),
            policy(&[Confetti, Badge, Email], cta(CtaKind::Referral)),
        ),
        (
            "advanced".into(),
            policy(
                &[Confetti, Badge, Email, CsmAlert, Outreach],
                cta(CtaKind::CaseStudy),
            ),
        ),
    ])
}

impl Definitions {
    /// Reads definitions from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, DefinitionsError> {
        toml::from_str(text).map_err(|e| {
            // A span over the whole document (e.g. an unknown top-level field) names no line.
            let line = e
                .span()
                .filter(|s| s.start > 0)
                .map(|s| line_of(text, s.start));
            DefinitionsError::Syntax(syntax_message(e.message(), line))
        })
    }

    /// Reads definitions from JSON text.
    pub fn from_json(text: &str) -> Result<Self, DefinitionsError> {
        serde_json::from_str(text).map_err(|e| DefinitionsError::Syntax(e.to_string()))
    }

    /// Reads TOML, validates and compiles.
    pub fn compile_toml(text: &str) -> Result<Compiled, DefinitionsError> {
        Self::from_toml(text)?.compile()
    }

    /// Lists every problem, in document order; empty when the definitions are valid.
    pub fn validate(&self) -> Vec<Problem> {
        match Builder::new(self).build() {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// Validates and indexes the definitions.
    pub fn compile(self) -> Result<Compiled, DefinitionsError> {
        let (milestones, index) = Builder::new(&self)
            .build()
            .map_err(DefinitionsError::Invalid)?;
        Ok(Compiled::new(self, milestones, index))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn syntax_message(message: &str, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_owned(),
    }
}

/// Milestones after expansion, and key → index.
type Expanded = (Vec<Milestone>, HashMap<String, usize>);

/// Collects problems while expanding definitions into milestones.
struct Builder<'a> {
    defs: &'a Definitions,
    problems: Vec<Problem>,
    tiers: BTreeMap<String, Policy>,
}

impl<'a> Builder<'a> {
    fn new(defs: &'a Definitions) -> Self {
        let mut tiers = default_tiers();
        tiers.extend(defs.tiers.clone());
        Self {
            defs,
            problems: Vec::new(),
            tiers,
        }
    }

    fn report(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn build(mut self) -> Result<Expanded, Vec<Problem>> {
        let defs = self.defs;
        if defs.version != 1 {
            self.report(
                "version",
                format!("unsupported version {}, expected 1", defs.version),
            );
        }
        let mut metrics: HashMap<&str, &Metric> = HashMap::new();
        for (i, m) in defs.metrics.iter().enumerate() {
            self.key(&format!("metrics[{i}].key"), &m.key);
            if metrics.insert(&m.key, m).is_some() {
                self.report(
                    format!("metrics[{i}].key"),
                    format!("duplicate metric \"{}\"", m.key),
                );
            }
            if m.name.trim().is_empty() {
                self.report(format!("metrics[{i}].name"), "must not be empty");
            }
        }
        for (name, policy) in &defs.tiers {
            self.policy(&format!("tiers.{name}"), policy);
        }
        if let Some(tz) = &defs.time_zone
            && !is_valid_time_zone(tz)
        {
            self.report("time_zone", format!("unknown time zone \"{tz}\""));
        }
        if let Some(h) = defs.holdout
            && (!(0.0..=50.0).contains(&h.percent) || h.percent.is_nan())
        {
            self.report("holdout.percent", "must be between 0 and 50");
        }
        for (kind, set) in &defs.suggestions {
            let path = format!("suggestions.{kind}");
            if kind.parse::<Kind>().is_err() {
                self.report(
                    path.clone(),
                    "not a kind of milestone (usage, value, team, time, streak, adoption, custom)",
                );
            }
            if set.ideas.is_empty() {
                self.report(format!("{path}.ideas"), "must not be empty");
            }
            for (i, id) in set.ideas.iter().enumerate() {
                let own = defs
                    .messages
                    .values()
                    .any(|m| m.contains_key(&format!("suggestion.{id}")));
                if !crate::suggestions::is_builtin(id) && !own {
                    self.report(
                        format!("{path}.ideas[{i}]"),
                        format!(
                            "unknown idea \"{id}\" (built in: {}; or give its text as messages.<locale>.\"suggestion.{id}\")",
                            crate::suggestions::BUILTIN.join(", ")
                        ),
                    );
                }
            }
        }
        for (name, event) in &defs.intake.events {
            let path = format!("intake.events.{name:?}");
            if name.trim().is_empty() || name.len() > 256 {
                self.report(path.clone(), "an event name is 1 to 256 bytes");
            }
            let (metric, value) = event.parts();
            self.metric(&path, metric, &metrics);
            if value.is_some_and(|v| v.trim().is_empty() || v.len() > 128) {
                self.report(format!("{path}.value"), "a property name is 1 to 128 bytes");
            }
        }

        let mut out: Vec<(String, Milestone, Option<String>)> = Vec::new();
        for (i, l) in defs.ladders.iter().enumerate() {
            let path = format!("ladders[{i}]");
            self.key(&format!("{path}.key"), &l.key);
            let metric = self.metric(&format!("{path}.metric"), &l.metric, &metrics);
            if l.thresholds.is_empty() {
                self.report(format!("{path}.thresholds"), "must not be empty");
            }
            if l.thresholds.contains(&0) {
                self.report(
                    format!("{path}.thresholds"),
                    "every threshold must be greater than 0",
                );
            }
            if l.thresholds.windows(2).any(|w| w[0] >= w[1]) {
                self.report(format!("{path}.thresholds"), "must increase");
            }
            self.template(&format!("{path}.name"), &l.name, true);
            if let Some(first) = &l.name_first {
                self.template(&format!("{path}.name_first"), first, true);
            }
            self.template(&format!("{path}.description"), &l.description, false);
            for (t, tier) in l.tiers.iter().enumerate() {
                self.tier(&format!("{path}.tiers[{t}]"), tier);
            }
            if let Some(b) = &l.badge {
                self.badge(&format!("{path}.badge"), b);
            }
            let _ = metric; // reported above when unknown
            let mut expanded = BTreeSet::new();
            for (step, &threshold) in l.thresholds.iter().enumerate() {
                if !expanded.insert(threshold) {
                    continue; // reported above: thresholds must increase
                }
                let tier = l
                    .tiers
                    .get(step)
                    .or(l.tiers.last())
                    .cloned()
                    .unwrap_or_else(|| "early".into());
                let name = match (&l.name_first, threshold) {
                    (Some(first), 1) => first.clone(),
                    _ => l.name.clone(),
                };
                let policy = self
                    .tiers
                    .get(&tier)
                    .cloned()
                    .unwrap_or_else(|| default_tiers()["early"].clone());
                out.push((
                    format!("{path}.thresholds[{step}]"),
                    Milestone {
                        key: format!("{}.{threshold}", l.key),
                        kind: Kind::Usage,
                        scope: Scope::User,
                        rule: Rule::Total {
                            metric: l.metric.clone(),
                            threshold,
                        },
                        tier,
                        name,
                        description: l.description.clone(),
                        badge: l
                            .badge
                            .clone()
                            .unwrap_or_else(|| default_badge(Kind::Usage)),
                        policy,
                        available: None,
                        after: None,
                        count: threshold,
                        next: l.thresholds.get(step + 1).copied(),
                        ladder: Some(l.key.clone()),
                        stall_after: None,
                        stage: l.stages.get(step).or(l.stages.last()).copied(),
                    },
                    None,
                ));
            }
        }
        for (i, m) in defs.milestones.iter().enumerate() {
            let path = format!("milestones[{i}]");
            if let Some(milestone) = self.milestone(&path, m, &metrics) {
                out.push((path, milestone, m.after.clone()));
            }
        }
        if out.len() > MAX_MILESTONES {
            self.report(
                "milestones",
                format!(
                    "at most {MAX_MILESTONES} milestones (ladder steps included), found {}",
                    out.len()
                ),
            );
        }

        let mut index = HashMap::new();
        for (i, (path, m, _)) in out.iter().enumerate() {
            if index.insert(m.key.clone(), i).is_some() {
                self.report(
                    format!("{path}.key"),
                    format!("duplicate milestone \"{}\"", m.key),
                );
            }
        }
        for (path, _, after) in &out {
            if let Some(after) = after
                && !index.contains_key(after)
            {
                self.report(
                    format!("{path}.after"),
                    format!("unknown milestone \"{after}\""),
                );
            }
        }
        let mut milestones: Vec<Milestone> = Vec::with_capacity(out.len());
        let mut afters = Vec::with_capacity(out.len());
        let mut paths = Vec::with_capacity(out.len());
        for (path, mut m, after) in out {
            m.after = after.as_ref().and_then(|a| index.get(a).copied());
            afters.push(m.after);
            paths.push(path);
            milestones.push(m);
        }
        // Cycles in `after` (phase order).
        for start in 0..afters.len() {
            let mut seen = BTreeSet::new();
            let mut at = start;
            while let Some(next) = afters[at] {
                if next == start {
                    self.report(
                        format!("{}.after", paths[start]),
                        format!(
                            "phase order has a cycle through \"{}\"",
                            milestones[start].key
                        ),
                    );
                    break;
                }
                if !seen.insert(next) {
                    break;
                }
                at = next;
            }
        }
        for (locale, strings) in &defs.messages {
            self.locale(locale, strings, &index);
        }
        for (from, to) in &defs.fallback {
            let mut chain = BTreeSet::from([from.as_str()]);
            let mut at = to.as_str();
            loop {
                if !chain.insert(at) {
                    self.report(
                        format!("fallback.{from}"),
                        format!("fallback chain has a cycle through \"{at}\""),
                    );
                    break;
                }
                match defs.fallback.get(at) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
        if self.problems.is_empty() {
            Ok((milestones, index))
        } else {
            Err(self.problems)
        }
    }

    fn milestone(
        &mut self,
        path: &str,
        m: &MilestoneDef,
        metrics: &HashMap<&str, &Metric>,
    ) -> Option<Milestone> {
        self.key(&format!("{path}.key"), &m.key);
        if m.name.trim().is_empty() {
            self.report(format!("{path}.name"), "must not be empty");
        }
        self.template(&format!("{path}.name"), &m.name, true);
        self.template(&format!("{path}.description"), &m.description, false);
        let tier = m.tier.clone().unwrap_or_else(|| "early".into());
        self.tier(&format!("{path}.tier"), &tier);
        if let Some(b) = &m.badge {
            self.badge(&format!("{path}.badge"), b);
        }
        if let Some(cta) = &m.cta {
            self.cta(&format!("{path}.cta"), cta);
        }
        if let Some(Window {
            from: Some(from),
            until: Some(until),
        }) = m.available
            && from >= until
        {
            self.report(format!("{path}.available"), "`from` must be before `until`");
        }
        let Some(kind) = m.kind else {
            self.report(
                format!("{path}.kind"),
                "required: one of usage, value, team, time, streak, adoption, custom",
            );
            return None;
        };
        // Fields that belong to other kinds.
        let present: [(&str, bool, &[Kind]); 11] = [
            (
                "metric",
                m.metric.is_some(),
                &[Kind::Usage, Kind::Value, Kind::Team, Kind::Streak],
            ),
            (
                "threshold",
                m.threshold.is_some(),
                &[Kind::Usage, Kind::Value, Kind::Team],
            ),
            ("members", m.members.is_some(), &[Kind::Team]),
            ("of", m.of.is_some(), &[Kind::Time, Kind::Custom]),
            ("years", m.years.is_some(), &[Kind::Time]),
            ("months", m.months.is_some(), &[Kind::Time]),
            ("days", m.days.is_some(), &[Kind::Streak]),
            ("weeks", m.weeks.is_some(), &[Kind::Streak]),
            ("freezes", m.freezes.is_some(), &[Kind::Streak]),
            ("metrics", m.metrics.is_some(), &[Kind::Adoption]),
            ("available", false, &[]),
        ];
        for (field, is_set, kinds) in present {
            if is_set && !kinds.contains(&kind) {
                self.report(
                    format!("{path}.{field}"),
                    format!("does not apply to kind {}", kind.as_str()),
                );
            }
        }
        let scope = match kind {
            Kind::Team => Scope::Account,
            Kind::Time | Kind::Custom => m.of.unwrap_or_default(),
            _ => Scope::User,
        };
        let (rule, count) = match kind {
            Kind::Usage | Kind::Value => {
                let metric = self.required_metric(path, m, metrics)?;
                let threshold = self.threshold(path, m.threshold)?;
                let sum = metrics
                    .get(metric.as_str())
                    .is_some_and(|x| x.aggregate == Aggregate::Sum);
                if kind == Kind::Value && !sum {
                    self.report(format!("{path}.metric"), format!("metric \"{metric}\" must have aggregate = \"sum\" for a value milestone"));
                }
                (Rule::Total { metric, threshold }, threshold)
            }
            Kind::Team => match (m.metric.is_some(), m.members) {
                (false, Some(0)) => {
                    self.report(format!("{path}.members"), "must be greater than 0");
                    return None;
                }
                (false, Some(n)) => (Rule::Members { members: n }, n),
                (true, None) => {
                    let metric = self.required_metric(path, m, metrics)?;
                    let threshold = self.threshold(path, m.threshold)?;
                    (Rule::Total { metric, threshold }, threshold)
                }
                (true, Some(_)) => {
                    self.report(
                        format!("{path}.members"),
                        "give either metric + threshold or members, not both",
                    );
                    return None;
                }
                (false, None) => {
                    self.report(
                        format!("{path}.metric"),
                        "required: metric + threshold, or members",
                    );
                    return None;
                }
            },
            Kind::Time => {
                let months = m
                    .years
                    .unwrap_or(0)
                    .saturating_mul(12)
                    .saturating_add(m.months.unwrap_or(0));
                if months == 0 {
                    self.report(
                        format!("{path}.years"),
                        "give years or months, greater than 0",
                    );
                    return None;
                }
                if months > 12 * 100 {
                    self.report(format!("{path}.years"), "must be at most 100 years");
                    return None;
                }
                let count = if m.months.is_none() {
                    u64::from(m.years.unwrap_or(0))
                } else {
                    u64::from(months)
                };
                (Rule::Anniversary { months }, count)
            }
            Kind::Streak => {
                let metric = self.required_metric(path, m, metrics)?;
                let (period, length) = match (m.days, m.weeks) {
                    (Some(d), None) => (Period::Day, d),
                    (None, Some(w)) => (Period::Week, w),
                    (Some(_), Some(_)) => {
                        self.report(format!("{path}.days"), "give days or weeks, not both");
                        return None;
                    }
                    (None, None) => {
                        self.report(format!("{path}.days"), "required: days or weeks");
                        return None;
                    }
                };
                if !(2..=3660).contains(&length) {
                    self.report(
                        format!(
                            "{path}.{}",
                            if period == Period::Day {
                                "days"
                            } else {
                                "weeks"
                            }
                        ),
                        "must be between 2 and 3660",
                    );
                    return None;
                }
                let freezes = m.freezes.unwrap_or(0);
                if freezes >= length {
                    self.report(
                        format!("{path}.freezes"),
                        "must be fewer than the streak's length",
                    );
                }
                (
                    Rule::Streak {
                        metric,
                        period,
                        length,
                        freezes,
                    },
                    u64::from(length),
                )
            }
            Kind::Adoption => {
                let Some(list) = &m.metrics else {
                    self.report(format!("{path}.metrics"), "required: the metrics to adopt");
                    return None;
                };
                if list.is_empty() {
                    self.report(format!("{path}.metrics"), "must not be empty");
                }
                let mut unique = BTreeSet::new();
                for (j, metric) in list.iter().enumerate() {
                    self.metric(&format!("{path}.metrics[{j}]"), metric, metrics);
                    if !unique.insert(metric) {
                        self.report(
                            format!("{path}.metrics[{j}]"),
                            format!("\"{metric}\" is listed twice"),
                        );
                    }
                }
                (
                    Rule::Adoption {
                        metrics: list.clone(),
                    },
                    list.len() as u64,
                )
            }
            Kind::Custom => (Rule::Custom, 0),
        };
        let mut policy = self
            .tiers
            .get(&tier)
            .cloned()
            .unwrap_or_else(|| default_tiers()["early"].clone());
        if let Some(channels) = &m.channels {
            policy.channels = channels.clone();
        }
        if let Some(cta) = &m.cta {
            policy.cta = Some(cta.clone());
        }
        let stall_after = match &m.stall_after {
            None => None,
            Some(_) if scope != Scope::User => {
                self.report(
                    format!("{path}.stall_after"),
                    "only a user's milestone can stall",
                );
                None
            }
            Some(text) => match parse_stall(text) {
                Some(secs) => Some(secs),
                None => {
                    self.report(
                        format!("{path}.stall_after"),
                        "must be a duration from 1 hour to 365 days, like \"3d\", \"12h\" or \"2w\"",
                    );
                    None
                }
            },
        };
        Some(Milestone {
            key: m.key.clone(),
            kind,
            scope,
            rule,
            tier,
            name: m.name.clone(),
            description: m.description.clone(),
            badge: m.badge.clone().unwrap_or_else(|| default_badge(kind)),
            policy,
            available: m.available,
            after: None,
            count,
            next: None,
            ladder: None,
            stall_after,
            stage: m.stage,
        })
    }

    fn key(&mut self, path: &str, key: &str) {
        if !is_valid_key(key) {
            self.report(path, format!("\"{key}\" must match [a-z0-9_.:-]{{1,64}}"));
        }
    }

    fn metric(&mut self, path: &str, metric: &str, metrics: &HashMap<&str, &Metric>) -> bool {
        let known = metrics.contains_key(metric);
        if !known {
            self.report(path, format!("unknown metric \"{metric}\""));
        }
        known
    }

    fn required_metric(
        &mut self,
        path: &str,
        m: &MilestoneDef,
        metrics: &HashMap<&str, &Metric>,
    ) -> Option<String> {
        match &m.metric {
            None => {
                self.report(
                    format!("{path}.metric"),
                    format!(
                        "required for kind {}",
                        m.kind.unwrap_or(Kind::Usage).as_str()
                    ),
                );
                None
            }
            Some(metric) => self
                .metric(&format!("{path}.metric"), metric, metrics)
                .then(|| metric.clone()),
        }
    }

    fn threshold(&mut self, path: &str, threshold: Option<u64>) -> Option<u64> {
        match threshold {
            None => {
                self.report(format!("{path}.threshold"), "required");
                None
            }
            Some(0) => {
                self.report(format!("{path}.threshold"), "must be greater than 0");
                None
            }
            Some(t) => Some(t),
        }
    }

    fn tier(&mut self, path: &str, tier: &str) {
        if !self.tiers.contains_key(tier) {
            let known: Vec<&str> = self.tiers.keys().map(String::as_str).collect();
            self.report(
                path,
                format!("unknown tier \"{tier}\" (known: {})", known.join(", ")),
            );
        }
    }

    fn template(&mut self, path: &str, text: &str, required: bool) {
        if required && text.trim().is_empty() {
            return; // reported as "must not be empty" where it matters
        }
        if let Err(message) = crate::messages::check(text) {
            self.report(path, message);
        }
    }

    fn badge(&mut self, path: &str, b: &Badge) {
        match (&b.icon, &b.image) {
            (Some(_), Some(_)) => self.report(path, "give icon or image, not both"),
            (None, None) => self.report(path, "give icon or image"),
            (Some(icon), None) if !ICONS.contains(&icon.as_str()) => {
                self.report(
                    format!("{path}.icon"),
                    format!("unknown icon \"{icon}\" (known: {})", ICONS.join(", ")),
                );
            }
            (None, Some(url)) if !url.starts_with("https://") => {
                self.report(format!("{path}.image"), "must be an https:// URL");
            }
            _ => {}
        }
        if b.alt.trim().is_empty() {
            self.report(
                format!("{path}.alt"),
                "must describe the badge for people who cannot see it",
            );
        }
    }

    fn cta(&mut self, path: &str, cta: &Cta) {
        if cta.label.trim().is_empty() {
            self.report(format!("{path}.label"), "must not be empty");
        }
        if let Some(url) = &cta.url
            && !(url.starts_with('/') || url.starts_with("https://"))
        {
            self.report(
                format!("{path}.url"),
                "must be a relative path or an https:// URL",
            );
        }
    }

    fn policy(&mut self, path: &str, p: &Policy) {
        if p.channels.is_empty() {
            self.report(format!("{path}.channels"), "must not be empty");
        }
        let unique: BTreeSet<_> = p.channels.iter().collect();
        if unique.len() != p.channels.len() {
            self.report(format!("{path}.channels"), "lists a channel twice");
        }
        if let Some(cta) = &p.cta {
            self.cta(&format!("{path}.cta"), cta);
        }
    }

    fn locale(
        &mut self,
        locale: &str,
        strings: &BTreeMap<String, String>,
        index: &HashMap<String, usize>,
    ) {
        if !is_valid_locale(locale) {
            self.report(
                format!("messages.{locale}"),
                format!("\"{locale}\" is not a locale tag like \"fr\" or \"pt-BR\""),
            );
        }
        for (key, text) in strings {
            let path = format!("messages.{locale}.\"{key}\"");
            if let Some(rest) = key.strip_prefix("suggestion.") {
                if !is_valid_key(rest) {
                    self.report(&path, "a suggestion id matches [a-z0-9_.:-]{1,64}");
                }
                continue;
            }
            if key.starts_with("email.") {
                if !crate::suggestions::EMAIL_KEYS.contains(&key.as_str()) {
                    self.report(
                        &path,
                        format!(
                            "must be one of {}",
                            crate::suggestions::EMAIL_KEYS.join(", ")
                        ),
                    );
                } else if let Err(message) = crate::suggestions::check_email(text) {
                    self.report(&path, message);
                }
                continue;
            }
            let known = key.rsplit_once('.').is_some_and(|(owner, field)| {
                let milestone = matches!(field, "name" | "description" | "alt" | "cta")
                    && index.contains_key(owner);
                let ladder = matches!(field, "name" | "name_first" | "description")
                    && self.defs.ladders.iter().any(|l| l.key == owner);
                let metric = field == "label" && self.defs.metrics.iter().any(|m| m.key == owner);
                let tier = field == "cta" && self.tiers.contains_key(owner);
                milestone || ladder || metric || tier
            });
            if !known {
                self.report(&path, "must be \"<milestone>.name|description|alt|cta\", \"<ladder>.name|name_first|description\", \"<metric>.label\" or \"<tier>.cta\" of a defined one");
            }
            if let Err(message) = crate::messages::check(text) {
                self.report(&path, message);
            }
        }
    }
}

fn default_badge(kind: Kind) -> Badge {
    let icon = match kind {
        Kind::Usage | Kind::Value => "medal",
        Kind::Team => "users",
        Kind::Time => "cake",
        Kind::Streak => "flame",
        Kind::Adoption => "rocket",
        Kind::Custom => "star",
    };
    Badge {
        icon: Some(icon.into()),
        image: None,
        alt: crate::phrases::EN.alt(kind).into(),
    }
}

impl Compiled {
    fn new(source: Definitions, milestones: Vec<Milestone>, index: HashMap<String, usize>) -> Self {
        let mut watching: HashMap<(Scope, String), Watchers> = HashMap::new();
        let mut timed = [Vec::new(), Vec::new()];
        let mut members = Vec::new();
        let mut dependents = vec![Vec::new(); milestones.len()];
        for (i, m) in milestones.iter().enumerate() {
            match &m.rule {
                Rule::Total { metric, threshold } => {
                    watching
                        .entry((m.scope, metric.clone()))
                        .or_default()
                        .totals
                        .push((*threshold, i));
                }
                Rule::Streak { metric, .. } => {
                    watching
                        .entry((m.scope, metric.clone()))
                        .or_default()
                        .others
                        .push(i);
                }
                Rule::Adoption { metrics } => {
                    for metric in metrics {
                        watching
                            .entry((m.scope, metric.clone()))
                            .or_default()
                            .others
                            .push(i);
                    }
                }
                Rule::Anniversary { .. } => timed[m.scope as usize].push(i),
                Rule::Members { .. } => members.push(i),
                Rule::Custom => {}
            }
            if let Some(after) = m.after {
                dependents[after].push(i);
            }
        }
        // Within a metric, totals first by threshold (one jump awards in ascending order), then
        // the other kinds in definition order.
        for list in watching.values_mut() {
            list.totals.sort_unstable();
        }
        let metrics = source
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| (m.key.clone(), i))
            .collect();
        let fingerprint = fingerprint(&source);
        Self {
            source,
            milestones,
            index,
            watching,
            timed,
            members,
            dependents,
            metrics,
            fingerprint,
        }
    }

    /// The definitions as written.
    pub fn source(&self) -> &Definitions {
        &self.source
    }

    /// The thresholds of the user milestones on `metric`'s total, increasing, each once (the
    /// ladder the console's tuning starts from).
    pub fn user_thresholds(&self, metric: &str) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .milestones
            .iter()
            .filter(|m| m.scope == Scope::User)
            .filter_map(|m| match &m.rule {
                Rule::Total {
                    metric: of,
                    threshold,
                } if of == metric => Some(*threshold),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every milestone, ladders expanded, in definition order (ladders first).
    pub fn milestones(&self) -> &[Milestone] {
        &self.milestones
    }

    /// The milestone with this key.
    pub fn milestone(&self, key: &str) -> Option<&Milestone> {
        self.index.get(key).map(|&i| &self.milestones[i])
    }

    /// Index of the milestone with this key.
    pub fn milestone_index(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The metric with this key.
    pub fn metric(&self, key: &str) -> Option<&Metric> {
        self.metrics.get(key).map(|&i| &self.source.metrics[i])
    }

    /// The project's ideas for milestones of `kind`, if it chose them.
    pub fn suggestion_ids(&self, kind: Kind) -> Option<&[String]> {
        self.source
            .suggestions
            .get(kind.as_str())
            .map(|s| s.ideas.as_slice())
    }

    /// What a pipeline's `track` event named `name` counts for: its mapping in `[intake]`, or
    /// the metric of that very key; with the property that holds its value, if any.
    pub fn intake(&self, name: &str) -> Option<(&str, Option<&str>)> {
        match self.source.intake.events.get(name) {
            Some(event) => Some(event.parts()),
            None => self.metric(name).map(|m| (m.key.as_str(), None)),
        }
    }

    /// Indices of milestones of `scope` watching `metric`, lowest threshold first.
    pub fn watching(&self, scope: Scope, metric: &str) -> Option<&Watchers> {
        // A borrowed-key lookup without allocating would need a custom key type; metric keys
        // are at most 64 bytes, so this allocation is cheap and keeps the map simple.
        self.watching.get(&(scope, metric.to_owned()))
    }

    /// Indices of anniversary milestones of `scope`.
    pub fn timed(&self, scope: Scope) -> &[usize] {
        &self.timed[scope as usize]
    }

    /// Indices of member-count milestones.
    pub fn member_milestones(&self) -> &[usize] {
        &self.members
    }

    /// Indices of milestones that wait for `i` (`after = i`).
    pub fn dependents(&self, i: usize) -> &[usize] {
        &self.dependents[i]
    }

    /// A stable hash of the definitions: changes whenever they do.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The locale chain to try for `locale`: itself, its language, the configured fallbacks,
    /// then `en`.
    pub fn locale_chain<'a>(&'a self, locale: &'a str) -> Vec<&'a str> {
        let mut chain: Vec<&str> = Vec::new();
        let push = |l: &'a str, chain: &mut Vec<&'a str>| {
            if !chain.contains(&l) {
                chain.push(l);
            }
        };
        let mut at = Some(locale);
        while let Some(l) = at {
            if chain.contains(&l) {
                break;
            }
            push(l, &mut chain);
            if let Some((language, _)) = l.split_once('-') {
                push(language, &mut chain);
            }
            at = self.source.fallback.get(l).map(String::as_str);
        }
        push(DEFAULT_LOCALE, &mut chain);
        chain
    }

    /// The template of `field` (`name` or `description`) of milestone `m` in the first locale of
    /// `locale`'s chain that has it.
    ///
    /// Keys tried in each locale: `{milestone}.{field}`, then for a ladder step
    /// `{ladder}.name_first` (the step at 1) and `{ladder}.{field}`.
    pub fn template<'a>(&'a self, m: &'a Milestone, field: &str, locale: &str) -> &'a str {
        let mut keys = vec![format!("{}.{field}", m.key)];
        if let Some(ladder) = &m.ladder {
            if field == "name" && m.count == 1 {
                keys.push(format!("{ladder}.name_first"));
            }
            keys.push(format!("{ladder}.{field}"));
        }
        self.message(&keys, locale).unwrap_or(if field == "name" {
            &m.name
        } else {
            &m.description
        })
    }

    /// The first of `keys` that the `messages` of a locale of `locale`'s chain has, trying
    /// every key in a locale before the next locale.
    /// Message `key` of exactly `locale` (no fallback).
    pub fn message_exact(&self, key: &str, locale: &str) -> Option<&str> {
        self.source
            .messages
            .get(locale)
            .and_then(|m| m.get(key))
            .map(String::as_str)
    }

    pub fn message(&self, keys: &[String], locale: &str) -> Option<&str> {
        self.locale_chain(locale).into_iter().find_map(|l| {
            let strings = self.source.messages.get(l)?;
            keys.iter().find_map(|k| strings.get(k)).map(String::as_str)
        })
    }

    /// What metric `key` counts, in words, in `locale`: `messages.<locale>."<key>.label"`, else
    /// the metric's `name`, else the key.
    pub fn metric_label(&self, key: &str, locale: &str) -> String {
        self.message(&[format!("{key}.label")], locale)
            .map(str::to_owned)
            .or_else(|| self.metric(key).map(|m| m.name.clone()))
            .unwrap_or_else(|| key.to_owned())
    }

    /// The time zone of subjects without one of their own.
    pub fn default_time_zone(&self) -> TimeZone {
        self.source
            .time_zone
            .as_deref()
            .and_then(|tz| TimeZone::get(tz).ok())
            .unwrap_or(TimeZone::UTC)
    }

    /// Whether the subject is in the holdout (control) group: stable across runs and machines.
    pub fn in_holdout(&self, project: &str, subject: &str) -> bool {
        let Some(h) = self.source.holdout else {
            return false;
        };
        let bucket = crate::engine::stable_hash(&[project.as_bytes(), subject.as_bytes()]) % 10_000;
        (bucket as f64) < h.percent * 100.0
    }
}

fn fingerprint(defs: &Definitions) -> u64 {
    let json = serde_json::to_vec(defs).unwrap_or_default();
    crate::engine::stable_hash(&[&json])
}

/// Whether `key` is a valid metric or milestone key: `[a-z0-9_.:-]{1,64}`.
pub fn is_valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b))
}

/// Whether `tag` looks like a BCP 47 language tag we support (`en`, `pt-BR`, `zh-Hant`).
pub fn is_valid_locale(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether `tz` is an IANA time zone known to the bundled database.
pub fn is_valid_time_zone(tz: &str) -> bool {
    TimeZone::get(tz).is_ok()
}
