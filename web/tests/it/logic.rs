use cairn_core::wire::AwardView;
use cairn_widget::logic::{Backoff, BurstOptions, Celebrations, Confetti, REMEMBERED_AWARDS, Rng};

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
    let mut after = Celebrations::from_json(Some(&before.to_json()));
    assert!(
        !after.offer(&award("a")),
        "a reload must not celebrate again"
    );
    assert!(after.offer(&award("b")));
}

#[test]
fn unreadable_storage_starts_empty() {
    for text in [None, Some(""), Some("{"), Some("42"), Some("[1,2]")] {
        assert_eq!(
            Celebrations::from_json(text),
            Celebrations::default(),
            "{text:?}"
        );
    }
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
    assert_eq!(cairn_widget::logic::toast_caption(&a), "Milestone reached");
    a.description = "Next stop: 50.".into();
    assert_eq!(cairn_widget::logic::toast_caption(&a), "Next stop: 50.");
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
