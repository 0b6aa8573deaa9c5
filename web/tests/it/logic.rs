use cairn_widget::logic::{
    Backoff, CARD_LANGUAGES, CardStrings, Celebrations, Corner, Countdown, LANGUAGES, Me,
    REF_WINDOW_MS, REMEMBERED_AWARDS, ShareLinks, Strings, base64_of_base64url, digits, fill,
    is_rtl, live_ref, toast_caption, websocket_origin,
};
use cairn_wire::AwardView;
use proptest::prelude::*;

fn award(id: &str) -> AwardView {
    serde_json::from_value(serde_json::json!({
        "id": id, "milestone": "projects.1", "kind": "usage", "tier": "early", "scope": "user",
        "title": "First project!", "badge": {"icon": "medal", "alt": "A medal"}, "channels": ["confetti", "badge"],
        "achieved_at": "2026-01-01T00:00:00Z", "value": 1, "celebrate": true
    }))
    .unwrap()
}

#[test]
fn each_award_is_celebrated_once() {
    let mut c = Celebrations::default();
    assert!(c.offer(&award("a")));
    assert!(!c.offer(&award("a")));
    assert!(c.offer(&award("b")));
}

#[test]
fn celebrated_awards_survive_a_reload() {
    let mut before = Celebrations::default();
    before.offer(&award("a"));
    let mut after = Celebrations::from_text(Some(&before.to_text()));
    assert!(
        !after.offer(&award("a")),
        "a reload must not celebrate again"
    );
    assert!(after.offer(&award("b")));
}

#[test]
fn empty_storage_starts_empty() {
    for text in [None, Some(""), Some("\n\n"), Some("  \n")] {
        assert_eq!(
            Celebrations::from_text(text),
            Celebrations::default(),
            "{text:?}"
        );
    }
}

#[test]
fn oversized_storage_keeps_the_newest() {
    let text: Vec<String> = (0..REMEMBERED_AWARDS + 10).map(|i| i.to_string()).collect();
    let mut c = Celebrations::from_text(Some(&text.join("\n")));
    assert!(!c.offer(&award(&(REMEMBERED_AWARDS + 9).to_string())));
    assert!(!c.offer(&award("10")), "the oldest kept");
    assert!(c.offer(&award("9")), "older than the kept ones");
}

#[test]
fn memory_is_bounded_and_forgets_the_oldest() {
    let mut c = Celebrations::default();
    for i in 0..=REMEMBERED_AWARDS {
        assert!(c.offer(&award(&i.to_string())));
    }
    assert!(c.offer(&award("0")), "the oldest was forgotten");
    assert!(
        !c.offer(&award(&REMEMBERED_AWARDS.to_string())),
        "the newest is kept"
    );
}

#[test]
fn toast_caption_prefers_the_description() {
    let mut a = award("a");
    let en = Strings::for_locale("en");
    assert_eq!(toast_caption(&a, en), "Milestone reached");
    assert_eq!(
        toast_caption(&a, Strings::for_locale("fr-CA")),
        "Étape franchie"
    );
    a.description = "Next stop: 50.".into();
    assert_eq!(toast_caption(&a, en), "Next stop: 50.");
}

#[test]
fn reconnect_delays_grow_cap_and_reset() {
    let mut b = Backoff::default();
    // With the largest jitter each step is the full exponential delay.
    let full: Vec<u32> = (0..8).map(|_| b.next_delay_ms(0.999_999)).collect();
    assert_eq!(full, [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
    b.reset();
    // With no jitter, half of it; never zero, never above the cap.
    assert_eq!(b.next_delay_ms(0.0), 500);
    assert_eq!(b.next_delay_ms(-3.0), 1000, "fractions are clamped");
    for _ in 0..100 {
        assert!((500..=Backoff::MAX_MS).contains(&b.next_delay_ms(2.0)));
    }
}

#[test]
fn languages_fall_back_to_english_and_know_their_direction() {
    assert_eq!(Strings::for_locale("fr-CA").lang, "fr");
    assert_eq!(Strings::for_locale("ar_EG").lang, "ar");
    assert_eq!(Strings::for_locale("pt-BR").lang, "en");
    assert_eq!(Strings::for_locale("").lang, "en");
    assert!(is_rtl("ar") && is_rtl("he-IL") && is_rtl("fa"));
    assert!(!is_rtl("en") && !is_rtl("fr") && !is_rtl("arn"));
    // Every built-in language has every string (none left empty) and the placeholders the
    // formatting needs.
    for s in LANGUAGES {
        assert!(s.more_other.contains("{n}"), "{}: more_other", s.lang);
        assert!(
            s.of.contains("{current}") && s.of.contains("{next}"),
            "{}: of",
            s.lang
        );
        for text in [
            s.dismiss,
            s.share,
            s.close,
            s.shelf_title,
            s.top,
            s.more_one,
        ] {
            assert!(!text.is_empty(), "{}: an empty string", s.lang);
        }
    }
}

#[test]
fn message_formatting() {
    let en = Strings::for_locale("en");
    assert_eq!(en.more(1), "1 more to go");
    assert_eq!(en.more(3), "3 more to go");
    assert_eq!(Strings::for_locale("fr").more(3), "Encore 3");
    assert_eq!(fill(en.of, &[("current", "7"), ("next", "10")]), "7 of 10");
    assert_eq!(
        fill(
            CardStrings::for_locale("en").share_message,
            &[("title", "10 projects!")]
        ),
        "I just earned “10 projects!”!"
    );
    assert_eq!(
        fill("{a} {a} {b}", &[("a", "x")]),
        "x x {b}",
        "unknown placeholders stay"
    );
}

#[test]
fn toast_countdown_pauses_on_hover_and_resumes_with_what_was_left() {
    let mut c = Countdown::start(6_000.0, 1_000.0);
    assert!(!c.expired(6_999.0));
    c.pause(3_000.0); // 2 s in
    assert!(c.paused());
    assert!(!c.expired(60_000.0), "a paused toast never expires");
    c.pause(4_000.0);
    assert_eq!(
        c.resume(10_000.0),
        4_000.0,
        "4 s were left; pausing twice changed nothing"
    );
    assert!(
        !c.expired(10_001.0),
        "a timer armed before the pause finds it alive"
    );
    assert!(!c.expired(13_999.0));
    assert!(c.expired(14_000.0));
}

#[test]
fn corners_are_logical() {
    assert_eq!(Corner::parse("bottom-right"), Some(Corner::BottomEnd));
    assert_eq!(Corner::parse("top-start"), Some(Corner::TopStart));
    assert_eq!(Corner::parse("middle"), None);
    assert_eq!(Corner::default().as_str(), "bottom-end");
}

#[test]
fn share_links_encode_the_message_and_url() {
    let enc = |s: &str| {
        s.replace(' ', "%20")
            .replace(':', "%3A")
            .replace('/', "%2F")
    };
    let l = ShareLinks::new("I did it", "https://a.b/c", enc);
    assert_eq!(
        l.x,
        "https://x.com/intent/post?text=I%20did%20it&url=https%3A%2F%2Fa.b%2Fc"
    );
    assert_eq!(
        l.linkedin,
        "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fa.b%2Fc"
    );
    assert_eq!(l.copy, "I did it https://a.b/c");
}

#[test]
fn tracked_totals_move_the_ladder_at_once() {
    let mut me: Me = serde_json::from_value(serde_json::json!({
        "awards": [],
        "progress": [{"ladder": "projects", "metric": "project_created", "label": "projects created",
                      "steps": [1, 10, 50], "current": 1, "next": 10, "remaining": 9, "percent": 0}]
    }))
    .unwrap();
    me.set_total("project_created", 7);
    let p = &me.progress[0];
    assert_eq!(
        (p.current, p.next, p.remaining, p.percent),
        (7, Some(10), Some(3), 66)
    );
    assert_eq!(p.label, "projects created", "the label stays");
    me.set_total("other_metric", 100);
    assert_eq!(me.progress[0].current, 7);
}

#[test]
fn earned_lists_user_and_account_awards_newest_first() {
    let mut old = award("old");
    old.achieved_at = cairn_wire::Time::from_utc_text("2025-01-01T00:00:00Z".into());
    let me = Me {
        awards: vec![old, award("new")],
        account: Some(cairn_widget::logic::AccountPart {
            awards: vec![award("team")],
            locked: vec![],
        }),
        ..Me::default()
    };
    let ids: Vec<String> = me.earned().into_iter().map(|a| a.id).collect();
    assert_eq!(ids.last().map(String::as_str), Some("old"));
    assert_eq!(ids.len(), 3);
}

proptest! {
    /// `earned` orders as a stable sort, newest first, would: equal times keep the user's awards
    /// before the account's, each in their own order.
    #[test]
    fn earned_orders_as_a_stable_sort(
        user in proptest::collection::vec(0u8..6, 0..12),
        team in proptest::collection::vec(0u8..6, 0..12),
    ) {
        let dated = |prefix: &str, days: &[u8]| -> Vec<AwardView> {
            days.iter().enumerate().map(|(i, d)| {
                let mut a = award(&format!("{prefix}{i}"));
                a.achieved_at = cairn_wire::Time::from_utc_text(format!("2026-01-0{}T00:00:00Z", d + 1));
                a
            }).collect()
        };
        let me = Me {
            awards: dated("u", &user),
            account: Some(cairn_widget::logic::AccountPart { awards: dated("t", &team), locked: vec![] }),
            ..Me::default()
        };
        let mut expected: Vec<AwardView> = me.awards.iter().chain(&me.account.as_ref().unwrap().awards).cloned().collect();
        expected.sort_by(|a, b| b.achieved_at.cmp(&a.achieved_at));
        let ids = |v: Vec<AwardView>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
        prop_assert_eq!(ids(me.earned()), ids(expected));
    }
}

#[test]
fn share_references_are_kept_thirty_days_and_checked() {
    let id = "sh_0123456789abcdef0123456789abcdef";
    let now = 1_800_000_000_000.0;
    let stored = |until: f64| format!("{id}|{until}");
    assert_eq!(live_ref(&stored(now + REF_WINDOW_MS), now), Some(id));
    assert_eq!(live_ref(&stored(now - 1.0), now), None, "expired");
    assert_eq!(
        live_ref(&stored(now + 10.0 * REF_WINDOW_MS), now),
        None,
        "longer than the window: not written by the loader"
    );
    assert_eq!(live_ref("sh_nope|9999999999999", now), None);
    assert_eq!(live_ref(id, now), None);
    assert_eq!(live_ref(&format!("{id}|soon"), now), None);
    assert_eq!(live_ref("", now), None);
}

#[test]
fn digits_write_the_edges() {
    assert_eq!(digits(0), "0");
    assert_eq!(digits(7), "7");
    assert_eq!(digits(10), "10");
    assert_eq!(digits(u64::MAX), "18446744073709551615");
}

#[test]
fn the_stream_is_opened_on_the_apis_websocket_origin() {
    assert_eq!(
        websocket_origin("https://cairn.example"),
        "wss://cairn.example"
    );
    assert_eq!(
        websocket_origin("http://127.0.0.1:8787"),
        "ws://127.0.0.1:8787"
    );
    assert_eq!(
        websocket_origin("https://http.example"),
        "wss://http.example"
    );
    // Not an http(s) origin: left alone, for the socket to refuse.
    assert_eq!(websocket_origin("httpx://a.example"), "httpx://a.example");
    assert_eq!(websocket_origin("ftp://a.example"), "ftp://a.example");
    assert_eq!(websocket_origin(""), "");
}

#[test]
fn a_tokens_segment_becomes_padded_base64() {
    // `{"sub":"u_1"}` in base64url without padding, as in a JWT.
    assert_eq!(
        base64_of_base64url("eyJzdWIiOiJ1XzEifQ"),
        "eyJzdWIiOiJ1XzEifQ=="
    );
    assert_eq!(base64_of_base64url("-_-_"), "+/+/");
    assert_eq!(base64_of_base64url(""), "");
}

proptest! {
    /// What a token's issuer writes (base64url, no padding) reads back as the standard
    /// alphabet with its padding, byte for byte as the `base64` crate writes it.
    #[test]
    fn base64url_segments_read_as_standard_base64(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        prop_assert_eq!(base64_of_base64url(&URL_SAFE_NO_PAD.encode(&bytes)), STANDARD.encode(&bytes));
    }

    /// The widget's own decimal writer agrees with Rust's formatting, which it replaces.
    #[test]
    fn digits_agree_with_display(n in any::<u64>()) {
        prop_assert_eq!(digits(n), n.to_string());
    }

    #[test]
    fn any_stored_text_is_read_without_panic(text in ".{0,80}", now in 0.0f64..4e12) {
        let _ = live_ref(&text, now);
    }
}

#[test]
fn every_language_has_the_sharing_words() {
    // The share card's words, apart from the widget's, in every language it has, in the same
    // order, and picked for a locale the same way.
    assert_eq!(CARD_LANGUAGES.len(), LANGUAGES.len());
    for (s, w) in LANGUAGES.iter().zip(CARD_LANGUAGES) {
        assert_eq!(w.lang, s.lang);
        assert!(!s.unpublish.is_empty(), "{}", s.lang);
        assert!(
            w.share_message.contains("{title}"),
            "{}: share_message",
            w.lang
        );
        for text in [
            w.share_title,
            w.message_label,
            w.copy_link,
            w.copied,
            w.share_x,
            w.share_linkedin,
            w.publish,
            w.publish_hint,
            w.name_label,
            w.public_link,
            w.add_linkedin,
            w.publish_failed,
        ] {
            assert!(!text.is_empty(), "{}", w.lang);
        }
    }
    for locale in ["fr-CA", "ar_EG", "pt-BR", ""] {
        assert_eq!(
            CardStrings::for_locale(locale).lang,
            Strings::for_locale(locale).lang
        );
    }
}
