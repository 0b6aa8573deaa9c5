//! Cairn's confetti, free of the DOM: the options of a burst (the defaults table and the tier
//! scaling), the message that carries a burst to its painter, and the simulation the painter
//! steps each frame (gravity, drag, wobble, fade). Sans-IO: the seed, the viewport and the
//! elapsed time come from the caller, so all of it is tested natively
//! (`web/confetti/tests`). The widget (`web/`) builds the options and the message; the
//! painter (`web/painter/`, loaded by the confetti worker or, where no worker can draw, by
//! the page) decodes it and draws.

/// Most particles in flight at once: bursts beyond it are trimmed, so a flood of awards never
/// stalls the page.
pub const MAX_PARTICLES: usize = 2_000;

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
    /// Shapes, picked at random per particle.
    pub shapes: Vec<Shape>,
    /// Where bursts start, as fractions of the viewport's width and height.
    pub origins: Vec<(f64, f64)>,
}

/// The shape of a confetti piece.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A paper rectangle.
    Square,
    /// A round piece.
    Circle,
    /// A character drawn as text, e.g. an emoji.
    Emoji(String),
    /// An image by URL (`https://…`, a path `/…`, or a `data:image/…` URL), e.g. badge art.
    Image(String),
}

impl Shape {
    /// Parses `square`, `circle`, an image URL, or a short text (emoji) particle.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "" => None,
            "square" => Some(Self::Square),
            "circle" => Some(Self::Circle),
            url if url.starts_with("https://")
                || url.starts_with("data:image/")
                || (url.starts_with('/') && !url.starts_with("//")) =>
            {
                Some(Self::Image(url.to_owned()))
            }
            other if other.chars().count() <= 4 => Some(Self::Emoji(other.to_owned())),
            _ => None,
        }
    }

    /// The text [`Shape::parse`] reads back as this shape.
    pub fn as_text(&self) -> &str {
        match self {
            Self::Square => "square",
            Self::Circle => "circle",
            Self::Emoji(text) | Self::Image(text) => text,
        }
    }
}

impl BurstOptions {
    /// The burst for a tier, louder as the milestone is bigger (growth playbook), scaled from
    /// `base` (the defaults or the host's configuration): `early` is a small pop (half the
    /// particles, narrower, slower), `mid` is `base`, `advanced` fills the screen (from the
    /// left, the centre and the right, a third more particles each, wider, longer). Unknown
    /// tiers get `mid`.
    pub fn for_tier(tier: &str, base: &Self) -> Self {
        let base = base.clone();
        let scale = |n: usize, f: f64| ((n as f64 * f).round() as usize).max(1);
        match tier {
            "early" => Self {
                particles: scale(base.particles, 0.5),
                spread: base.spread * 0.8,
                velocity: base.velocity * 0.85,
                ..base
            },
            "advanced" => {
                let y = base.origins.first().map_or(0.9, |o| o.1);
                Self {
                    particles: scale(base.particles, 1.35),
                    spread: (base.spread * 1.3).min(360.0),
                    velocity: base.velocity * 1.2,
                    duration: base.duration * 1.25,
                    origins: vec![(0.1, y), (0.5, y), (0.9, y)],
                    ..base
                }
            }
            _ => base,
        }
    }

    /// Total particles of one burst (every origin).
    pub fn total_particles(&self) -> usize {
        self.particles * self.origins.len().max(1)
    }
}

/// A burst as the page hands it to the confetti worker: its number (the page counts them), the
/// viewport it fills, and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstMessage {
    pub seq: f64,
    /// CSS pixels.
    pub width: f64,
    pub height: f64,
    /// Device pixels per CSS pixel.
    pub dpr: f64,
    pub options: BurstOptions,
}

impl BurstMessage {
    /// The message as numbers and two texts, which cross to a worker at the cost of one copy
    /// each: `seq, width, height, dpr, particles, spread, velocity, gravity, decay, duration`,
    /// then each origin's `x, y`; the colours and the shapes (as [`Shape::parse`] reads them)
    /// one per line.
    pub fn encode(&self) -> (Vec<f64>, String, String) {
        let o = &self.options;
        let mut numbers = vec![
            self.seq,
            self.width,
            self.height,
            self.dpr,
            o.particles as f64,
            o.spread,
            o.velocity,
            o.gravity,
            o.decay,
            o.duration,
        ];
        numbers.extend(o.origins.iter().flat_map(|&(x, y)| [x, y]));
        // Both joined as `&str`s: one instance of `join` in the widget, not one per type.
        let colors: Vec<&str> = o.colors.iter().map(String::as_str).collect();
        let shapes: Vec<&str> = o.shapes.iter().map(Shape::as_text).collect();
        (numbers, colors.join("\n"), shapes.join("\n"))
    }

    /// Reads what [`BurstMessage::encode`] wrote; `None` if it is not that.
    pub fn decode(numbers: &[f64], colors: &str, shapes: &str) -> Option<Self> {
        let [
            seq,
            width,
            height,
            dpr,
            particles,
            spread,
            velocity,
            gravity,
            decay,
            duration,
            origins @ ..,
        ] = numbers
        else {
            return None;
        };
        if origins.len() % 2 != 0 || !(0.0..=MAX_BURST).contains(particles) {
            return None;
        }
        Some(Self {
            seq: *seq,
            width: *width,
            height: *height,
            dpr: *dpr,
            options: BurstOptions {
                particles: *particles as usize,
                spread: *spread,
                velocity: *velocity,
                gravity: *gravity,
                decay: *decay,
                duration: *duration,
                colors: colors.lines().map(str::to_owned).collect(),
                shapes: shapes.lines().filter_map(Shape::parse).collect(),
                origins: origins
                    .chunks_exact(2)
                    .filter_map(|xy| match xy {
                        [x, y] => Some((*x, *y)),
                        _ => None,
                    })
                    .collect(),
            },
        })
    }
}

/// Most particles per origin a message may ask for (`confetti.particles` is validated to 2,000
/// before; the tiers scale it by at most a third).
const MAX_BURST: f64 = 10_000.0;

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
            shapes: vec![Shape::Square, Shape::Circle],
            origins: vec![(0.5, 0.9)],
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
    /// Index into the burst's shapes.
    pub shape: usize,
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

    /// Replaces the options of the next bursts (particles in flight keep theirs).
    pub fn set_options(&mut self, options: BurstOptions) {
        self.options = options;
    }

    /// Launches a burst from every origin of the options, in a `width` × `height` viewport,
    /// then drops the oldest particles beyond [`MAX_PARTICLES`].
    pub fn burst_all(&mut self, width: f64, height: f64) {
        for (fx, fy) in self.options.origins.clone() {
            self.burst(width * fx, height * fy);
        }
        let excess = self.particles.len().saturating_sub(MAX_PARTICLES);
        self.particles.drain(..excess);
    }

    /// Launches a burst from `(x, y)` (CSS pixels), upwards.
    pub fn burst(&mut self, x: f64, y: f64) {
        let o = &self.options;
        let half = o.spread.to_radians() / 2.0;
        for _ in 0..o.particles {
            let direction = -std::f64::consts::FRAC_PI_2 + self.rng.range(-half, half);
            let speed = o.velocity * self.rng.range(0.45, 1.0);
            let (sin, cos) = sin_cos(direction);
            self.particles.push(Particle {
                x,
                y,
                vx: cos * speed,
                vy: sin * speed,
                angle: self.rng.range(0.0, std::f64::consts::TAU),
                spin: self.rng.range(-12.0, 12.0),
                size: self.rng.range(6.0, 11.0),
                color: (self.rng.next_f64() * o.colors.len() as f64) as usize
                    % o.colors.len().max(1),
                shape: (self.rng.next_f64() * o.shapes.len() as f64) as usize
                    % o.shapes.len().max(1),
                age: 0.0,
                life: o.duration * self.rng.range(0.7, 1.0),
            });
        }
    }

    /// Advances by `dt` seconds and drops particles past their life; returns whether any is left.
    pub fn step(&mut self, dt: f64) -> bool {
        let dt = dt.clamp(0.0, 0.1);
        let keep = pow_unit(self.options.decay, dt);
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

/// `(sin θ, cos θ)` by arithmetic alone. WebAssembly has no trigonometry instruction, and
/// Rust's `sin`/`cos` would bring libm's argument reduction and kernels (kilobytes) into the
/// painter for confetti angles. θ is brought into [-π, π], then a Taylor series of θ/16 and four
/// angle doublings; the error is below 1e-9 (checked against std in this crate's tests).
pub fn sin_cos(theta: f64) -> (f64, f64) {
    use std::f64::consts::{PI, TAU};
    let mut t = theta - (theta / TAU).floor() * TAU;
    if t > PI {
        t -= TAU;
    }
    let x = t / 16.0;
    let x2 = x * x;
    let mut sin = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0)));
    let mut cos = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)));
    for _ in 0..4 {
        (sin, cos) = (2.0 * sin * cos, cos * cos - sin * sin);
    }
    (sin, cos)
}

/// `base^e` for `base` > 0 and `e` in [0, 1] (clamped), by square roots — a WebAssembly
/// instruction — instead of libm's `pow`: the binary digits of `e` pick which of `base^(1/2)`,
/// `base^(1/4)`, … multiply in. Exact to 2^-30 of `e`.
pub fn pow_unit(base: f64, e: f64) -> f64 {
    let mut e = e.clamp(0.0, 1.0);
    if e == 1.0 {
        return base;
    }
    let (mut root, mut out) = (base, 1.0);
    for _ in 0..30 {
        root = root.sqrt();
        e *= 2.0;
        if e >= 1.0 {
            out *= root;
            e -= 1.0;
        }
    }
    out
}
