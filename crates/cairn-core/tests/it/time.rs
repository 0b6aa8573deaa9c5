//! Calendar arithmetic in the subject's zone: DST, local midnights, 29 February.

use cairn_core::definitions::Period;
use cairn_core::engine::{anniversary, period_index};
use jiff::tz::TimeZone;

use crate::{Run, keys, test_defs, ts};

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

#[test]
fn anniversaries_keep_local_wall_time_across_dst() {
    // 01:30 EST on 9 March 2025; a year later New York is on EDT: 01:30 EDT = 05:30Z, not 06:30Z.
    let created = ts("2025-03-09T06:30:00Z");
    assert_eq!(
        anniversary(created, &tz("America/New_York"), 12),
        Some(ts("2026-03-09T05:30:00Z"))
    );
    // In UTC it is simply a year later.
    assert_eq!(
        anniversary(created, &TimeZone::UTC, 12),
        Some(ts("2026-03-09T06:30:00Z"))
    );
}

#[test]
fn anniversaries_in_a_dst_gap_move_forward() {
    // 02:30 on 8 March 2026 does not exist in New York (clocks jump 02:00 → 03:00).
    let created = ts("2025-03-08T07:30:00Z"); // 02:30 EST
    assert_eq!(
        anniversary(created, &tz("America/New_York"), 12),
        Some(ts("2026-03-08T07:30:00Z"))
    ); // 03:30 EDT
}

#[test]
fn leap_day_anniversaries() {
    let created = ts("2024-02-29T10:00:00Z");
    assert_eq!(
        anniversary(created, &TimeZone::UTC, 12),
        Some(ts("2025-02-28T10:00:00Z"))
    );
    assert_eq!(
        anniversary(created, &TimeZone::UTC, 48),
        Some(ts("2028-02-29T10:00:00Z"))
    );
    assert_eq!(
        anniversary(created, &TimeZone::UTC, 1),
        Some(ts("2024-03-29T10:00:00Z"))
    );
    // Through the engine: due on 28 February 2025, not before.
    let mut run = Run::user(test_defs());
    run.traits("b", "2024-03-01T00:00:00Z", "2024-02-29T10:00:00Z", "UTC");
    assert_eq!(run.tick("2025-02-28T09:59:59Z"), keys(&[]));
    assert_eq!(run.tick("2025-02-28T10:00:00Z"), keys(&["anniv1"]));
}

#[test]
fn days_are_local_days() {
    // 23:00 and 01:00 in Tokyo are the same UTC day but two local days.
    let tokyo = tz("Asia/Tokyo");
    assert_eq!(
        period_index(ts("2026-03-02T16:00:00Z"), &tokyo, Period::Day)
            - period_index(ts("2026-03-02T14:00:00Z"), &tokyo, Period::Day),
        1
    );
    assert_eq!(
        period_index(ts("2026-03-02T16:00:00Z"), &TimeZone::UTC, Period::Day),
        period_index(ts("2026-03-02T14:00:00Z"), &TimeZone::UTC, Period::Day)
    );
}

#[test]
fn a_streak_can_cross_midnight_in_the_users_zone_but_not_in_utc() {
    // Tokyo: 23:00 on 2 March, 01:00 on 3 March, 01:00 on 4 March → three local days.
    let mut run = Run::user(test_defs());
    assert_eq!(
        run.traits(
            "a",
            "2026-03-02T14:00:00Z",
            "2026-01-01T00:00:00Z",
            "Asia/Tokyo"
        ),
        keys(&["a.1"])
    );
    assert_eq!(run.ev("a", "2026-03-02T16:00:00Z"), keys(&[]));
    assert_eq!(
        run.ev("a", "2026-03-03T16:00:00Z"),
        keys(&["a.3", "streak3"])
    );
    // The same instants for a UTC user are only two days.
    let mut utc = Run::user(test_defs());
    for at in [
        "2026-03-02T14:00:00Z",
        "2026-03-02T16:00:00Z",
        "2026-03-03T16:00:00Z",
    ] {
        assert!(!utc.ev("a", at).contains(&"streak3".to_owned()));
    }
}

#[test]
fn streaks_lapse_at_local_midnight() {
    let mut run = Run::user(test_defs());
    // Los Angeles (PST, UTC-8): activity on 2 March local; the streak lapses when 4 March begins.
    run.traits(
        "a",
        "2026-03-02T20:00:00Z",
        "2026-03-01T00:00:00Z",
        "America/Los_Angeles",
    );
    let subject = run.subject();
    assert_eq!(
        run.state
            .next_due(&run.defs, subject, ts("2026-03-02T20:00:00Z")),
        Some(ts("2026-03-04T08:00:00Z"))
    );
    let rule = run.defs.milestone("streak3").unwrap().rule.clone();
    assert_eq!(
        run.state
            .streak(&run.defs, &rule, ts("2026-03-04T07:59:59Z"))
            .unwrap()
            .len,
        1
    );
    assert_eq!(
        run.state
            .streak(&run.defs, &rule, ts("2026-03-04T08:00:00Z"))
            .unwrap()
            .len,
        0
    );
    // A tick past the lapse closes it; the best run is kept.
    run.tick("2026-03-04T09:00:00Z");
    let runs: Vec<_> = run.state.streaks.values().collect();
    assert!(runs.iter().all(|r| r.len == 0 && r.best == 1));
}

#[test]
fn dst_days_are_still_one_day() {
    // 8 March 2026 in New York is 23 hours long; activity on the 7th and the 9th local is a gap of one day.
    let ny = tz("America/New_York");
    let d7 = period_index(ts("2026-03-07T15:00:00Z"), &ny, Period::Day);
    let d8 = period_index(ts("2026-03-08T15:00:00Z"), &ny, Period::Day);
    let d9 = period_index(ts("2026-03-09T04:30:00Z"), &ny, Period::Day); // 00:30 EDT on the 9th
    assert_eq!((d8 - d7, d9 - d8), (1, 1));
}
