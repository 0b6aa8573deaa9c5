//! The widget's logic as plain structs, free of the DOM so they are tested natively.

use std::collections::VecDeque;

use cairn_wire::{AwardView, LadderProgress, LockedMilestone};
use serde::Deserialize;

/// How many celebrated award ids are remembered per user. Awards are rare (a handful per user),
/// so this bounds storage without ever forgetting a real one.
pub const REMEMBERED_AWARDS: usize = 256;

/// Decides which awards to celebrate: each award id once, ever, for this browser.
///
/// The set is persisted by the caller (localStorage) through [`Celebrations::to_text`] /
/// [`Celebrations::from_text`], so a reload never celebrates again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Celebrations {
    seen: VecDeque<String>,
}

impl Celebrations {
    /// Restores the set saved by [`Celebrations::to_text`]: one award id a line. Blank lines
    /// are skipped; past [`REMEMBERED_AWARDS`] ids, the newest are kept.
    pub fn from_text(text: Option<&str>) -> Self {
        let ids: Vec<&str> = text
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .collect();
        let skip = ids.len().saturating_sub(REMEMBERED_AWARDS);
        Self {
            seen: ids[skip..].iter().map(|&id| id.to_owned()).collect(),
        }
    }

    /// The set, oldest first, one id a line, for storage. (Award ids are `aw_` and hex digits.)
    pub fn to_text(&self) -> String {
        self.seen
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
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
        let shapes: Vec<&str> = o.shapes.iter().map(Shape::as_text).collect();
        (numbers, o.colors.join("\n"), shapes.join("\n"))
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

    /// Launches a burst from every origin of the options, in a `width` × `height` viewport.
    pub fn burst_all(&mut self, width: f64, height: f64) {
        for (fx, fy) in self.options.origins.clone() {
            self.burst(width * fx, height * fy);
        }
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
/// widget for confetti angles. θ is brought into [-π, π], then a Taylor series of θ/16 and four
/// angle doublings; the error is below 1e-9 (checked against std in the widget's tests).
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

/// The line under a toast's title: the milestone's description (localized by the server from
/// the definitions' messages), or the built-in default of the UI language.
pub fn toast_caption(award: &AwardView, strings: &Strings) -> String {
    if award.description.is_empty() {
        strings.reached.to_owned()
    } else {
        award.description.clone()
    }
}

/// The widget's built-in UI strings in one language. Milestone titles and descriptions come
/// localized from the definitions; these are the words around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strings {
    /// BCP 47 language of these strings.
    pub lang: &'static str,
    pub reached: &'static str,
    pub dismiss: &'static str,
    pub share: &'static str,
    pub close: &'static str,
    pub notifications: &'static str,
    /// Prefix of the screen-reader announcement: "New badge: {title}".
    pub new_badge: &'static str,
    pub shelf_title: &'static str,
    pub earned: &'static str,
    pub locked: &'static str,
    pub none_yet: &'static str,
    /// "{n} more to go", when `n` is 1 and otherwise.
    pub more_one: &'static str,
    pub more_other: &'static str,
    /// "{current} of {next}".
    pub of: &'static str,
    pub top: &'static str,
    pub share_title: &'static str,
    pub message_label: &'static str,
    /// Default share message: "I just earned “{title}”!".
    pub share_message: &'static str,
    pub copy_link: &'static str,
    pub copied: &'static str,
    pub share_x: &'static str,
    pub share_linkedin: &'static str,
    pub badges: &'static str,
    /// The consent step: make the badge a public page.
    pub publish: &'static str,
    pub publish_hint: &'static str,
    pub name_label: &'static str,
    pub public_link: &'static str,
    pub add_linkedin: &'static str,
    /// Make a public badge private again.
    pub unpublish: &'static str,
    pub publish_failed: &'static str,
}

const EN: Strings = Strings {
    lang: "en",
    reached: "Milestone reached",
    dismiss: "Dismiss",
    share: "Share",
    close: "Close",
    notifications: "Milestones",
    new_badge: "New badge",
    shelf_title: "Your badges",
    earned: "Earned",
    locked: "Locked",
    none_yet: "No badges yet — your first one is close.",
    more_one: "1 more to go",
    more_other: "{n} more to go",
    of: "{current} of {next}",
    top: "Top of the ladder!",
    share_title: "Share your badge",
    message_label: "Your message",
    share_message: "I just earned “{title}”!",
    copy_link: "Copy link",
    copied: "Copied",
    share_x: "Post on X",
    share_linkedin: "Share on LinkedIn",
    badges: "Badges",
    publish: "Make it public",
    publish_hint: "Creates a page anyone with the link can see: the badge, your message and the name you choose.",
    name_label: "Name to show (optional)",
    public_link: "Public page",
    add_linkedin: "Add to LinkedIn profile",
    unpublish: "Make private",
    publish_failed: "That did not work. Try again.",
};

const FR: Strings = Strings {
    lang: "fr",
    reached: "Étape franchie",
    dismiss: "Fermer la notification",
    share: "Partager",
    close: "Fermer",
    notifications: "Étapes",
    new_badge: "Nouveau badge",
    shelf_title: "Vos badges",
    earned: "Obtenus",
    locked: "À débloquer",
    none_yet: "Pas encore de badge — le premier est tout proche.",
    more_one: "Plus qu’un",
    more_other: "Encore {n}",
    of: "{current} sur {next}",
    top: "Sommet atteint !",
    share_title: "Partagez votre badge",
    message_label: "Votre message",
    share_message: "Je viens d’obtenir « {title} » !",
    copy_link: "Copier le lien",
    copied: "Copié",
    share_x: "Publier sur X",
    share_linkedin: "Partager sur LinkedIn",
    badges: "Badges",
    publish: "Le rendre public",
    publish_hint: "Crée une page visible par qui a le lien : le badge, votre message et le nom choisi.",
    name_label: "Nom affiché (facultatif)",
    public_link: "Page publique",
    add_linkedin: "Ajouter au profil LinkedIn",
    unpublish: "Rendre privé",
    publish_failed: "Cela n’a pas marché. Réessayez.",
};

const AR: Strings = Strings {
    lang: "ar",
    reached: "إنجاز جديد",
    dismiss: "إغلاق الإشعار",
    share: "مشاركة",
    close: "إغلاق",
    notifications: "الإنجازات",
    new_badge: "شارة جديدة",
    shelf_title: "شاراتك",
    earned: "مكتسبة",
    locked: "مقفلة",
    none_yet: "لا شارات بعد — أولها قريب.",
    more_one: "بقي واحد",
    more_other: "بقي {n}",
    of: "{current} من {next}",
    top: "وصلت إلى القمة!",
    share_title: "شارك شارتك",
    message_label: "رسالتك",
    share_message: "حصلت للتو على «{title}»!",
    copy_link: "نسخ الرابط",
    copied: "تم النسخ",
    share_x: "انشر على X",
    share_linkedin: "شارك على LinkedIn",
    badges: "الشارات",
    publish: "اجعلها عامة",
    publish_hint: "تنشئ صفحة يراها كل من لديه الرابط: الشارة ورسالتك والاسم الذي تختاره.",
    name_label: "الاسم المعروض (اختياري)",
    public_link: "الصفحة العامة",
    add_linkedin: "أضف إلى ملف LinkedIn",
    unpublish: "اجعلها خاصة",
    publish_failed: "لم ينجح ذلك. حاول مرة أخرى.",
};

/// The built-in languages, English first (the fallback).
pub const LANGUAGES: [&Strings; 3] = [&EN, &FR, &AR];

impl Strings {
    /// The strings for `locale` (`fr-CA` → `fr`), English when the language is not built in.
    pub fn for_locale(locale: &str) -> &'static Strings {
        let lang = language(locale);
        LANGUAGES
            .iter()
            .copied()
            .find(|s| s.lang == lang)
            .unwrap_or(&EN)
    }

    /// "N more to go".
    pub fn more(&self, n: u64) -> String {
        if n == 1 {
            self.more_one.to_owned()
        } else {
            fill(self.more_other, &[("n", &n.to_string())])
        }
    }
}

/// The language subtag of a locale tag, lower-cased: `pt-BR` → `pt`.
pub fn language(locale: &str) -> String {
    locale
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether `locale` is written right to left.
pub fn is_rtl(locale: &str) -> bool {
    matches!(
        language(locale).as_str(),
        "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb"
    )
}

pub use cairn_wire::fill;

/// The host page's corner for toasts: logical, so it follows the reading direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Corner {
    #[default]
    BottomEnd,
    BottomStart,
    TopEnd,
    TopStart,
}

impl Corner {
    /// Parses `bottom-end` (default), `bottom-start`, `top-end`, `top-start`; the physical
    /// `bottom-right` etc. are accepted and mean the same in left-to-right pages.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim() {
            "bottom-end" | "bottom-right" => Self::BottomEnd,
            "bottom-start" | "bottom-left" => Self::BottomStart,
            "top-end" | "top-right" => Self::TopEnd,
            "top-start" | "top-left" => Self::TopStart,
            _ => return None,
        })
    }

    /// The value of the layer's `data-corner` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BottomEnd => "bottom-end",
            Self::BottomStart => "bottom-start",
            Self::TopEnd => "top-end",
            Self::TopStart => "top-start",
        }
    }
}

/// A toast's auto-hide timer that pauses while the pointer or focus is on the toast.
/// Times are milliseconds from any monotonic clock, given by the caller. The caller's timers
/// ask [`Countdown::expired`] when they fire, so one armed before a pause is simply ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Countdown {
    left_ms: f64,
    running_since: Option<f64>,
}

impl Countdown {
    /// A running countdown of `ms`, started at `now`.
    pub fn start(ms: f64, now: f64) -> Self {
        Self {
            left_ms: ms,
            running_since: Some(now),
        }
    }

    /// Pauses (hover or focus). No effect when paused.
    pub fn pause(&mut self, now: f64) {
        if let Some(since) = self.running_since.take() {
            self.left_ms = (self.left_ms - (now - since)).max(0.0);
        }
    }

    /// Resumes; returns the milliseconds until it ends, for the caller's timer.
    pub fn resume(&mut self, now: f64) -> f64 {
        if self.running_since.is_none() {
            self.running_since = Some(now);
        }
        self.left_ms
    }

    /// Whether it has run out at `now` (never while paused).
    pub fn expired(&self, now: f64) -> bool {
        self.running_since
            .is_some_and(|since| now - since >= self.left_ms)
    }

    /// Whether it is paused.
    pub fn paused(&self) -> bool {
        self.running_since.is_none()
    }
}

/// The share card's links for `url` and the user's `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLinks {
    /// X (Twitter) web intent.
    pub x: String,
    /// LinkedIn share-offsite link.
    pub linkedin: String,
    /// The text copied by "Copy link": the message and the URL.
    pub copy: String,
}

impl ShareLinks {
    /// Builds the links; `encode` percent-encodes a query component (the caller's
    /// `encodeURIComponent`, or any equivalent).
    pub fn new(message: &str, url: &str, encode: impl Fn(&str) -> String) -> Self {
        Self {
            x: format!(
                "https://x.com/intent/post?text={}&url={}",
                encode(message),
                encode(url)
            ),
            linkedin: format!(
                "https://www.linkedin.com/sharing/share-offsite/?url={}",
                encode(url)
            ),
            copy: format!("{message} {url}"),
        }
    }
}

/// A badge the user made public (`POST /v1/client/shares`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicShare {
    pub share_id: String,
    pub award_id: String,
    /// The public page.
    pub url: String,
    /// LinkedIn's "Add to profile".
    pub linkedin_add_url: String,
}

/// Where the loader keeps a share reference (`?cairn_ref=`) on the product's own site.
pub const REF_KEY: &str = "cairn:ref";

/// How long a share reference is kept, in milliseconds (30 days).
pub const REF_WINDOW_MS: f64 = 30.0 * 86_400_000.0;

/// The share reference in `stored` (`{ref}|{until_ms}`, as the loader writes it) if it is
/// well formed and not expired at `now_ms`.
pub fn live_ref(stored: &str, now_ms: f64) -> Option<&str> {
    let (reference, until) = stored.split_once('|')?;
    // Whole milliseconds: an integer parse (a float parser would cost the widget kilobytes).
    let until = until.parse::<u64>().ok()? as f64;
    let well_formed = reference.strip_prefix("sh_").is_some_and(|h| {
        h.len() == 32 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    (well_formed && now_ms < until && until <= now_ms + REF_WINDOW_MS + 60_000.0)
        .then_some(reference)
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

/// What the widget reads of `GET /v1/client/me` (`MeResponse` in `cairn_wire`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Me {
    pub awards: Vec<AwardView>,
    #[serde(default)]
    pub progress: Vec<LadderProgress>,
    #[serde(default)]
    pub locked: Vec<LockedMilestone>,
    #[serde(default)]
    pub account: Option<AccountPart>,
}

/// The account's part of [`Me`] (`AccountView`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AccountPart {
    pub awards: Vec<AwardView>,
    #[serde(default)]
    pub locked: Vec<LockedMilestone>,
}

impl Me {
    /// The user's and the account's awards, newest first.
    pub fn earned(&self) -> Vec<AwardView> {
        let account = self.account.iter().flat_map(|a| &a.awards);
        // Insertion by binary search, stable for equal times: a shelf holds tens of badges, and
        // a general sort of `AwardView`s would cost the widget ≈ 1 KB.
        let mut all: Vec<AwardView> = Vec::with_capacity(self.awards.len());
        for award in self.awards.iter().chain(account) {
            let at = all.partition_point(|a| a.achieved_at >= award.achieved_at);
            all.insert(at, award.clone());
        }
        all
    }

    /// Milestones not earned yet, the user's then the account's.
    pub fn locked(&self) -> Vec<LockedMilestone> {
        let mut all = self.locked.clone();
        if let Some(account) = &self.account {
            all.extend(account.locked.iter().cloned());
        }
        all
    }

    /// Applies a tracked event's new total to the ladders of its metric, at once (the next
    /// `/me` read confirms it).
    pub fn set_total(&mut self, metric: &str, total: u64) {
        for p in self.progress.iter_mut().filter(|p| p.metric == metric) {
            let label = std::mem::take(&mut p.label);
            *p = LadderProgress::of(&p.ladder, &p.metric, &p.steps, total);
            p.label = label;
        }
    }
}
