use cairn_core::engine::{EventError, award_id};
use cairn_core::wire::{LadderProgress, MeResponse};
use cairn_core::{Event, SubjectState};
use jiff::Timestamp;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

/// Applies events `(metric, amount)` in order and compares, per event, the total and the keys
/// of the milestones it unlocked with `expect`.
fn check(events: &[(&str, u64)], expect: &[(u64, &[&str])]) {
    let defs = crate::acme();
    let mut state = SubjectState::default();
    let got: Vec<(u64, Vec<String>)> = events
        .iter()
        .enumerate()
        .map(|(i, &(metric, amount))| {
            let event = Event {
                metric,
                amount,
                at: at(i as i64),
            };
            let out = state
                .apply(&defs, "demo/u", &event, at(i as i64))
                .expect("applies");
            (
                out.total,
                out.awards.into_iter().map(|a| a.milestone).collect(),
            )
        })
        .collect();
    let expect: Vec<(u64, Vec<String>)> = expect
        .iter()
        .map(|(t, keys)| (*t, keys.iter().map(|k| k.to_string()).collect()))
        .collect();
    assert_eq!(got, expect);
}

const P: &str = "project_created";

#[test]
fn first_step_fires_on_first_event() {
    check(&[(P, 1)], &[(1, &["projects.1"])]);
}

#[test]
fn nothing_fires_between_thresholds() {
    check(
        &[(P, 1), (P, 1), (P, 7)],
        &[(1, &["projects.1"]), (2, &[]), (9, &[])],
    );
}

#[test]
fn exact_threshold_fires() {
    check(
        &[(P, 9), (P, 1)],
        &[(9, &["projects.1"]), (10, &["projects.10"])],
    );
}

#[test]
fn one_jump_awards_every_crossed_threshold_once() {
    check(
        &[(P, 120), (P, 1)],
        &[
            (
                120,
                &["projects.1", "projects.10", "projects.50", "projects.100"],
            ),
            (121, &[]),
        ],
    );
}

#[test]
fn top_of_the_ladder_fires_once() {
    check(
        &[(P, 1000), (P, 5000)],
        &[
            (
                1000,
                &[
                    "projects.1",
                    "projects.10",
                    "projects.50",
                    "projects.100",
                    "projects.500",
                    "projects.1000",
                ],
            ),
            (6000, &[]),
        ],
    );
}

#[test]
fn bad_events_change_nothing() {
    let defs = crate::acme();
    let mut state = SubjectState::default();
    let before = state.clone();
    let unknown = Event {
        metric: "nope",
        amount: 1,
        at: at(0),
    };
    assert_eq!(
        state.apply(&defs, "s", &unknown, at(0)),
        Err(EventError::UnknownMetric("nope".into()))
    );
    let zero = Event {
        metric: P,
        amount: 0,
        at: at(0),
    };
    assert_eq!(
        state.apply(&defs, "s", &zero, at(0)),
        Err(EventError::ZeroAmount)
    );
    let future = Event {
        metric: P,
        amount: 1,
        at: at(301),
    };
    assert_eq!(
        state.apply(&defs, "s", &future, at(0)),
        Err(EventError::FutureTimestamp(at(301)))
    );
    let skewed = Event {
        metric: P,
        amount: 1,
        at: at(299),
    };
    assert!(state.apply(&defs, "s", &skewed.clone(), at(0)).is_ok());
    assert_ne!(state, before);
    let mut again = before.clone();
    let _ = again.apply(&defs, "s", &unknown, at(0));
    assert_eq!(again, before);
}

#[test]
fn award_ids_are_deterministic_and_distinct() {
    assert_eq!(
        award_id("demo/u1", "projects.1"),
        award_id("demo/u1", "projects.1")
    );
    assert_ne!(
        award_id("demo/u1", "projects.1"),
        award_id("demo/u2", "projects.1")
    );
    assert_ne!(
        award_id("demo/u1", "projects.1"),
        award_id("demo/u1", "projects.10")
    );
    // Separator matters: ("a", "b.c") and ("a\0b", ".c")-style collisions are avoided.
    assert_ne!(award_id("ab", "c"), award_id("a", "bc"));
    assert_eq!(award_id("demo/u1", "projects.1").len(), 27);
}

#[test]
fn ladder_progress() {
    let check = |current, next, remaining, percent| {
        let p = LadderProgress::of("l", "m", &[1, 10, 50], current);
        assert_eq!(
            (p.next, p.remaining, p.percent),
            (next, remaining, percent),
            "at {current}"
        );
    };
    check(0, Some(1), Some(1), 0);
    check(1, Some(10), Some(9), 0);
    check(7, Some(10), Some(3), 66);
    check(10, Some(50), Some(40), 0);
    check(49, Some(50), Some(1), 97);
    check(50, None, None, 100);
    check(70, None, None, 100);
}

#[test]
fn me_lists_awards_oldest_first_with_progress() {
    let defs = crate::acme();
    let mut state = SubjectState::default();
    for i in 0..12 {
        state
            .apply(
                &defs,
                "demo/u",
                &Event {
                    metric: P,
                    amount: 1,
                    at: at(i),
                },
                at(i),
            )
            .unwrap();
    }
    let me = MeResponse::build(&defs, "demo/u", "u", &state);
    let titles: Vec<&str> = me.awards.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["First project!", "10 projects!"]);
    assert_eq!(me.awards[1].id, award_id("demo/u", "projects.10"));
    assert_eq!(me.totals[P], 12);
    assert_eq!(
        (me.progress[0].next, me.progress[0].remaining),
        (Some(50), Some(38))
    );
}

#[test]
fn state_round_trips_through_json() {
    let defs = crate::acme();
    let mut state = SubjectState::default();
    state
        .apply(
            &defs,
            "s",
            &Event {
                metric: P,
                amount: 10,
                at: at(0),
            },
            at(0),
        )
        .unwrap();
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<SubjectState>(&json).unwrap(), state);
}
