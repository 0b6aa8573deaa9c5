use cairn_core::Definitions;
use cairn_core::definitions::Scope;
use cairn_core::engine::{Event, EventError, IDEMPOTENCY_KEYS, Subject, award_id};

use crate::{Run, keys, test_defs, ts};

/// Applies occurrences `(metric, instant)` in order; compares each event's awards with `expect`.
fn check(events: &[(&str, &str)], expect: &[&[&str]]) {
    let mut run = Run::user(test_defs());
    let got: Vec<Vec<String>> = events.iter().map(|(m, at)| run.ev(m, at)).collect();
    let expect: Vec<Vec<String>> = expect.iter().map(|k| keys(k)).collect();
    assert_eq!(got, expect, "events {events:?}");
}

const D1: &str = "2026-03-02T12:00:00Z"; // a Monday
const D2: &str = "2026-03-03T12:00:00Z";
const D3: &str = "2026-03-04T12:00:00Z";
const D4: &str = "2026-03-05T12:00:00Z";
const D5: &str = "2026-03-06T12:00:00Z";
const D6: &str = "2026-03-07T12:00:00Z";

#[test]
fn ladder_steps_fire_once_each() {
    check(
        &[
            ("a", D1),
            ("a", D1),
            ("a", D1),
            ("a", D1),
            ("a", D1),
            ("a", D1),
        ],
        &[&["a.1"], &[], &["a.3"], &[], &["a.5"], &[]],
    );
}

#[test]
fn one_jump_awards_every_crossed_step_lowest_first() {
    let mut run = Run::user(test_defs());
    let got = run.apply(
        &Event {
            value: Some(7),
            ..Event::new("a", ts(D1))
        },
        ts(D1),
    );
    assert_eq!(got, keys(&["a.1", "a.3", "a.5"]));
    assert_eq!(run.state.total("a"), 7);
}

#[test]
fn value_milestones_sum_values() {
    let mut run = Run::user(test_defs());
    let pay = |v| Event {
        value: Some(v),
        ..Event::new("rev", ts(D1))
    };
    assert_eq!(run.apply(&pay(60), ts(D1)), keys(&[]));
    assert_eq!(run.apply(&pay(40), ts(D1)), keys(&["rev.100"]));
    assert_eq!(run.state.total("rev"), 100);
}

#[test]
fn adoption_needs_every_metric() {
    check(&[("a", D1), ("b", D1)], &[&["a.1"], &["adopt"]]);
    check(
        &[("b", D1), ("b", D1), ("a", D1)],
        &[&[], &[], &["a.1", "adopt"]],
    );
}

#[test]
fn phases_wait_for_the_previous_phase() {
    // phase2 (cherries) waits for adopt (apples + bananas), then is awarded in the same event.
    check(
        &[("c", D1), ("a", D1), ("b", D1)],
        &[&[], &["a.1"], &["adopt", "phase2"]],
    );
    check(
        &[("a", D1), ("b", D1), ("c", D1)],
        &[&["a.1"], &["adopt"], &["phase2"]],
    );
}

#[test]
fn daily_streaks() {
    // Three days in a row (the third event also reaches the ladder's 3).
    check(
        &[("a", D1), ("a", D2), ("a", D3)],
        &[&["a.1"], &[], &["a.3", "streak3"]],
    );
    // Twice on one day counts once.
    check(
        &[("a", D1), ("a", D1), ("a", D2)],
        &[&["a.1"], &[], &["a.3"]],
    );
    // A gap breaks it; it restarts.
    check(
        &[("a", D1), ("a", D2), ("a", D4), ("a", D5), ("a", D6)],
        &[&["a.1"], &[], &["a.3"], &[], &["a.5", "streak3"]],
    );
}

#[test]
fn freezes_bridge_missed_days() {
    // One missed day is forgiven (freezes = 1): bananas on days 1, 2 and 4 make 3.
    check(
        &[("b", D1), ("b", D2), ("b", D4)],
        &[&[], &[], &["streak3f"]],
    );
    // Two missed days are not.
    check(
        &[("b", D1), ("b", D2), ("b", D5), ("b", D6)],
        &[&[], &[], &[], &[]],
    );
}

#[test]
fn weekly_streaks_count_iso_weeks() {
    // Sunday 8 March and Monday 9 March are in consecutive ISO weeks.
    check(
        &[("c", "2026-03-08T10:00:00Z"), ("c", "2026-03-09T10:00:00Z")],
        &[&[], &["weekly2"]],
    );
    // Monday and Sunday of the same week are one week.
    check(
        &[("c", "2026-03-02T10:00:00Z"), ("c", "2026-03-08T10:00:00Z")],
        &[&[], &[]],
    );
}

#[test]
fn late_events_do_not_rewrite_streaks() {
    check(
        &[("a", D3), ("a", D2), ("a", D1)],
        &[&["a.1"], &[], &["a.3"]],
    );
}

#[test]
fn limited_time_milestones_only_inside_their_window() {
    check(&[("c", "2026-05-31T23:59:59Z")], &[&[]]);
    check(&[("c", "2026-06-15T10:00:00Z")], &[&["june"]]);
    check(&[("c", "2026-07-01T00:00:00Z")], &[&[]]);
}

#[test]
fn anniversaries_fire_on_time_by_tick() {
    let mut run = Run::user(test_defs());
    assert_eq!(
        run.traits("a", "2026-03-01T00:00:00Z", "2025-03-02T09:30:00Z", "UTC"),
        keys(&["a.1"])
    );
    let subject = run.subject();
    assert_eq!(
        run.state
            .next_due(&run.defs, subject, ts("2026-03-01T00:00:00Z")),
        Some(ts("2026-03-02T09:30:00Z"))
    );
    assert_eq!(run.tick("2026-03-02T09:29:59Z"), keys(&[]));
    assert_eq!(run.tick("2026-03-02T09:30:00Z"), keys(&["anniv1"]));
    assert_eq!(run.tick("2026-03-02T09:30:01Z"), keys(&[]));
    assert!(run.state.earned["anniv1"].celebrate);
    assert_eq!(
        run.state.earned["anniv1"].achieved_at,
        ts("2026-03-02T09:30:00Z")
    );
}

#[test]
fn anniversaries_learned_late_are_not_celebrated() {
    let mut run = Run::user(test_defs());
    assert_eq!(
        run.traits("b", D1, "2024-01-15T00:00:00Z", "UTC"),
        keys(&["anniv1"])
    );
    assert!(
        !run.state.earned["anniv1"].celebrate,
        "due long before it was known"
    );
}

#[test]
fn team_milestones_belong_to_the_account() {
    let mut run = Run::account(test_defs());
    let by = |member, value| Event {
        member: Some(member),
        value: Some(value),
        ..Event::new("a", ts(D1))
    };
    assert_eq!(run.apply(&by("alice", 2), ts(D1)), keys(&[]));
    assert_eq!(run.apply(&by("alice", 1), ts(D1)), keys(&[]));
    assert_eq!(run.apply(&by("bob", 1), ts(D1)), keys(&["team.2"]));
    assert_eq!(run.apply(&by("bob", 1), ts(D1)), keys(&["team.a5"]));
    assert_eq!(run.state.members.len(), 2);
    // No user milestone is ever awarded to an account, nor a team one to a user.
    assert!(run.state.earned.keys().all(|k| k.starts_with("team.")));
    let mut user = Run::user(test_defs());
    assert_eq!(
        user.apply(
            &Event {
                value: Some(9),
                ..Event::new("a", ts(D1))
            },
            ts(D1)
        ),
        keys(&["a.1", "a.3", "a.5"])
    );
}

#[test]
fn custom_milestones_are_awarded_by_call_once() {
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let first = run
        .state
        .award_custom(&run.defs, subject, "vip", ts(D1), true)
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.awards[0].milestone, "vip");
    let again = run
        .state
        .award_custom(&run.defs, subject, "vip", ts(D2), true)
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.awards, first.awards, "the original award");
    assert_eq!(
        run.state
            .award_custom(&run.defs, subject, "adopt", ts(D1), true),
        Err(EventError::NotCustom("adopt".into()))
    );
    assert_eq!(
        run.state
            .award_custom(&run.defs, subject, "nope", ts(D1), true),
        Err(EventError::UnknownMilestone("nope".into()))
    );
    let account = Subject {
        scope: Scope::Account,
        ..subject
    };
    assert_eq!(
        run.state
            .award_custom(&run.defs, account, "vip", ts(D1), true),
        Err(EventError::NotCustom("vip".into()))
    );
}

#[test]
fn idempotency_keys_make_retries_duplicates() {
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let event = Event {
        idempotency_key: Some("k1"),
        ..Event::new("a", ts(D1))
    };
    let first = run.state.apply(&run.defs, subject, &event, ts(D1)).unwrap();
    let before = run.state.clone();
    let retry = run.state.apply(&run.defs, subject, &event, ts(D2)).unwrap();
    assert!(retry.duplicate && !first.duplicate);
    assert_eq!(
        (retry.total, &retry.awards),
        (first.total, &first.awards),
        "the original result, awards included"
    );
    assert_eq!(run.state, before, "a duplicate changes nothing");
    // After the window, the key is forgotten.
    let later = run
        .state
        .apply(&run.defs, subject, &event, ts("2026-03-04T12:00:01Z"))
        .unwrap();
    assert!(!later.duplicate);
    assert_eq!(later.total, 2);
}

#[test]
fn idempotency_memory_is_bounded() {
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let keys: Vec<String> = (0..=IDEMPOTENCY_KEYS).map(|i| format!("k{i}")).collect();
    for k in &keys {
        run.state
            .apply(
                &run.defs,
                subject,
                &Event {
                    idempotency_key: Some(k),
                    ..Event::new("b", ts(D1))
                },
                ts(D1),
            )
            .unwrap();
    }
    assert_eq!(run.state.recent.len(), IDEMPOTENCY_KEYS);
    let oldest = run
        .state
        .apply(
            &run.defs,
            subject,
            &Event {
                idempotency_key: Some("k0"),
                ..Event::new("b", ts(D1))
            },
            ts(D1),
        )
        .unwrap();
    assert!(!oldest.duplicate, "the oldest key was dropped");
    let newest = run
        .state
        .apply(
            &run.defs,
            subject,
            &Event {
                idempotency_key: Some(&keys[IDEMPOTENCY_KEYS]),
                ..Event::new("b", ts(D1))
            },
            ts(D1),
        )
        .unwrap();
    assert!(newest.duplicate);
}

#[test]
fn bad_events_change_nothing() {
    let mut run = Run::user(test_defs());
    run.ev("a", D1);
    let before = run.state.clone();
    let subject = run.subject();
    let mut try_apply = |event: Event<'_>| {
        run.state
            .apply(&run.defs, subject, &event, ts(D1))
            .unwrap_err()
    };
    assert_eq!(
        try_apply(Event::new("nope", ts(D1))),
        EventError::UnknownMetric("nope".into())
    );
    assert_eq!(
        try_apply(Event {
            value: Some(0),
            ..Event::new("a", ts(D1))
        }),
        EventError::ZeroValue
    );
    assert_eq!(
        try_apply(Event::new("rev", ts(D1))),
        EventError::MissingValue("rev".into())
    );
    assert_eq!(
        try_apply(Event::new("a", ts("2026-03-02T12:05:01Z"))),
        EventError::FutureTimestamp(ts("2026-03-02T12:05:01Z"))
    );
    let traits = cairn_core::engine::Traits {
        created_at: None,
        tz: Some("Mars/Olympus".into()),
    };
    assert_eq!(
        try_apply(Event {
            traits: Some(&traits),
            ..Event::new("a", ts(D1))
        }),
        EventError::UnknownTimeZone("Mars/Olympus".into())
    );
    assert_eq!(run.state, before);
    // Within the clock-skew allowance it applies.
    assert!(
        run.state
            .apply(
                &run.defs,
                subject,
                &Event::new("a", ts("2026-03-02T12:04:59Z")),
                ts(D1)
            )
            .is_ok()
    );
}

#[test]
fn backfilled_history_is_recorded_not_celebrated() {
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let out = run
        .state
        .apply(
            &run.defs,
            subject,
            &Event {
                value: Some(4),
                backfill: true,
                ..Event::new("a", ts(D1))
            },
            ts(D2),
        )
        .unwrap();
    assert_eq!(
        out.awards
            .iter()
            .map(|a| (a.milestone.as_str(), a.celebrate))
            .collect::<Vec<_>>(),
        [("a.1", false), ("a.3", false)]
    );
    let live = run
        .state
        .apply(&run.defs, subject, &Event::new("a", ts(D2)), ts(D2))
        .unwrap();
    assert_eq!(
        live.awards
            .iter()
            .map(|a| (a.milestone.as_str(), a.celebrate))
            .collect::<Vec<_>>(),
        [("a.5", true)]
    );
}

#[test]
fn holdout_is_deterministic_and_suppresses_celebrations() {
    let defs =
        Definitions::compile_toml(&format!("{}\n[holdout]\npercent = 50\n", crate::TEST_DEFS))
            .unwrap();
    let ids: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let held = ids
        .iter()
        .filter(|id| defs.in_holdout("p", &format!("p/user/{id}")))
        .count();
    assert!(
        (430..=570).contains(&held),
        "about half are held out: {held}"
    );
    // Pinned: the same on every machine and in every release.
    let first: Vec<bool> = ids[..12]
        .iter()
        .map(|id| defs.in_holdout("p", &format!("p/user/{id}")))
        .collect();
    assert_eq!(first, PINNED_HOLDOUT);
    // Another project draws a different group.
    let other = ids
        .iter()
        .filter(|id| {
            defs.in_holdout("q", &format!("p/user/{id}"))
                != defs.in_holdout("p", &format!("p/user/{id}"))
        })
        .count();
    assert!(other > 300);

    let held_id = ids
        .iter()
        .find(|id| defs.in_holdout("p", &format!("p/user/{id}")))
        .unwrap();
    let subject = Subject {
        project: "p",
        scope: Scope::User,
        id: held_id,
    };
    let mut state = cairn_core::SubjectState::default();
    let out = state
        .apply(&defs, subject, &Event::new("a", ts(D1)), ts(D1))
        .unwrap();
    assert_eq!(out.awards.len(), 1, "awards are still recorded");
    assert!(!out.awards[0].celebrate, "but not celebrated");
}

const PINNED_HOLDOUT: [bool; 12] = [
    true, false, false, false, false, true, false, false, true, false, true, false,
];

#[test]
fn definitions_changes_award_retroactively_without_celebrating() {
    let v1 = Definitions::compile_toml("version = 1\n[[metrics]]\nkey = \"a\"\nname = \"apples\"\n[[ladders]]\nkey = \"a\"\nmetric = \"a\"\nthresholds = [1, 10]\nname = \"{count}\"\n").unwrap();
    let v2 = Definitions::compile_toml("version = 1\n[[metrics]]\nkey = \"a\"\nname = \"apples\"\n[[ladders]]\nkey = \"a\"\nmetric = \"a\"\nthresholds = [2, 3, 10]\nname = \"{count}\"\n").unwrap();
    let subject = Subject {
        project: "p",
        scope: Scope::User,
        id: "u",
    };
    let mut state = cairn_core::SubjectState::default();
    for _ in 0..2 {
        state
            .apply(&v1, subject, &Event::new("a", ts(D1)), ts(D1))
            .unwrap();
    }
    assert_eq!(state.earned.keys().collect::<Vec<_>>(), ["a.1"]);
    // v2 adds a.2 (already satisfied: retroactive, silent) and a.3 (reached by this event).
    let out = state
        .apply(&v2, subject, &Event::new("a", ts(D2)), ts(D2))
        .unwrap();
    let got: Vec<(&str, bool)> = out
        .awards
        .iter()
        .map(|a| (a.milestone.as_str(), a.celebrate))
        .collect();
    assert_eq!(got, [("a.2", false), ("a.3", true)]);
    assert!(
        state.earned.contains_key("a.1"),
        "awards of removed milestones stay"
    );
    // A tick under new definitions reconciles too, and only once.
    let mut other = cairn_core::SubjectState::default();
    other
        .apply(
            &v1,
            subject,
            &Event {
                value: Some(5),
                ..Event::new("a", ts(D1))
            },
            ts(D1),
        )
        .unwrap();
    assert_eq!(
        other
            .tick(&v2, subject, ts(D2))
            .awards
            .iter()
            .map(|a| a.milestone.as_str())
            .collect::<Vec<_>>(),
        ["a.2", "a.3"]
    );
    assert!(other.tick(&v2, subject, ts(D3)).awards.is_empty());
}

#[test]
fn award_ids_are_deterministic_and_distinct() {
    assert_eq!(award_id("p/user/u1", "a.1"), award_id("p/user/u1", "a.1"));
    assert_ne!(award_id("p/user/u1", "a.1"), award_id("p/user/u2", "a.1"));
    assert_ne!(award_id("p/user/u1", "a.1"), award_id("p/user/u1", "a.3"));
    assert_ne!(award_id("ab", "c"), award_id("a", "bc"));
    assert_eq!(award_id("p/user/u1", "a.1"), "aw_27ef0c4d9021fd0379d96da7");
}

#[test]
fn identify_sets_traits_and_awards_what_is_already_due() {
    let defs = cairn_core::Definitions::compile_toml(
        "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n[[milestones]]\nkey = \"anniversary.1\"\nkind = \"time\"\nyears = 1\nname = \"One year\"\n",
    )
    .unwrap();
    let subject = cairn_core::Subject {
        project: "prj",
        scope: cairn_core::definitions::Scope::User,
        id: "u1",
    };
    let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let mut state = cairn_core::SubjectState::default();
    let traits = cairn_core::engine::Traits {
        created_at: Some("2025-06-01T00:00:00Z".parse().unwrap()),
        tz: Some("Europe/Paris".into()),
    };
    let out = state.identify(&defs, subject, &traits, now).unwrap();
    let keys: Vec<&str> = out.awards.iter().map(|a| a.milestone.as_str()).collect();
    assert_eq!(keys, ["anniversary.1"]);
    assert_eq!(state.traits.tz.as_deref(), Some("Europe/Paris"));
    // Again: nothing new.
    assert!(
        state
            .identify(&defs, subject, &traits, now)
            .unwrap()
            .awards
            .is_empty()
    );
    let bad = cairn_core::engine::Traits {
        created_at: None,
        tz: Some("Mars/Base".into()),
    };
    assert!(state.identify(&defs, subject, &bad, now).is_err());
}

#[test]
fn a_user_who_started_but_did_not_reach_a_milestone_stalls_once() {
    let defs = cairn_core::Definitions::compile_toml(
        "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n[[metrics]]\nkey = \"i\"\nname = \"integrations\"\n\
         [[milestones]]\nkey = \"connected\"\nkind = \"usage\"\nmetric = \"i\"\nthreshold = 1\nname = \"Connected\"\nstall_after = \"3d\"\n",
    )
    .unwrap();
    let subject = cairn_core::Subject {
        project: "prj",
        scope: cairn_core::definitions::Scope::User,
        id: "u1",
    };
    let t0: jiff::Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();
    let day = jiff::SignedDuration::from_hours(24);
    let mut state = cairn_core::SubjectState::default();
    state
        .apply(&defs, subject, &cairn_core::Event::new("p", t0), t0)
        .unwrap();
    // Not yet: due three days after the first event.
    assert_eq!(state.next_due(&defs, subject, t0), Some(t0 + day * 3));
    assert!(state.due_stalls(&defs, subject, t0 + day * 2).is_empty());
    let stalls = state.due_stalls(&defs, subject, t0 + day * 3);
    assert_eq!(stalls.len(), 1);
    assert_eq!(stalls[0].milestone, "connected");
    assert_eq!(stalls[0].started_at, t0);
    // Once.
    assert!(state.due_stalls(&defs, subject, t0 + day * 9).is_empty());
    assert_eq!(state.next_due(&defs, subject, t0 + day * 9), None);

    // Reaching it first cancels the stall.
    let mut quick = cairn_core::SubjectState::default();
    quick
        .apply(&defs, subject, &cairn_core::Event::new("p", t0), t0)
        .unwrap();
    quick
        .apply(
            &defs,
            subject,
            &cairn_core::Event::new("i", t0 + day),
            t0 + day,
        )
        .unwrap();
    assert!(quick.due_stalls(&defs, subject, t0 + day * 4).is_empty());
    // History starts nobody.
    let mut imported = cairn_core::SubjectState::default();
    let old = cairn_core::Event {
        backfill: true,
        ..cairn_core::Event::new("p", t0)
    };
    imported.apply(&defs, subject, &old, t0 + day * 30).unwrap();
    assert!(
        imported
            .due_stalls(&defs, subject, t0 + day * 30)
            .is_empty()
    );
}

#[test]
fn stall_after_is_a_duration_of_a_users_milestone() {
    for (text, ok) in [
        ("3d", true),
        ("12h", true),
        ("2w", true),
        ("1w 2d", true),
        ("30m", false),
        ("400d", false),
        ("soon", false),
    ] {
        assert_eq!(
            cairn_core::definitions::parse_stall(text).is_some(),
            ok,
            "{text}"
        );
    }
    let problems = cairn_core::Definitions::from_toml(
        "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n[[milestones]]\nkey = \"m\"\nkind = \"custom\"\nof = \"account\"\nname = \"M\"\nstall_after = \"3d\"\n[[milestones]]\nkey = \"n\"\nkind = \"custom\"\nname = \"N\"\nstall_after = \"whenever\"\n",
    )
    .unwrap()
    .validate();
    let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "milestones[0].stall_after: only a user's milestone can stall",
            "milestones[1].stall_after: must be a duration from 1 hour to 365 days, like \"3d\", \"12h\" or \"2w\""
        ]
    );
}

/// Applies `metric` at each instant (also `now`); returns each event's `(milestone, day)` returns.
fn returns_of(run: &mut Run, events: &[(&str, &str)]) -> Vec<Vec<(String, i64)>> {
    events
        .iter()
        .map(|(metric, at)| {
            let subject = run.subject();
            let out = run
                .state
                .apply(&run.defs, subject, &Event::new(metric, ts(at)), ts(at))
                .unwrap();
            out.returned
                .into_iter()
                .map(|r| {
                    assert_eq!(r.award_id, award_id(&subject.key(), &r.milestone));
                    let day = cairn_core::engine::RETURN_DAYS[r.bit.trailing_zeros() as usize];
                    (r.milestone, day)
                })
                .collect()
        })
        .collect()
}

#[test]
fn returns_are_reported_once_on_day_1_7_and_30_after_an_award() {
    let mut run = Run::user(test_defs());
    let got = returns_of(
        &mut run,
        &[
            ("a", "2026-03-02T23:00:00Z"), // a.1, day 0
            ("c", "2026-03-02T23:59:00Z"), // same day: not a return
            ("c", "2026-03-03T00:01:00Z"), // day 1 (UTC calendar day)
            ("c", "2026-03-03T22:00:00Z"), // day 1 again: reported once
            ("c", "2026-03-08T12:00:00Z"), // day 6: not measured
            ("c", "2026-03-09T12:00:00Z"), // day 7
            ("c", "2026-04-01T12:00:00Z"), // day 30
            ("c", "2026-04-02T12:00:00Z"), // the window is over
        ],
    );
    let a1 = |d| vec![("a.1".to_owned(), d)];
    assert_eq!(got[0], vec![]);
    assert_eq!(got[1], vec![]);
    assert_eq!(got[2], a1(1));
    assert_eq!(got[3], vec![]);
    assert_eq!(got[4], vec![]);
    assert_eq!(got[5], a1(7));
    assert_eq!(got[6], a1(30));
    assert_eq!(got[7], vec![]);
    assert!(
        !run.state.returns.contains_key("a.1"),
        "its window is closed"
    );
}

#[test]
fn returns_count_in_the_subjects_time_zone() {
    let mut run = Run::user(test_defs());
    let tz = cairn_core::engine::Traits {
        tz: Some("America/Los_Angeles".into()),
        ..Default::default()
    };
    let subject = run.subject();
    // 2026-03-03T05:00Z is still March 2 in Los Angeles: the award's own day, not day 1.
    let first = Event {
        traits: Some(&tz),
        ..Event::new("a", ts("2026-03-02T20:00:00Z"))
    };
    run.state
        .apply(&run.defs, subject, &first, ts("2026-03-02T20:00:00Z"))
        .unwrap();
    let got = returns_of(
        &mut run,
        &[("a", "2026-03-03T05:00:00Z"), ("a", "2026-03-03T09:00:00Z")],
    );
    assert_eq!(got, vec![vec![], vec![("a.1".to_owned(), 1)]]);
}

#[test]
fn only_live_awards_are_measured_and_the_holdout_is_measured_too() {
    let defs =
        Definitions::compile_toml(&format!("{}\n[holdout]\npercent = 50\n", crate::TEST_DEFS))
            .unwrap();
    let held = (0..100)
        .map(|i| format!("user-{i}"))
        .find(|id| defs.in_holdout("p", &format!("p/user/{id}")))
        .unwrap();
    let subject = Subject {
        project: "p",
        scope: Scope::User,
        id: &held,
    };
    let mut state = cairn_core::SubjectState::default();
    let out = state
        .apply(&defs, subject, &Event::new("a", ts(D1)), ts(D1))
        .unwrap();
    let award = &out.awards[0];
    assert!(award.eligible && !award.celebrate, "held out, but compared");
    let out = state
        .apply(&defs, subject, &Event::new("a", ts(D2)), ts(D2))
        .unwrap();
    assert_eq!(out.returned.len(), 1);

    // History is not compared: it was never going to be celebrated.
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let old = Event {
        backfill: true,
        ..Event::new("a", ts(D1))
    };
    let out = run.state.apply(&run.defs, subject, &old, ts(D3)).unwrap();
    assert!(!out.awards[0].eligible);
    assert!(run.state.returns.is_empty());
    assert!(returns_of(&mut run, &[("a", D2)])[0].is_empty());
}

#[test]
fn windows_close_on_the_events_time_not_the_clock() {
    // History replayed today: the clock is far past day 30, the events are not.
    let mut run = Run::user(test_defs());
    run.ev("a", D1);
    run.tick("2026-06-01T12:00:00Z");
    assert_eq!(run.state.returns.len(), 1, "a tick does not close a window");
    let subject = run.subject();
    let late = run
        .state
        .apply(
            &run.defs,
            subject,
            &Event::new("c", ts("2026-04-01T12:00:00Z")),
            ts("2026-06-01T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(late.returned.len(), 1, "day 30, sent late, still counts");
    assert!(!run.state.returns.contains_key("a.1"));
}

#[test]
fn a_conversion_within_14_days_of_an_award_is_reported_once_per_award() {
    let defs = Definitions::compile_toml(&format!(
        "{}\n[[metrics]]\nkey = \"plan_upgraded\"\nname = \"upgrades\"\nconversion = true\n",
        crate::TEST_DEFS
    ))
    .unwrap();
    let mut run = Run::user(defs);
    let subject = run.subject();
    let mut converted = |metric: &str, at: &str, backfill: bool| -> Vec<String> {
        let e = Event {
            backfill,
            ..Event::new(metric, ts(at))
        };
        let out = run.state.apply(&run.defs, subject, &e, ts(at)).unwrap();
        out.returned
            .into_iter()
            .filter(|r| r.bit == cairn_core::engine::CONVERTED)
            .map(|r| r.milestone)
            .collect()
    };
    assert!(converted("a", "2026-03-01T10:00:00Z", false).is_empty()); // a.1
    assert!(converted("a", "2026-03-05T10:00:00Z", false).is_empty()); // a.3 needs 3
    assert!(converted("a", "2026-03-06T10:00:00Z", false).is_empty()); // a.3
    // Not a conversion metric: nothing.
    assert!(converted("b", "2026-03-10T10:00:00Z", false).is_empty());
    // History is not a conversion.
    assert!(converted("plan_upgraded", "2026-03-12T10:00:00Z", true).is_empty());
    // 14 days and 1 hour after a.1: not a.1; 9 days after a.3, 5 after adopt (a and b).
    assert_eq!(
        converted("plan_upgraded", "2026-03-15T11:00:00Z", false),
        ["a.3", "adopt"]
    );
    // Once.
    assert!(converted("plan_upgraded", "2026-03-16T11:00:00Z", false).is_empty());
    let problems = Definitions::from_toml(
        "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\nconversion = \"yes\"\n",
    );
    assert!(problems.is_err(), "conversion is a boolean");
}

#[test]
fn totals_report_the_values_they_moved_past_and_the_days_since_the_first_event() {
    let mut run = Run::user(test_defs());
    let subject = run.subject();
    let mut reached = |metric: &str, value: Option<u64>, at: &str| {
        let e = Event {
            value,
            ..Event::new(metric, ts(at))
        };
        run.state
            .apply(&run.defs, subject, &e, ts(at))
            .unwrap()
            .reached
    };
    let first = reached("a", None, "2026-03-01T10:00:00Z");
    assert_eq!(first.len(), 2);
    assert_eq!(
        (first[0].metric.as_str(), first[0].from, first[0].to),
        (cairn_core::ladder::ANY, 0, 1)
    );
    assert_eq!((first[1].from, first[1].to, first[1].days), (0, 1, 0));
    let later = reached("rev", Some(150), "2026-03-03T09:00:00Z");
    assert_eq!(
        later.len(),
        1,
        "the first event of any metric is counted once"
    );
    assert_eq!((later[0].from, later[0].to, later[0].days), (0, 150, 1));
    assert_eq!(
        cairn_core::ladder::crossed(later[0].from, later[0].to).last(),
        Some(&150)
    );
    // An account's totals are not a user's.
    let mut account = Run {
        scope: Scope::Account,
        ..Run::user(test_defs())
    };
    let s = account.subject();
    let out = account
        .state
        .apply(&account.defs, s, &Event::new("a", ts(D1)), ts(D1))
        .unwrap();
    assert!(out.reached.is_empty());
}
