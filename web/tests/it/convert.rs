//! The widget's own reading and writing of wire types (`cairn_widget::convert`) against
//! serde's, on the same JSON: the two cannot drift apart unnoticed.

use cairn_widget::convert::{FromJs, ToJs, from_json, to_json};
use cairn_widget::logic::Me;
use cairn_wire::{AwardView, ClientEvent, LadderProgress, LockedMilestone, TrackResponse};
use cairn_wire::{Channel, CtaKind, Kind, Scope};
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn full_award() -> Value {
    json!({
        "id": "aw_1", "milestone": "projects.10", "kind": "usage", "tier": "mid", "scope": "account",
        "title": "Ten projects", "description": "Your team's tenth.",
        "badge": {"icon": null, "image": "https://img.example/10.png", "alt": "A ten"},
        "channels": ["confetti", "badge", "email", "csm_alert", "outreach"],
        "cta": {"kind": "referral", "label": "Invite a friend", "url": "/invite"},
        "achieved_at": "2026-11-22T10:00:00.250Z", "value": 10, "celebrate": true, "seen": true
    })
}

fn minimal_award() -> Value {
    json!({
        "id": "aw_2", "milestone": "first", "kind": "custom", "tier": "early", "scope": "user",
        "title": "First!", "badge": {"alt": "A medal"}, "channels": [],
        "achieved_at": "2026-11-22T10:00:00Z", "value": 0, "celebrate": false
    })
}

/// `T` read by the widget from the browser's parse of `json`, and by serde.
fn both<T: FromJs + serde::de::DeserializeOwned>(json: &Value) -> (Result<T, String>, T) {
    let ours = from_json::<T>(&json.to_string());
    let serde = serde_json::from_value(json.clone()).expect("serde reads it");
    (ours, serde)
}

/// `value` written by the widget (through `JSON.stringify`), and by serde.
fn written<T: ToJs + serde::Serialize>(value: &T) -> (Value, Value) {
    let ours = serde_json::from_str(&to_json(value)).expect("JSON");
    (ours, serde_json::to_value(value).unwrap())
}

/// The widget reads the part of `ShareView` it needs, from what the worker writes with serde.
#[wasm_bindgen_test]
fn reads_public_shares_as_the_worker_writes_them() {
    let view = cairn_wire::ShareView {
        share_id: "sh_0123456789abcdef0123456789abcdef".into(),
        award_id: "aw_0123456789abcdef01234567".into(),
        milestone: "projects.1".into(),
        url: "https://c.example/s/sh_0123456789abcdef0123456789abcdef".into(),
        image_url: "https://c.example/s/sh_0123456789abcdef0123456789abcdef.png".into(),
        credential_url: "https://c.example/s/sh_0123456789abcdef0123456789abcdef/credential".into(),
        linkedin_add_url: "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME"
            .into(),
        linkedin_share_url: "https://www.linkedin.com/sharing/share-offsite/?url=x".into(),
        x_url: "https://x.com/intent/post?text=t".into(),
        message: "Proud".into(),
        display_name: None,
        created_at: "2026-12-01T10:00:00Z".into(),
    };
    let text = serde_json::to_string(&view).unwrap();
    let ours: cairn_widget::logic::PublicShare = from_json(&text).unwrap();
    assert_eq!(ours.share_id, view.share_id);
    assert_eq!(ours.award_id, view.award_id);
    assert_eq!(ours.url, view.url);
    assert_eq!(ours.linkedin_add_url, view.linkedin_add_url);
    assert!(from_json::<cairn_widget::logic::PublicShare>("{}").is_err());
}

#[wasm_bindgen_test]
fn reads_what_serde_reads() {
    for award in [full_award(), minimal_award()] {
        let (ours, serde) = both::<AwardView>(&award);
        assert_eq!(ours.unwrap(), serde);
    }
    let track = json!({"metric": "project_created", "total": 10, "awards": [full_award()]});
    let (ours, serde) = both::<TrackResponse>(&track);
    assert_eq!(ours.unwrap(), serde);
    assert!(!serde.duplicate);

    let ladder = json!({"ladder": "projects", "metric": "project_created", "label": "Projects",
        "steps": [1, 10, 50], "current": 12, "next": 50, "remaining": 38, "percent": 5});
    let top = json!({"ladder": "projects", "metric": "project_created",
        "steps": [1], "current": 3, "next": null, "remaining": null, "percent": 100});
    let locked = json!({"milestone": "streak.7", "kind": "streak", "tier": "mid", "name": "A week",
        "criteria": "7 days in a row", "current": 3, "target": 7, "percent": 42,
        "available_until": "2026-12-01T00:00:00Z"});
    let open = json!({"milestone": "anniversary", "kind": "time", "tier": "advanced",
        "name": "One year", "criteria": "a year with us", "current": null, "target": null, "percent": 0});
    for (l, m) in [(&ladder, &locked), (&top, &open)] {
        let (ours, serde) = both::<LadderProgress>(l);
        assert_eq!(ours.unwrap(), serde);
        let (ours, serde) = both::<LockedMilestone>(m);
        assert_eq!(ours.unwrap(), serde);
    }

    let me = json!({"user_id": "u1", "totals": {"project_created": 12},
        "awards": [full_award()], "progress": [ladder, top], "locked": [locked], "streaks": [],
        "account": {"account_id": "acme", "totals": {}, "members": 3,
            "awards": [minimal_award()], "locked": [open]}});
    let (ours, serde) = both::<Me>(&me);
    assert_eq!(ours.unwrap(), serde);
    let (ours, serde) = both::<Me>(&json!({"awards": []}));
    assert_eq!(ours.unwrap(), serde);
}

#[wasm_bindgen_test]
fn every_name_reads_and_writes_as_serde_does() {
    fn check<T: FromJs + ToJs + serde::Serialize + PartialEq + std::fmt::Debug + Copy>(all: &[T]) {
        for &v in all {
            let js = v.to_js();
            assert_eq!(
                Value::String(js.as_string().unwrap()),
                serde_json::to_value(v).unwrap()
            );
            assert_eq!(T::read(&js).unwrap(), v);
        }
    }
    check(Kind::ALL);
    check(Scope::ALL);
    check(Channel::ALL);
    check(CtaKind::ALL);
}

#[wasm_bindgen_test]
fn writes_what_serde_writes() {
    for award in [full_award(), minimal_award()] {
        let award: AwardView = serde_json::from_value(award).unwrap();
        let (ours, serde) = written(&award);
        assert_eq!(ours, serde);
    }
    let track: TrackResponse = serde_json::from_value(
        json!({"metric": "m", "total": 3, "duplicate": true, "awards": [minimal_award()]}),
    )
    .unwrap();
    let (ours, serde) = written(&track);
    assert_eq!(ours, serde);

    let mut event = ClientEvent {
        event: "project_created".into(),
        value: None,
        timestamp: None,
        idempotency_key: Some("k-1".into()),
    };
    let (ours, serde) = written(&event);
    assert_eq!(ours, serde);
    event.value = Some(250);
    event.timestamp = Some("2026-11-22T10:00:00.125Z".parse().unwrap());
    let (ours, serde) = written(&event);
    assert_eq!(
        ours,
        json!({"event": "project_created", "value": 250,
        "timestamp": "2026-11-22T10:00:00.125Z", "idempotency_key": "k-1"})
    );
    assert_eq!(
        ours["timestamp"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        serde["timestamp"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    );
}

#[wasm_bindgen_test]
fn what_is_off_is_named() {
    let error = |json: Value| from_json::<AwardView>(&json.to_string()).unwrap_err();
    let mut award = full_award();
    award.as_object_mut().unwrap().remove("title");
    assert_eq!(error(award), "AwardView.title is missing");

    let mut award = full_award();
    award["badge"] = json!({"icon": "medal"});
    assert_eq!(error(award), "AwardView.badge: Badge.alt is missing");

    for bad in [
        json!(-1),
        json!(1.5),
        json!("10"),
        json!(9_007_199_254_740_993_u64),
    ] {
        let mut award = full_award();
        award["value"] = bad;
        assert_eq!(
            error(award),
            "AwardView.value: expected a whole number from 0"
        );
    }

    let mut award = full_award();
    award["channels"] = json!(["badge", "fax"]);
    assert_eq!(
        error(award),
        "AwardView.channels: [1]: unknown value \"fax\""
    );

    let mut award = full_award();
    award["celebrate"] = json!("yes");
    assert_eq!(error(award), "AwardView.celebrate: expected true or false");

    // Several fields off: the first one read is named, whatever comes after it.
    let mut award = full_award();
    award["value"] = json!(-1);
    award.as_object_mut().unwrap().remove("id");
    award["cta"] = json!({"kind": "fax", "label": "Go"});
    assert_eq!(error(award), "AwardView.id is missing");
    // An optional field that is there must be right.
    let mut award = full_award();
    award["cta"] = json!({"kind": "fax", "label": "Go"});
    assert_eq!(
        error(award),
        "AwardView.cta: Cta.kind: unknown value \"fax\""
    );

    assert_eq!(error(json!([1])), "AwardView: expected an object");
    assert_eq!(from_json::<AwardView>("{not json").unwrap_err(), "not JSON");
    // Newer servers may add fields, and write null for what is absent.
    let mut award = minimal_award();
    award["sparkles"] = json!(3);
    award["cta"] = Value::Null;
    assert!(
        from_json::<AwardView>(&award.to_string())
            .unwrap()
            .cta
            .is_none()
    );
    assert_eq!(
        AwardView::read(&JsValue::NULL).unwrap_err(),
        "AwardView: expected an object"
    );
}
