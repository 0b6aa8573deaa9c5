//! The widget's logic as plain structs, free of the DOM so they are tested natively.

use std::collections::VecDeque;

use cairn_core::wire::AwardView;

/// How many celebrated award ids are remembered per user. Awards are rare (a handful per user),
/// so this bounds storage without ever forgetting a real one.
pub const REMEMBERED_AWARDS: usize = 256;

/// Decides which awards to celebrate: each award id once, ever, for this browser.
///
/// The set is persisted by the caller (localStorage) through [`Celebrations::to_json`] /
/// [`Celebrations::from_json`], so a reload never celebrates again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Celebrations {
    seen: VecDeque<String>,
}

impl Celebrations {
    /// Restores the set saved by [`Celebrations::to_json`]; anything unreadable counts as empty.
    pub fn from_json(text: Option<&str>) -> Self {
        let seen = text
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        Self { seen }
    }

    /// The set as JSON, for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.seen).unwrap_or_else(|_| "[]".into())
    }

    /// Returns whether `award` should be celebrated now, and remembers it if so.
    pub fn offer(&mut self, award: &AwardView) -> bool {
        if self.seen.iter().any(|id| id == &award.id) {
            return false;
        }
        if self.seen.len() == REMEMBERED_AWARDS {
            self.seen.pop_front();
        }
        self.seen.push_back(award.id.clone());
        true
    }
}

/// A small, fast pseudo-random generator (SplitMix64): confetti needs variety, not secrecy.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

/// Options of one confetti burst. Defaults follow canvas-confetti's feel.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstOptions {
    /// Number of particles.
    pub particles: usize,
    /// Spread of launch angles around straight up, in degrees.
    pub spread: f64,
    /// Initial speed in CSS pixels per second.
    pub velocity: f64,
    /// Downward acceleration in CSS pixels per second².
    pub gravity: f64,
    /// Share of horizontal and vertical speed kept per second (air drag).
    pub decay: f64,
    /// Life of a particle in seconds.
    pub duration: f64,
    /// Colours, as CSS colour strings.
    pub colors: Vec<String>,
}

impl Default for BurstOptions {
    fn default() -> Self {
        Self {
            particles: 150,
            spread: 70.0,
            velocity: 900.0,
            gravity: 1400.0,
            decay: 0.35,
            duration: 2.8,
            colors: [
                "#26ccff", "#a25afd", "#ff5e7e", "#88ff5a", "#fcff42", "#ffa62d", "#ff36ff",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// One confetti piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    pub x: f64,
    pub y: f64,
    pub vx: f64,
    pub vy: f64,
    pub angle: f64,
    pub spin: f64,
    pub size: f64,
    /// Index into the burst's colours.
    pub color: usize,
    /// Seconds lived so far.
    pub age: f64,
    /// Seconds it lives.
    pub life: f64,
}

impl Particle {
    /// Opacity: fades out over the last third of its life.
    pub fn opacity(&self) -> f64 {
        let left = 1.0 - self.age / self.life;
        (left * 3.0).clamp(0.0, 1.0)
    }
}

/// The confetti simulation: particles under gravity and drag, stepped by elapsed time so it
/// looks the same at any frame rate.
#[derive(Debug, Clone)]
pub struct Confetti {
    pub options: BurstOptions,
    pub particles: Vec<Particle>,
    rng: Rng,
}

impl Confetti {
    /// An empty simulation.
    pub fn new(options: BurstOptions, seed: u64) -> Self {
        Self {
            options,
            particles: Vec::new(),
            rng: Rng::new(seed),
        }
    }

    /// Launches a burst from `(x, y)` (CSS pixels), upwards.
    pub fn burst(&mut self, x: f64, y: f64) {
        let o = &self.options;
        let half = o.spread.to_radians() / 2.0;
        for _ in 0..o.particles {
            let direction = -std::f64::consts::FRAC_PI_2 + self.rng.range(-half, half);
            let speed = o.velocity * self.rng.range(0.45, 1.0);
            self.particles.push(Particle {
                x,
                y,
                vx: direction.cos() * speed,
                vy: direction.sin() * speed,
                angle: self.rng.range(0.0, std::f64::consts::TAU),
                spin: self.rng.range(-12.0, 12.0),
                size: self.rng.range(6.0, 11.0),
                color: (self.rng.next_f64() * o.colors.len() as f64) as usize
                    % o.colors.len().max(1),
                age: 0.0,
                life: o.duration * self.rng.range(0.7, 1.0),
            });
        }
    }

    /// Advances by `dt` seconds and drops particles past their life; returns whether any is left.
    pub fn step(&mut self, dt: f64) -> bool {
        let dt = dt.clamp(0.0, 0.1);
        let keep = self.options.decay.powf(dt);
        let gravity = self.options.gravity;
        for p in &mut self.particles {
            p.vx *= keep;
            p.vy = p.vy * keep + gravity * dt;
            p.x += p.vx * dt;
            p.y += p.vy * dt;
            p.angle += p.spin * dt;
            p.age += dt;
        }
        self.particles.retain(|p| p.age < p.life);
        !self.particles.is_empty()
    }
}

/// The line under a toast's title: the milestone's description, or a plain default.
pub fn toast_caption(award: &AwardView) -> String {
    if award.description.is_empty() {
        "Milestone reached".to_owned()
    } else {
        award.description.clone()
    }
}

/// Reconnection delays of the real-time stream: exponential from one second, capped at 30 s,
/// with jitter (so a server restart does not bring every client back in the same instant).
/// The random fraction comes from the caller, which keeps this pure.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// First delay, in milliseconds.
    pub const FIRST_MS: u32 = 1_000;
    /// Longest delay, in milliseconds.
    pub const MAX_MS: u32 = 30_000;

    /// The delay before the next attempt, given a random `fraction` in `[0, 1)`: between half
    /// and all of the exponential step.
    pub fn next_delay_ms(&mut self, fraction: f64) -> u32 {
        let step = Self::FIRST_MS
            .saturating_mul(1 << self.failures.min(5))
            .min(Self::MAX_MS);
        self.failures = self.failures.saturating_add(1);
        let fraction = fraction.clamp(0.0, 1.0);
        step / 2 + (f64::from(step / 2) * fraction) as u32
    }

    /// The connection is healthy again: start over.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}
