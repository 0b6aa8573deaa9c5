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
    pub badges: &'static str,
    /// Make a public badge private again.
    pub unpublish: &'static str,
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
    badges: "Badges",
    unpublish: "Make private",
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
    badges: "Badges",
    unpublish: "Rendre privé",
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
    badges: "الشارات",
    unpublish: "اجعلها خاصة",
};

/// The share card's own words in one language, apart from [`Strings`]: only the share card's
/// module (`web/share-card`) carries them, not the widget's first load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStrings {
    /// BCP 47 language of these strings (one of [`LANGUAGES`]'s).
    pub lang: &'static str,
    pub share_title: &'static str,
    pub message_label: &'static str,
    /// Default share message: "I just earned “{title}”!".
    pub share_message: &'static str,
    pub copy_link: &'static str,
    pub copied: &'static str,
    pub share_x: &'static str,
    pub share_linkedin: &'static str,
    /// The consent step: make the badge a public page.
    pub publish: &'static str,
    pub publish_hint: &'static str,
    pub name_label: &'static str,
    pub public_link: &'static str,
    pub add_linkedin: &'static str,
    pub publish_failed: &'static str,
}

const EN_CARD: CardStrings = CardStrings {
    lang: "en",
    share_title: "Share your badge",
    message_label: "Your message",
    share_message: "I just earned “{title}”!",
    copy_link: "Copy link",
    copied: "Copied",
    share_x: "Post on X",
    share_linkedin: "Share on LinkedIn",
    publish: "Make it public",
    publish_hint: "Creates a page anyone with the link can see: the badge, your message and the name you choose.",
    name_label: "Name to show (optional)",
    public_link: "Public page",
    add_linkedin: "Add to LinkedIn profile",
    publish_failed: "That did not work. Try again.",
};

const FR_CARD: CardStrings = CardStrings {
    lang: "fr",
    share_title: "Partagez votre badge",
    message_label: "Votre message",
    share_message: "Je viens d’obtenir « {title} » !",
    copy_link: "Copier le lien",
    copied: "Copié",
    share_x: "Publier sur X",
    share_linkedin: "Partager sur LinkedIn",
    publish: "Le rendre public",
    publish_hint: "Crée une page visible par qui a le lien : le badge, votre message et le nom choisi.",
    name_label: "Nom affiché (facultatif)",
    public_link: "Page publique",
    add_linkedin: "Ajouter au profil LinkedIn",
    publish_failed: "Cela n’a pas marché. Réessayez.",
};

const AR_CARD: CardStrings = CardStrings {
    lang: "ar",
    share_title: "شارك شارتك",
    message_label: "رسالتك",
    share_message: "حصلت للتو على «{title}»!",
    copy_link: "نسخ الرابط",
    copied: "تم النسخ",
    share_x: "انشر على X",
    share_linkedin: "شارك على LinkedIn",
    publish: "اجعلها عامة",
    publish_hint: "تنشئ صفحة يراها كل من لديه الرابط: الشارة ورسالتك والاسم الذي تختاره.",
    name_label: "الاسم المعروض (اختياري)",
    public_link: "الصفحة العامة",
    add_linkedin: "أضف إلى ملف LinkedIn",
    publish_failed: "لم ينجح ذلك. حاول مرة أخرى.",
};

/// The share card's words in every built-in language, English first (the fallback).
pub const CARD_LANGUAGES: [&CardStrings; 3] = [&EN_CARD, &FR_CARD, &AR_CARD];

impl CardStrings {
    /// The share card's words for `locale`, as [`Strings::for_locale`] picks.
    pub fn for_locale(locale: &str) -> &'static CardStrings {
        let lang = language(locale);
        CARD_LANGUAGES
            .iter()
            .copied()
            .find(|s| s.lang == lang)
            .unwrap_or(&EN_CARD)
    }
}

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
            fill(self.more_other, &[("n", &digits(n))])
        }
    }
}

/// `n` in decimal, without Rust's formatting machinery (the widget carries none of it).
pub fn digits(mut n: u64) -> String {
    let mut out = Vec::with_capacity(20);
    loop {
        out.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
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
            x: [
                "https://x.com/intent/post?text=",
                &encode(message),
                "&url=",
                &encode(url),
            ]
            .concat(),
            linkedin: [
                "https://www.linkedin.com/sharing/share-offsite/?url=",
                &encode(url),
            ]
            .concat(),
            copy: [message, " ", url].concat(),
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

/// The WebSocket origin of the API at `api`: `https://…` → `wss://…`, `http://…` → `ws://…`;
/// anything else is left as it is (the socket then fails to open, and says so).
pub fn websocket_origin(api: &str) -> String {
    api.strip_prefix("http")
        .filter(|rest| rest.starts_with("s://") || rest.starts_with("://"))
        .map_or_else(|| api.to_owned(), |rest| ["ws", rest].concat())
}

/// A token's base64url segment as standard, padded base64 (what `atob` reads).
pub fn base64_of_base64url(segment: &str) -> String {
    let mut base64: String = segment
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !base64.len().is_multiple_of(4) {
        base64.push('=');
    }
    base64
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
