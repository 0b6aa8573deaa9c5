//! Progress: where a subject stands on every ladder and every milestone it has not earned yet,
//! with each milestone's criteria in plain words (auditable, as the badge guide asks).

use jiff::Timestamp;

use crate::definitions::{Badge, Compiled, Cta, Kind, Milestone, Rule, Scope};
use crate::engine::SubjectState;
use crate::messages::{self, Values, fill};
use crate::phrases::{self, Phrases};
use crate::wire::{LadderProgress, LockedMilestone, StreakProgress};

/// Progress on every ladder of the definitions, labelled in `locale`.
pub fn ladders(defs: &Compiled, state: &SubjectState, locale: &str) -> Vec<LadderProgress> {
    defs.source()
        .ladders
        .iter()
        .map(|l| LadderProgress {
            label: defs.metric_label(&l.metric, locale),
            ..LadderProgress::of(&l.key, &l.metric, &l.thresholds, state.total(&l.metric))
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
                criteria: criteria(defs, m, locale),
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

/// A milestone's badge, its alt text in `locale`: `messages.<locale>."<milestone>.alt"`, else
/// the built-in words for a default badge, else the definitions' alt text.
pub fn badge(defs: &Compiled, m: &Milestone, locale: &str) -> Badge {
    let phrases = Phrases::for_chain(defs.locale_chain(locale));
    let alt = match defs.message(&[format!("{}.alt", m.key)], locale) {
        Some(alt) => alt.to_owned(),
        None if m.badge.alt == phrases::EN.alt(m.kind) => phrases.alt(m.kind).to_owned(),
        None => m.badge.alt.clone(),
    };
    Badge {
        alt,
        ..m.badge.clone()
    }
}

/// A milestone's call to action, its label in `locale`: `messages.<locale>."<milestone>.cta"`,
/// then `"<tier>.cta"`, else the built-in words for a default label, else the definitions'.
pub fn cta(defs: &Compiled, m: &Milestone, locale: &str) -> Option<Cta> {
    let cta = m.policy.cta.as_ref()?;
    let keys = [format!("{}.cta", m.key), format!("{}.cta", m.tier)];
    let label = match defs.message(&keys, locale) {
        Some(label) => label.to_owned(),
        None if cta.label == phrases::EN.cta(cta.kind) => {
            Phrases::for_chain(defs.locale_chain(locale))
                .cta(cta.kind)
                .to_owned()
        }
        None => cta.label.clone(),
    };
    Some(Cta {
        label,
        ..cta.clone()
    })
}

fn render(defs: &Compiled, m: &Milestone, field: &str, locale: &str) -> String {
    let name = metric_of(m)
        .map(|k| defs.metric_label(k, locale))
        .unwrap_or_default();
    let values = Values {
        count: m.count,
        name: &name,
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

/// What it takes to earn `m`, in plain words of `locale` (Cairn's [`Phrases`], with the
/// project's metric labels and titles).
pub fn criteria(defs: &Compiled, m: &Milestone, locale: &str) -> String {
    let p = Phrases::for_chain(defs.locale_chain(locale));
    let label = |k: &str| defs.metric_label(k, locale);
    let count = |n: u64| n.to_string();
    let mut text = match (&m.rule, m.kind) {
        (Rule::Total { metric, threshold }, kind) => fill(
            if kind == Kind::Team {
                p.team_total
            } else {
                p.total
            },
            &[("count", &count(*threshold)), ("name", &label(metric))],
        ),
        (Rule::Members { members }, _) => fill(p.members, &[("count", &count(*members))]),
        (Rule::Anniversary { months }, _) => {
            let (n, unit) = if months % 12 == 0 {
                (u64::from(months / 12), p.year)
            } else {
                (u64::from(*months), p.month)
            };
            let template = if m.scope == Scope::Account {
                p.since_account_start
            } else {
                p.since_start
            };
            fill(template, &[("count", &count(n)), ("unit", unit.of(n))])
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
            let unit = p.period(*period);
            let n = u64::from(*length);
            let mut s = fill(
                p.streak,
                &[
                    ("name", &capitalize(&label(metric))),
                    ("count", &count(n)),
                    ("unit", unit.of(n)),
                ],
            );
            if *freezes > 0 {
                let f = u64::from(*freezes);
                s.push(' ');
                s.push_str(&fill(
                    p.freezes,
                    &[("count", &count(f)), ("unit", unit.of(f))],
                ));
            }
            s
        }
        (Rule::Adoption { metrics }, _) => {
            let names: Vec<String> = metrics.iter().map(|k| label(k)).collect();
            fill(p.adoption, &[("names", &join_words(&names, p))])
        }
        (Rule::Custom, _) => p.custom.to_owned(),
    };
    if let Some(after) = m.after {
        let title = title(defs, &defs.milestones()[after], locale);
        text.push_str(&fill(p.after, &[("title", &title)]));
    }
    text
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn join_words(words: &[String], p: &Phrases) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{}{last}", init.join(p.comma), p.and),
    }
}
