//! Wire shapes that clients read field by field, and [`Time`].

use cairn_core::wire::{AwardView, StreamMessage, Time};
use proptest::prelude::*;

use crate::{acme, ts};

fn award_at(at: &str) -> AwardView {
    let defs = acme();
    let mut run = crate::Run::user(defs);
    let _ = run.ev("project_created", at);
    let subject = run.subject();
    let award = run
        .state
        .award(&run.defs, subject, "projects.1")
        .expect("the first project is awarded");
    cairn_core::wire::award_view(&run.defs, &award, "en")
}

#[test]
fn stream_message_shape() {
    // The widget reads `type` and `award` by name (web/src/stream.rs).
    let award = award_at("2026-03-01T10:00:00Z");
    let json = serde_json::to_value(StreamMessage::Award {
        award: award.clone(),
    })
    .unwrap();
    assert_eq!(json["type"], "award");
    assert_eq!(json["award"], serde_json::to_value(&award).unwrap());
}

#[test]
fn times_are_rfc3339_utc_text() {
    let award = award_at("2026-03-01T10:00:00.250Z");
    assert_eq!(award.achieved_at.as_str(), "2026-03-01T10:00:00.25Z");
    assert_eq!(
        serde_json::to_value(&award).unwrap()["achieved_at"],
        "2026-03-01T10:00:00.25Z"
    );
    assert_eq!(
        award.achieved_at.timestamp().unwrap(),
        ts("2026-03-01T10:00:00.25Z")
    );
    let read: Time = serde_json::from_str("\"2026-03-01T10:00:00Z\"").unwrap();
    assert_eq!(read.timestamp().unwrap(), ts("2026-03-01T10:00:00Z"));
    assert!(Time::from_utc_text("yesterday".into()).timestamp().is_err());
}

#[test]
fn javascript_iso_text_orders_with_server_text() {
    // `Date.prototype.toISOString()` always writes milliseconds; the server writes as few
    // fraction digits as it needs.
    let js = Time::from_utc_text("2026-03-01T10:00:00.000Z".into());
    let server = Time::from(ts("2026-03-01T10:00:00.001Z"));
    assert!(js < server);
    assert!(Time::from(ts("2026-03-01T10:00:00Z")) <= js);
}

proptest! {
    /// `Time` orders as the instants it writes, whatever their fractions.
    #[test]
    fn time_orders_as_instants(a in 0i64..4_102_444_800_000_000, b in 0i64..4_102_444_800_000_000) {
        let (ta, tb) = (
            jiff::Timestamp::from_microsecond(a).unwrap(),
            jiff::Timestamp::from_microsecond(b).unwrap(),
        );
        prop_assert_eq!(Time::from(ta).cmp(&Time::from(tb)), ta.cmp(&tb));
    }

    /// Whole seconds against the same second with a fraction, the case plain text gets wrong.
    #[test]
    fn fractions_order_after_the_whole_second(s in 0i64..4_102_444_800, frac in 1i64..1_000_000) {
        let whole = jiff::Timestamp::from_second(s).unwrap();
        let later = jiff::Timestamp::from_microsecond(s * 1_000_000 + frac).unwrap();
        prop_assert!(Time::from(whole) < Time::from(later));
    }
}

/// Unit enums are written by their one list of names, both ways, in JSON and TOML.
#[test]
fn enum_names_round_trip() {
    use cairn_core::definitions::{Aggregate, Channel, CtaKind, Kind, Period, Scope};
    use std::fmt::Debug;
    use std::str::FromStr;

    fn check<T>(all: &[T], expected: &[&str])
    where
        T: Copy + PartialEq + Debug + FromStr + serde::Serialize + serde::de::DeserializeOwned,
        T: std::fmt::Display,
    {
        let names: Vec<String> = all.iter().map(T::to_string).collect();
        assert_eq!(names, expected);
        for (&value, name) in all.iter().zip(expected) {
            assert_eq!(serde_json::to_value(value).unwrap(), *name);
            assert_eq!(serde_json::from_value::<T>((*name).into()).unwrap(), value);
            assert_eq!(name.parse::<T>().ok(), Some(value));
        }
        let error = serde_json::from_value::<T>("nope".into()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown variant `nope`, expected"),
            "{error}"
        );
        assert!(serde_json::from_value::<T>(3.into()).is_err());
    }
    check(
        Kind::ALL,
        &[
            "usage", "value", "team", "time", "streak", "adoption", "custom",
        ],
    );
    check(Scope::ALL, &["user", "account"]);
    check(Period::ALL, &["day", "week"]);
    check(Aggregate::ALL, &["count", "sum"]);
    check(
        CtaKind::ALL,
        &[
            "next_feature",
            "referral",
            "review",
            "upgrade",
            "advisory_board",
            "case_study",
        ],
    );
    check(
        Channel::ALL,
        &["confetti", "badge", "email", "csm_alert", "outreach"],
    );
    // In definitions (TOML), an unknown kind names the known ones.
    let error = toml::from_str::<cairn_core::definitions::MilestoneDef>(
        "key = \"x\"\nkind = \"usge\"\nname = \"X\"",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("unknown variant `usge`, expected one of `usage`"),
        "{error}"
    );
}
