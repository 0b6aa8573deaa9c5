use cairn_widget::logic::{
    Backoff, BurstMessage, BurstOptions, Celebrations, Confetti, Corner, Countdown, LANGUAGES, Me,
    REF_WINDOW_MS, REMEMBERED_AWARDS, Rng, Shape, ShareLinks, Strings, fill, is_rtl, live_ref,
    pow_unit, sin_cos, toast_caption,
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
fn rng_is_in_range_and_deterministic() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    for _ in 0..1000 {
        let x = a.next_f64();
        assert!((0.0..1.0).contains(&x));
        assert_eq!(x, b.next_f64());
    }
    assert_ne!(Rng::new(1).next_f64(), Rng::new(2).next_f64());
}

#[test]
fn a_burst_launches_upwards_then_falls_and_ends() {
    let options = BurstOptions {
        particles: 50,
        ..BurstOptions::default()
    };
    let duration = options.duration;
    let mut c = Confetti::new(options, 42);
    c.burst(400.0, 500.0);
    assert_eq!(c.particles.len(), 50);
    assert!(
        c.particles.iter().all(|p| p.vy < 0.0),
        "every particle starts upwards"
    );
    assert!(c.step(0.016));
    let min_y = c.particles.iter().map(|p| p.y).fold(f64::MAX, f64::min);
    assert!(min_y < 500.0, "particles rose");
    let mut t = 0.016;
    while c.step(1.0 / 60.0) {
        t += 1.0 / 60.0;
        assert!(t <= duration + 0.1, "the burst outlived its duration");
    }
    assert!(c.particles.is_empty());
    assert!(
        t > duration * 0.6,
        "the burst lasted about its duration, lasted {t}"
    );
}

#[test]
fn large_frame_gaps_are_clamped() {
    let mut c = Confetti::new(BurstOptions::default(), 1);
    c.burst(0.0, 0.0);
    let before = c.particles[0].clone();
    c.step(5.0); // a background tab resumes: the burst must not teleport
    let after = &c.particles[0];
    assert!((after.x - before.x).abs() < before.vx.abs() * 0.11 + 1.0);
}

#[test]
fn particles_fade_out_at_the_end_of_life() {
    let mut c = Confetti::new(BurstOptions::default(), 3);
    c.burst(0.0, 0.0);
    let mut p = c.particles[0].clone();
    assert_eq!(p.opacity(), 1.0);
    p.age = p.life * 0.9;
    assert!(p.opacity() < 0.5 && p.opacity() > 0.0);
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
        assert!(
            s.share_message.contains("{title}"),
            "{}: share_message",
            s.lang
        );
        for text in [
            s.dismiss,
            s.share,
            s.close,
            s.shelf_title,
            s.top,
            s.copy_link,
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
        fill(en.share_message, &[("title", "10 projects!")]),
        "I just earned “10 projects!”!"
    );
    assert_eq!(
        fill("{a} {a} {b}", &[("a", "x")]),
        "x x {b}",
        "unknown placeholders stay"
    );
}

#[test]
fn tier_sets_the_size_of_the_burst() {
    let base = BurstOptions::default();
    let early = BurstOptions::for_tier("early", &base);
    let mid = BurstOptions::for_tier("mid", &base);
    let advanced = BurstOptions::for_tier("advanced", &base);
    assert_eq!(mid, base, "mid is the configured burst");
    assert_eq!(BurstOptions::for_tier("custom-tier", &base), base);
    assert!(early.total_particles() < mid.total_particles());
    assert!(mid.total_particles() * 3 < advanced.total_particles());
    assert_eq!(advanced.origins.len(), 3, "advanced fills the screen");
    // Scaling follows the host's configuration.
    let big = BurstOptions {
        particles: 1000,
        ..base
    };
    assert_eq!(BurstOptions::for_tier("early", &big).particles, 500);
    let mut sim = Confetti::new(advanced.clone(), 1);
    sim.burst_all(1000.0, 800.0);
    assert_eq!(sim.particles.len(), advanced.total_particles());
    let xs: Vec<f64> = sim.particles.iter().map(|p| p.x).collect();
    assert!(xs.contains(&100.0) && xs.contains(&500.0) && xs.contains(&900.0));
}

#[test]
fn shapes_parse_and_are_all_used() {
    assert_eq!(Shape::parse("square"), Some(Shape::Square));
    assert_eq!(Shape::parse("circle"), Some(Shape::Circle));
    assert_eq!(Shape::parse("🎉"), Some(Shape::Emoji("🎉".into())));
    assert_eq!(
        Shape::parse("https://cdn.example/badge.png"),
        Some(Shape::Image("https://cdn.example/badge.png".into()))
    );
    assert_eq!(
        Shape::parse("/badges/1.svg"),
        Some(Shape::Image("/badges/1.svg".into()))
    );
    assert_eq!(
        Shape::parse("data:image/png;base64,AA=="),
        Some(Shape::Image("data:image/png;base64,AA==".into()))
    );
    assert_eq!(
        Shape::parse("javascript:alert(1)"),
        None,
        "only images, and no long text"
    );
    assert_eq!(Shape::parse(""), None);
    assert_eq!(Shape::parse("a long word"), None);
    // A shape crosses to the confetti worker as its text, and comes back the same.
    for text in [
        "square",
        "circle",
        "🎉",
        "★",
        "/b.svg",
        "https://x.example/a.png",
        "data:image/svg+xml,%3Csvg%3E",
    ] {
        let shape = Shape::parse(text).unwrap();
        assert_eq!(Shape::parse(shape.as_text()), Some(shape), "{text}");
    }
    let options = BurstOptions {
        shapes: vec![Shape::Square, Shape::Circle, Shape::Emoji("⭐".into())],
        ..BurstOptions::default()
    };
    let mut sim = Confetti::new(options, 9);
    sim.burst(0.0, 0.0);
    for shape in 0..3 {
        assert!(
            sim.particles.iter().any(|p| p.shape == shape),
            "shape {shape} used"
        );
    }
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

#[test]
fn sin_cos_at_the_quarter_turns() {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    for (theta, sin, cos) in [
        (0.0, 0.0, 1.0),
        (FRAC_PI_2, 1.0, 0.0),
        (PI, 0.0, -1.0),
        (-FRAC_PI_2, -1.0, 0.0),
        (TAU, 0.0, 1.0),
        (100.0 * TAU + FRAC_PI_2, 1.0, 0.0),
    ] {
        let (s, c) = sin_cos(theta);
        assert!(
            (s - sin).abs() < 1e-9 && (c - cos).abs() < 1e-9,
            "{theta}: {s} {c}"
        );
    }
}

#[test]
fn pow_unit_edges() {
    assert_eq!(pow_unit(0.35, 0.0), 1.0);
    assert_eq!(pow_unit(0.35, 1.0), 0.35);
    assert_eq!(pow_unit(0.35, 2.0), 0.35, "exponents above 1 are clamped");
    assert_eq!(pow_unit(1.0, 0.37), 1.0);
    assert!((pow_unit(0.25, 0.5) - 0.5).abs() < 1e-12);
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

    /// The arithmetic-only trigonometry agrees with std's (libm's) everywhere confetti goes.
    #[test]
    fn sin_cos_matches_std(theta in -500.0f64..500.0) {
        let (s, c) = sin_cos(theta);
        prop_assert!((s - theta.sin()).abs() < 1e-9, "sin {theta}: {s} vs {}", theta.sin());
        prop_assert!((c - theta.cos()).abs() < 1e-9, "cos {theta}: {c} vs {}", theta.cos());
    }

    /// Drag per frame (`decay^dt`) agrees with std's `powf`.
    #[test]
    fn pow_unit_matches_std(base in 0.001f64..=1.0, e in 0.0f64..=1.0) {
        let ours = pow_unit(base, e);
        let std = base.powf(e);
        prop_assert!(((ours - std) / std).abs() < 1e-8, "{base}^{e}: {ours} vs {std}");
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

proptest! {
    #[test]
    fn any_stored_text_is_read_without_panic(text in ".{0,80}", now in 0.0f64..4e12) {
        let _ = live_ref(&text, now);
    }
}

#[test]
fn every_language_has_the_sharing_words() {
    for s in LANGUAGES {
        for text in [
            s.publish,
            s.publish_hint,
            s.name_label,
            s.public_link,
            s.add_linkedin,
            s.unpublish,
            s.publish_failed,
        ] {
            assert!(!text.is_empty(), "{}", s.lang);
        }
    }
}

proptest! {
    /// A burst crosses to the confetti worker and comes back the same, for any tier of any
    /// configuration (every shape kind, several origins).
    #[test]
    fn a_burst_message_reads_back_as_it_was_written(
        particles in 1usize..2_000,
        spread in 0.0f64..360.0,
        seq in 1u32..1_000_000,
        width in 1.0f64..4_000.0,
        dpr in 1.0f64..4.0,
        origins in proptest::collection::vec((0.0f64..=1.0, 0.0f64..=1.0), 1..4),
        tier in prop_oneof!["early", "mid", "advanced"],
    ) {
        let base = BurstOptions {
            particles,
            spread,
            origins,
            shapes: vec![Shape::Square, Shape::Circle, Shape::Emoji("🎉".into()), Shape::Image("data:image/svg+xml,%3Csvg%3E".into())],
            ..BurstOptions::default()
        };
        let message = BurstMessage { seq: f64::from(seq), width, height: width / 2.0, dpr, options: BurstOptions::for_tier(&tier, &base) };
        let (numbers, colors, shapes) = message.encode();
        prop_assert_eq!(BurstMessage::decode(&numbers, &colors, &shapes), Some(message));
    }

    /// Whatever arrives, reading it never panics.
    #[test]
    fn any_burst_message_is_read_without_panic(
        numbers in proptest::collection::vec(proptest::num::f64::ANY, 0..16),
        colors in ".{0,40}",
        shapes in ".{0,40}",
    ) {
        let _ = BurstMessage::decode(&numbers, &colors, &shapes);
    }
}

#[test]
fn a_burst_message_that_is_not_one_is_refused() {
    let (numbers, colors, shapes) = BurstMessage {
        seq: 1.0,
        width: 800.0,
        height: 600.0,
        dpr: 1.0,
        options: BurstOptions::default(),
    }
    .encode();
    assert!(BurstMessage::decode(&numbers, &colors, &shapes).is_some());
    assert_eq!(
        BurstMessage::decode(&numbers[..9], &colors, &shapes),
        None,
        "too short"
    );
    let odd = [numbers.as_slice(), &[0.5]].concat();
    assert_eq!(
        BurstMessage::decode(&odd, &colors, &shapes),
        None,
        "half an origin"
    );
    let mut huge = numbers;
    huge[4] = 1e12;
    assert_eq!(
        BurstMessage::decode(&huge, &colors, &shapes),
        None,
        "too many particles"
    );
}
