//! Progress: where a subject stands on every ladder and every milestone it has not earned yet,
//! with each milestone's criteria in plain words (auditable, as the badge guide asks).

use jiff::Timestamp;

use crate::definitions::{Compiled, Kind, Milestone, Period, Rule, Scope};
use crate::engine::SubjectState;
use crate::messages::{self, Values};
use crate::wire::{LadderProgress, LockedMilestone, StreakProgress};

/// Progress on every ladder of the definitions.
pub fn ladders(defs: &Compiled, state: &SubjectState) -> Vec<LadderProgress> {
    defs.source()
        .ladders
        .iter()
        .map(|l| {
            let mut progress =
                LadderProgress::of(&l.key, &l.metric, &l.thresholds, state.total(&l.metric));
            if let Some(metric) = defs.source().metrics.iter().find(|m| m.key == l.metric) {
                progress.label.clone_from(&metric.name);
            }
            progress
        })
        .collect()
}

/// Every milestone of `scope` not earned yet, with its criteria and progress.
pub fn locked(
    defs: &Compiled,
    state: &SubjectState,
    scope: Scope,
    now: Timestamp,
    locale: &str,
) -> Vec<LockedMilestone> {
    defs.milestones()
        .iter()
        .filter(|m| m.scope == scope && !state.earned.contains_key(&m.key))
        .filter(|m| m.available.is_none_or(|w| w.until.is_none_or(|u| now < u)))
        .map(|m| {
            let (current, target) = measure(defs, state, m, now);
            LockedMilestone {
                milestone: m.key.clone(),
                kind: m.kind,
                tier: m.tier.clone(),
                name: title(defs, m, locale),
                criteria: criteria(defs, m),
                current,
                target,
                percent: match (current, target) {
                    (Some(c), Some(t)) if t > 0 => {
                        u8::try_from((c.min(t) * 100 / t).min(100)).unwrap_or(100)
                    }
                    _ => 0,
                },
                available_until: m.available.and_then(|w| w.until).map(Into::into),
            }
        })
        .collect()
}

/// Every streak the definitions watch, as of `now`.
pub fn streaks(defs: &Compiled, state: &SubjectState, now: Timestamp) -> Vec<StreakProgress> {
    let mut out: Vec<StreakProgress> = Vec::new();
    for m in defs.milestones() {
        if let Rule::Streak { metric, period, .. } = &m.rule {
            let run = state.streak(defs, &m.rule, now);
            let progress = StreakProgress {
                metric: metric.clone(),
                period: *period,
                current: run.map_or(0, |r| r.len),
                best: run.map_or(0, |r| r.best),
            };
            if !out.contains(&progress) {
                out.push(progress);
            }
        }
    }
    out
}

/// Current value and target of a milestone, where it has them.
fn measure(
    defs: &Compiled,
    state: &SubjectState,
    m: &Milestone,
    now: Timestamp,
) -> (Option<u64>, Option<u64>) {
    match &m.rule {
        Rule::Total { metric, threshold } => (Some(state.total(metric)), Some(*threshold)),
        Rule::Members { members } => (Some(state.members.len() as u64), Some(*members)),
        Rule::Streak { length, .. } => (
            Some(u64::from(
                state.streak(defs, &m.rule, now).map_or(0, |r| r.len),
            )),
            Some(u64::from(*length)),
        ),
        Rule::Adoption { metrics } => (
            Some(metrics.iter().filter(|x| state.total(x) > 0).count() as u64),
            Some(metrics.len() as u64),
        ),
        Rule::Anniversary { .. } | Rule::Custom => (None, None),
    }
}

/// A milestone's localized title.
pub fn title(defs: &Compiled, m: &Milestone, locale: &str) -> String {
    render(defs, m, "name", locale)
}

/// A milestone's localized description.
pub fn description(defs: &Compiled, m: &Milestone, locale: &str) -> String {
    render(defs, m, "description", locale)
}

fn render(defs: &Compiled, m: &Milestone, field: &str, locale: &str) -> String {
    let name = metric_of(m)
        .and_then(|k| defs.metric(k))
        .map_or("", |x| x.name.as_str());
    let values = Values {
        count: m.count,
        name,
        next: m.next.map(|n| n.to_string()).unwrap_or_default(),
    };
    messages::render(defs.template(m, field, locale), &values)
}

fn metric_of(m: &Milestone) -> Option<&str> {
    match &m.rule {
        Rule::Total { metric, .. } | Rule::Streak { metric, .. } => Some(metric),
        _ => None,
    }
}

/// What it takes to earn `m`, in plain English words.
pub fn criteria(defs: &Compiled, m: &Milestone) -> String {
    let metric_name = |k: &str| {
        defs.metric(k)
            .map_or_else(|| k.to_owned(), |x| x.name.clone())
    };
    let mut text = match (&m.rule, m.kind) {
        (Rule::Total { metric, threshold }, Kind::Team) => {
            format!("Your team: {threshold} {}", metric_name(metric))
        }
        (Rule::Total { metric, threshold }, _) => format!("{threshold} {}", metric_name(metric)),
        (Rule::Members { members }, _) => format!("Your team grows to {members} members"),
        (Rule::Anniversary { months }, _) => {
            let whose = if m.scope == Scope::Account {
                "your account's"
            } else {
                "your"
            };
            if months % 12 == 0 {
                let years = months / 12;
                format!(
                    "{years} year{} since {whose} start",
                    plural(u64::from(years))
                )
            } else {
                format!(
                    "{months} month{} since {whose} start",
                    plural(u64::from(*months))
                )
            }
        }
        (
            Rule::Streak {
                metric,
                period,
                length,
                freezes,
            },
            _,
        ) => {
            let unit = if *period == Period::Day {
                "day"
            } else {
                "week"
            };
            let mut s = format!(
                "{} on {length} {unit}s in a row",
                capitalize(&metric_name(metric))
            );
            if *freezes > 0 {
                s.push_str(&format!(
                    " ({freezes} missed {unit}{} forgiven)",
                    plural(u64::from(*freezes))
                ));
            }
            s
        }
        (Rule::Adoption { metrics }, _) => {
            let names: Vec<String> = metrics.iter().map(|k| metric_name(k)).collect();
            format!("Use each of: {}", join_words(&names))
        }
        (Rule::Custom, _) => "Awarded by the team".to_owned(),
    };
    if let Some(after) = m.after {
        text.push_str(&format!(
            ", after earning \u{201c}{}\u{201d}",
            title(
                defs,
                &defs.milestones()[after],
                crate::definitions::DEFAULT_LOCALE
            )
        ));
    }
    text
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
