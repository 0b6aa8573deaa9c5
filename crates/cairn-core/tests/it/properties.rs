//! Exactly once under any arrival: duplicates, retries, any order, any split into batches with
//! the state stored and reloaded in between.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::definitions::Scope;
use cairn_core::engine::{Event, Subject};
use cairn_core::{Compiled, SubjectState};
use jiff::Timestamp;
use proptest::prelude::*;

/// An event as generated: its key identifies it (a retry carries the same key and content).
#[derive(Debug, Clone)]
struct Ev {
    key: String,
    metric: &'static str,
    value: u64,
    day: i64,
}

const METRICS: [&str; 4] = ["a", "b", "c", "rev"];
const NOW: i64 = 1_773_000_000; // 2026-03-08

fn event_strategy() -> impl Strategy<Value = (Vec<Ev>, Vec<Ev>, Vec<usize>)> {
    prop::collection::vec((0usize..4, 1u64..4, 0i64..6), 1..40).prop_flat_map(|raw| {
        let unique: Vec<Ev> = raw
            .into_iter()
            .enumerate()
            .map(|(i, (m, value, day))| Ev {
                key: format!("k{i}"),
                metric: METRICS[m],
                value,
                day,
            })
            .collect();
        let n = unique.len();
        // Retries: some events appear again; then any order.
        (Just(unique), prop::collection::vec(0..n, 0..n)).prop_flat_map(|(unique, retries)| {
            let mut all = unique.clone();
            all.extend(retries.iter().map(|&i| unique[i].clone()));
            (
                Just(unique),
                Just(all).prop_shuffle(),
                prop::collection::vec(1usize..8, 1..10),
            )
        })
    })
}

fn at(day: i64) -> Timestamp {
    Timestamp::from_second(NOW - 6 * 86_400 + day * 86_400).unwrap()
}

/// Applies `events` in batches of `sizes` (cycled), storing and reloading the state as JSON
/// between batches, as the Durable Object does. Returns the state and every fresh award.
fn run(defs: &Compiled, events: &[Ev], sizes: &[usize]) -> (SubjectState, Vec<String>, usize) {
    let subject = Subject {
        project: "p",
        scope: Scope::User,
        id: "u",
    };
    let now = Timestamp::from_second(NOW).unwrap();
    let mut stored = serde_json::to_string(&SubjectState::default()).unwrap();
    let mut fresh = Vec::new();
    let mut duplicates = 0;
    let mut rest = events;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        let mut state: SubjectState = serde_json::from_str(&stored).unwrap();
        for e in batch {
            let event = Event {
                value: Some(e.value),
                idempotency_key: Some(&e.key),
                ..Event::new(e.metric, at(e.day))
            };
            let out = state.apply(defs, subject, &event, now).unwrap();
            if out.duplicate {
                duplicates += 1;
            } else {
                fresh.extend(out.awards.into_iter().map(|a| a.milestone));
            }
        }
        stored = serde_json::to_string(&state).unwrap();
    }
    (serde_json::from_str(&stored).unwrap(), fresh, duplicates)
}

/// The milestones the final totals imply, for every kind whose rule depends on totals only.
fn implied(totals: &BTreeMap<String, u64>) -> BTreeSet<String> {
    let t = |m: &str| totals.get(m).copied().unwrap_or(0);
    let mut out = BTreeSet::new();
    for step in [1, 3, 5] {
        if t("a") >= step {
            out.insert(format!("a.{step}"));
        }
    }
    if t("rev") >= 100 {
        out.insert("rev.100".into());
    }
    if t("a") > 0 && t("b") > 0 {
        out.insert("adopt".into());
        if t("c") > 0 {
            out.insert("phase2".into());
        }
    }
    out
}

const ORDER_FREE: [&str; 6] = ["a.1", "a.3", "a.5", "rev.100", "adopt", "phase2"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn exactly_once_under_any_arrival((unique, arrivals, sizes) in event_strategy()) {
        let defs = crate::test_defs();
        let (state, fresh, duplicates) = run(&defs, &arrivals, &sizes);

        // (a) totals are the sum over unique events.
        let mut expect: BTreeMap<String, u64> = BTreeMap::new();
        for e in &unique {
            *expect.entry(e.metric.to_owned()).or_default() += e.value;
        }
        prop_assert_eq!(&state.totals, &expect);
        prop_assert_eq!(duplicates, arrivals.len() - unique.len());

        // (b) the awards are what the final totals imply (for the order-free kinds).
        let earned_order_free: BTreeSet<String> = state.earned.keys().filter(|k| ORDER_FREE.contains(&k.as_str())).cloned().collect();
        prop_assert_eq!(earned_order_free, implied(&state.totals));

        // (c) no award appears twice, and every award is in the state.
        let unique_awards: BTreeSet<&String> = fresh.iter().collect();
        prop_assert_eq!(unique_awards.len(), fresh.len(), "awarded twice: {:?}", fresh);
        prop_assert_eq!(unique_awards.into_iter().cloned().collect::<BTreeSet<_>>(), state.earned.keys().cloned().collect::<BTreeSet<_>>());

        // (d) replaying the whole sequence changes nothing.
        let subject = Subject { project: "p", scope: Scope::User, id: "u" };
        let now = Timestamp::from_second(NOW).unwrap();
        let mut replayed = state.clone();
        for e in &arrivals {
            let event = Event { value: Some(e.value), idempotency_key: Some(&e.key), ..Event::new(e.metric, at(e.day)) };
            prop_assert!(replayed.apply(&defs, subject, &event, now).unwrap().duplicate);
        }
        prop_assert_eq!(replayed, state);
    }

    #[test]
    fn order_and_batching_do_not_change_order_free_results((unique, arrivals, sizes) in event_strategy()) {
        let defs = crate::test_defs();
        let (a, _, _) = run(&defs, &arrivals, &sizes);
        let (b, _, _) = run(&defs, &unique, &[1]);
        prop_assert_eq!(&a.totals, &b.totals);
        let free = |s: &SubjectState| s.earned.keys().filter(|k| ORDER_FREE.contains(&k.as_str())).cloned().collect::<BTreeSet<_>>();
        prop_assert_eq!(free(&a), free(&b));
    }
}
