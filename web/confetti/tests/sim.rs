//! The confetti without the DOM: the simulation, the tiers, the shapes, the painter's message.

use cairn_confetti::{
    BurstMessage, BurstOptions, Confetti, MAX_PARTICLES, Rng, Shape, pow_unit, sin_cos,
};
use proptest::prelude::*;

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

proptest! {
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
fn a_flood_of_bursts_keeps_the_newest_particles_only() {
    let options = BurstOptions {
        particles: 900,
        ..BurstOptions::for_tier("advanced", &BurstOptions::default())
    };
    let mut sim = Confetti::new(options, 5);
    sim.burst_all(1000.0, 800.0);
    assert_eq!(sim.particles.len(), MAX_PARTICLES, "3 × 900 trimmed");
    sim.step(0.5);
    sim.burst_all(1000.0, 800.0);
    assert_eq!(sim.particles.len(), MAX_PARTICLES);
    assert!(
        sim.particles.iter().all(|p| p.age == 0.0),
        "the older burst's pieces went first"
    );
}
