//! Engine benchmarks (`cargo bench -p cairn-core`, also run by `cargo xtask bench`).
//!
//! - one event against 10 / 100 / 1,000 definitions spread over metrics (10 watching each
//!   metric), and against the same counts all watching the event's metric: the cost should grow
//!   with the watchers, not with the definitions;
//! - the serialized state size at 20 earned milestones (budget: 4 KB).

use std::hint::black_box;

use cairn_core::definitions::Scope;
use cairn_core::engine::{Event, Subject};
use cairn_core::{Compiled, Definitions, SubjectState};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use jiff::Timestamp;

const STATE_BUDGET_BYTES: usize = 4096;

/// `milestones` usage milestones over `metrics` metrics, as ladders of 10 steps each.
fn definitions(milestones: usize, metrics: usize) -> Compiled {
    let mut toml = String::from("version = 1\n");
    for m in 0..metrics {
        toml.push_str(&format!(
            "[[metrics]]\nkey = \"m{m}\"\nname = \"metric {m}\"\n"
        ));
    }
    let per_metric = milestones / metrics;
    for m in 0..metrics {
        for l in 0..per_metric.div_ceil(10) {
            let steps = (per_metric - l * 10).min(10);
            let thresholds: Vec<String> = (1..=steps)
                .map(|s| (1_000_000 * (l + 1) + s * 1000).to_string())
                .collect();
            toml.push_str(&format!("[[ladders]]\nkey = \"l{m}-{l}\"\nmetric = \"m{m}\"\nthresholds = [{}]\nname = \"{{count}}\"\n", thresholds.join(", ")));
        }
    }
    Definitions::compile_toml(&toml).expect("valid")
}

fn warm_state(defs: &Compiled, subject: Subject<'_>, now: Timestamp) -> SubjectState {
    let mut state = SubjectState::default();
    for metric in defs
        .source()
        .metrics
        .iter()
        .map(|m| m.key.clone())
        .collect::<Vec<_>>()
    {
        state
            .apply(
                defs,
                subject,
                &Event {
                    value: Some(10),
                    ..Event::new(&metric, now)
                },
                now,
            )
            .unwrap();
    }
    state
}

fn one_event(c: &mut Criterion) {
    let now = Timestamp::from_second(1_800_000_000).unwrap();
    let subject = Subject {
        project: "bench",
        scope: Scope::User,
        id: "user-1",
    };
    let mut group = c.benchmark_group("one_event");
    for (label, metrics_for) in [
        ("spread", (|n: usize| n / 10) as fn(usize) -> usize),
        ("all_watching", |_| 1),
    ] {
        for n in [10, 100, 1000] {
            let defs = definitions(n, metrics_for(n));
            let state = warm_state(&defs, subject, now);
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter_batched_ref(
                    || state.clone(),
                    |s| {
                        black_box(
                            s.apply(&defs, subject, &Event::new("m0", now), now)
                                .unwrap(),
                        )
                    },
                    BatchSize::SmallInput,
                );
            });
        }
    }
    group.finish();
}

fn state_size(_: &mut Criterion) {
    let now = Timestamp::from_second(1_800_000_000).unwrap();
    let subject = Subject {
        project: "bench",
        scope: Scope::User,
        id: "user-1",
    };
    let toml = "version = 1\n[[metrics]]\nkey = \"project_created\"\nname = \"projects\"\n\
                [[ladders]]\nkey = \"projects\"\nmetric = \"project_created\"\n\
                thresholds = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,25]\nname = \"{count}\"\n";
    let defs = Definitions::compile_toml(toml).unwrap();
    let mut state = SubjectState::default();
    for i in 0..20 {
        let at = now + jiff::SignedDuration::from_hours(i);
        state
            .apply(&defs, subject, &Event::new("project_created", at), at)
            .unwrap();
    }
    assert_eq!(state.earned.len(), 20);
    let plain = serde_json::to_vec(&state).unwrap().len();
    for i in 0..32 {
        let key = format!("idempotency-key-{i:04}");
        state
            .apply(
                &defs,
                subject,
                &Event {
                    idempotency_key: Some(&key),
                    ..Event::new("project_created", now)
                },
                now,
            )
            .unwrap();
    }
    let with_keys = serde_json::to_vec(&state).unwrap().len();
    println!("state_size/20_earned: {plain} bytes (budget {STATE_BUDGET_BYTES})");
    println!("state_size/20_earned+32_idempotency_keys: {with_keys} bytes");
    assert!(
        plain <= STATE_BUDGET_BYTES,
        "state over budget: {plain} > {STATE_BUDGET_BYTES}"
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = one_event, state_size
}
criterion_main!(benches);
