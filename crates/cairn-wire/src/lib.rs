//! `cairn-wire`: everything that crosses HTTP between the widget (or a customer's server) and
//! the worker. Both sides use these exact types, so the JSON shapes cannot drift apart.
//!
//! It is its own crate so that what a client needs costs it nothing more: it depends on serde
//! and on jiff without a time-zone database, never on the engine (its TOML parser, templates
//! and tz database stay in `cairn-core`, which builds these values and re-exports them as
//! `cairn_core::wire`). It also holds the vocabulary the shapes share with definitions (kinds,
//! scopes, channels, badges, calls to action), each unit enum named once by [`names!`].
//!
//! Field names are `snake_case`; timestamps are RFC 3339 strings; counts are unsigned integers.
//! Every error response has the single shape [`ErrorBody`].
//!
//! Timestamps in requests are [`Timestamp`]s, validated as they are read. Timestamps in answers
//! are [`Time`]: the same RFC 3339 text, kept as text, so that a client that only shows them
//! (the widget hands them to the browser's `Date`) carries no date-time parser.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[doc(hidden)]
pub use serde as __serde;

/// For a unit enum written as snake_case text (in definitions and on the wire): its names,
/// written once here, give `as_str`, `FromStr` and serde (as strings; an unknown name is
/// serde's "unknown variant" error listing the known ones). `ALL` lists the values.
#[macro_export]
macro_rules! names {
    ($ty:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name as written in definitions and on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = $crate::UnknownName;

            fn from_str(text: &str) -> ::core::result::Result<Self, $crate::UnknownName> {
                match text {
                    $($name => Ok(Self::$variant),)+
                    _ => Err($crate::UnknownName),
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $ty {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                let text = <String as $crate::__serde::Deserialize>::deserialize(deserializer)?;
                text.parse()
                    .map_err(|_| <D::Error as $crate::__serde::de::Error>::unknown_variant(&text, &[$($name),+]))
            }
        }
    };
}

/// A name that is not one of a unit enum's (see `as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownName;

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown name")
    }
}

impl std::error::Error for UnknownName {}

/// Kinds of milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Usage,
    Value,
    Team,
    Time,
    Streak,
    Adoption,
    Custom,
}

names!(Kind { Usage = "usage", Value = "value", Team = "team", Time = "time", Streak = "streak", Adoption = "adoption", Custom = "custom" });

/// Who owns a milestone's counters and award.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One end user.
    #[default]
    User,
    /// A team or customer account.
    Account,
}

names!(Scope { User = "user", Account = "account" });

/// Calendar unit of a streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar days in the subject's time zone.
    Day,
    /// ISO weeks (Monday to Sunday) in the subject's time zone.
    Week,
}

names!(Period { Day = "day", Week = "week" });

/// Where a milestone sits in a user's journey (the activation article's funnel): set up,
/// activated (the first value), a habit (the repeated use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Setup,
    Activation,
    Habit,
}

names!(Stage { Setup = "setup", Activation = "activation", Habit = "habit" });

/// Badge art: an icon name or an image URL, and alt text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Badge {
    /// Name of a built-in icon (`medal`, `flame`, `rocket`, `star`, `users`, `cake`, `trophy`).
    #[serde(default)]
    pub icon: Option<String>,
    /// An `https://` image URL.
    #[serde(default)]
    pub image: Option<String>,
    /// Alternative text for people who cannot see it.
    pub alt: String,
}

/// The glyph a built-in icon is drawn with in the medal (the widget, the share page and its
/// image draw the same ones; fonts every system has cover them); `★` for none or an unknown one.
pub fn icon_glyph(icon: Option<&str>) -> &'static str {
    match icon {
        Some("flame") => "✹",
        Some("rocket") => "➶",
        Some("star") => "✦",
        Some("users") => "☺",
        Some("cake") => "❀",
        Some("trophy") => "♛",
        _ => "★",
    }
}

/// A call to action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cta {
    /// What it asks for.
    pub kind: CtaKind,
    /// Button text.
    pub label: String,
    /// Where it leads (relative, or `https://`).
    #[serde(default)]
    pub url: Option<String>,
}

/// What a call to action asks for (after the growth playbook's tiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtaKind {
    NextFeature,
    Referral,
    Review,
    Upgrade,
    AdvisoryBoard,
    CaseStudy,
}

names!(CtaKind { NextFeature = "next_feature", Referral = "referral", Review = "review", Upgrade = "upgrade", AdvisoryBoard = "advisory_board", CaseStudy = "case_study" });

/// How a milestone may be celebrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    /// Confetti in the app.
    Confetti,
    /// A badge toast and the shelf.
    Badge,
    /// A recap email, after `email_delay_minutes`.
    Email,
    /// An alert to the customer-success team.
    CsmAlert,
    /// A personal note from the team.
    Outreach,
}

names!(Channel { Confetti = "confetti", Badge = "badge", Email = "email", CsmAlert = "csm_alert", Outreach = "outreach" });

/// An instant in an answer: RFC 3339 in UTC, e.g. `2026-11-22T10:00:00Z`, as the server wrote
/// it. [`Time::timestamp`] parses it. Ordered as instants (for UTC text, as the server writes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Time(String);

impl Time {
    /// Wraps RFC 3339 text in UTC that is known to be well formed, such as JavaScript's
    /// `Date.prototype.toISOString()`; anything else comes in through `From<Timestamp>`.
    pub fn from_utc_text(text: String) -> Self {
        Self(text)
    }

    /// The RFC 3339 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Date and time to the second, then the fraction's digits: compared as text, in this
    /// order, they order instants written in UTC (`.5` after `.25`; none before any).
    fn order_key(&self) -> (&str, &str) {
        let text = self.0.trim_end_matches('Z');
        text.split_once('.').unwrap_or((text, ""))
    }

    /// The instant, parsed.
    pub fn timestamp(&self) -> Result<Timestamp, jiff::Error> {
        self.0.parse()
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Self {
        Self(t.to_string())
    }
}

/// Request headers.
pub mod headers {
    /// The project's publishable key (`pk_…`), safe to embed in HTML; with a user token in
    /// `Authorization: Bearer …` on every client (browser) call.
    pub const KEY: &str = "x-cairn-key";
}

/// Longest id (user, account, idempotency key) accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most events in one `POST /v1/events` batch.
pub const MAX_BATCH: usize = 1000;
/// Longest validity of a user token.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// Claims of a user token: an HS256 JWT that the product's backend signs with the project's
/// identity secret, so a browser can only ever act as that user (and that account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaims {
    /// The user's id in the product (1–256 bytes).
    pub sub: String,
    /// Expiry, seconds since the epoch; at most 24 hours ahead.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The user's account (team) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct: Option<String>,
    /// Facts about the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<UserTraits>,
}

/// Facts about a user, from a token or a server event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserTraits {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Sign-up instant (anniversaries count from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// IANA time zone (streak days and anniversaries are local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    /// Preferred locale, e.g. `fr-CA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// `true`: never email this user (recaps, nudges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_opt_out: Option<bool>,
}

/// One event of `POST /v1/events` (server key). A body is one of these, or `{"events": [...]}`
/// with up to [`MAX_BATCH`] of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEvent {
    /// The user's id in the product.
    pub user_id: String,
    /// Metric key.
    pub event: String,
    /// Occurrences for a count metric (default 1); the amount for a sum metric (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// When it happened; the server's clock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Makes retries safe: the same key within 24 hours is answered as a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The user's account: the event also counts for the account (team milestones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Facts about the user to record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserTraits>,
}

/// Answer to `POST /v1/events`: one result per event, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    /// The results.
    pub results: Vec<EventResult>,
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResult {
    /// `accepted`, `duplicate` (seen before: this is the original result) or `rejected`.
    pub status: EventStatus,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// The user's total for the event's metric after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// The account's total for the metric after it, when the event has an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_total: Option<u64>,
    /// The event counted for the user, and its account part is recorded with the user but
    /// not yet applied to the account (which was briefly unreachable): it lands by itself,
    /// once, within seconds. `account_total` and the account's awards are then absent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub account_pending: bool,
    /// Awards it unlocked, the user's and the account's.
    #[serde(default)]
    pub awards: Vec<AwardView>,
}

/// Status of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Accepted,
    Duplicate,
    Rejected,
}

/// Body of `POST /v1/projects` (admin token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Display name.
    pub name: String,
    /// Origins allowed to call the client API, e.g. `https://app.example.com`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

/// Answer to `POST /v1/projects`: the keys are shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedProject {
    /// Project id (`prj_…`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Publishable key (`pk_…`), for the embed.
    pub publishable_key: String,
    /// Secret key (`sk_…`), for the product's servers only; stored hashed.
    pub secret_key: String,
    /// Secret the product's backend signs user tokens with.
    pub identity_secret: String,
    /// Origins allowed to call the client API.
    pub allowed_origins: Vec<String>,
}

/// Body of `POST /v1/client/events`: one event for the calling user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEvent {
    /// Metric key, e.g. `project_created`.
    pub event: String,
    /// Occurrences for a count metric (default 1); the amount for a sum metric (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// When it happened; the server's clock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Makes retries safe: the same key within 24 hours is answered as a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// Answer to `POST /v1/client/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackResponse {
    /// The metric tracked.
    pub metric: String,
    /// The user's total for that metric after this event.
    pub total: u64,
    /// The idempotency key was seen before; this is the original result.
    #[serde(default)]
    pub duplicate: bool,
    /// Milestones newly reached by this event (usually none).
    pub awards: Vec<AwardView>,
}

/// An earned milestone as shown to clients, in the caller's locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardView {
    /// Deterministic award id (`aw_…`).
    pub id: String,
    /// Milestone key, e.g. `projects.10`.
    pub milestone: String,
    /// Its kind.
    pub kind: Kind,
    /// Its tier (`early`, `mid`, `advanced`, or the project's own).
    pub tier: String,
    /// A user's own award, or one of their account's.
    pub scope: Scope,
    /// Title to show, e.g. `10 projects!`.
    pub title: String,
    /// One line of copy.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Badge art.
    pub badge: Badge,
    /// How it may be celebrated.
    pub channels: Vec<Channel>,
    /// The call to action after the celebration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<Cta>,
    /// When it was reached.
    pub achieved_at: Time,
    /// The value that reached it.
    pub value: u64,
    /// Whether to celebrate it (false for imported history, the holdout group and awards
    /// granted retroactively after a definitions change).
    pub celebrate: bool,
    /// Whether this user has acknowledged it (`POST /v1/client/awards/{id}/seen`); an account
    /// award is acknowledged by each member for themselves.
    #[serde(default)]
    pub seen: bool,
}

/// Answer to `GET /v1/client/me`: the calling user's totals, awards and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    /// The user's id.
    pub user_id: String,
    /// Metric key → total.
    pub totals: BTreeMap<String, u64>,
    /// Earned milestones, oldest first.
    pub awards: Vec<AwardView>,
    /// One entry per ladder.
    pub progress: Vec<LadderProgress>,
    /// Milestones not earned yet, with their criteria.
    pub locked: Vec<LockedMilestone>,
    /// Streaks watched by the definitions.
    pub streaks: Vec<StreakProgress>,
    /// The user's account (team), when the caller names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountView>,
}

/// An account's side of `GET /v1/client/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The account's id.
    pub account_id: String,
    /// Metric key → the account's total.
    pub totals: BTreeMap<String, u64>,
    /// Distinct members seen.
    pub members: u64,
    /// The account's awards (`seen` is the calling member's).
    pub awards: Vec<AwardView>,
    /// The account's milestones not earned yet.
    pub locked: Vec<LockedMilestone>,
}

/// Where a user stands on one ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderProgress {
    /// Ladder key.
    pub ladder: String,
    /// Metric it climbs.
    pub metric: String,
    /// What it counts, in words of the caller's locale: the definitions' `<metric>.label`
    /// message, else the metric's name ("projects created").
    #[serde(default)]
    pub label: String,
    /// Every threshold of the ladder, increasing (what a progress ladder draws).
    pub steps: Vec<u64>,
    /// Current total.
    pub current: u64,
    /// Next threshold, `None` at the top.
    pub next: Option<u64>,
    /// How many more to reach `next`, `None` at the top.
    pub remaining: Option<u64>,
    /// Progress from the previous threshold (or 0) to `next`, 0–100; 100 at the top.
    pub percent: u8,
}

/// A milestone not earned yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedMilestone {
    /// Milestone key.
    pub milestone: String,
    /// Its kind.
    pub kind: Kind,
    /// Its tier.
    pub tier: String,
    /// Localized title.
    pub name: String,
    /// What it takes, in plain words of the caller's locale ("10 projects created").
    pub criteria: String,
    /// Current value, where it has one (total, members, streak, metrics adopted).
    pub current: Option<u64>,
    /// Value to reach, where it has one.
    pub target: Option<u64>,
    /// `current` / `target`, 0–100.
    pub percent: u8,
    /// Last instant it can be earned (limited-time badges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_until: Option<Time>,
}

/// A streak in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakProgress {
    /// The metric.
    pub metric: String,
    /// Days or weeks.
    pub period: Period,
    /// Current run (0 once lapsed).
    pub current: u32,
    /// Longest run.
    pub best: u32,
}

/// A message on `GET /v1/client/stream` (a WebSocket), from the server to the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamMessage {
    /// An award for this user or their account, the moment it happens (also the ones triggered
    /// by server-side events and alarms). The same award may also arrive in an HTTP answer: the
    /// widget celebrates each award id once.
    Award {
        /// The award.
        award: AwardView,
    },
}

/// The one error shape of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_body`, `unknown_metric`.
    pub code: String,
    /// Plain message for people.
    pub message: String,
    /// The offending field, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Every problem, when there are several (e.g. invalid definitions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ProblemDetail>,
}

/// One of several problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDetail {
    /// Where, e.g. `milestones[3].threshold`.
    pub path: String,
    /// What, in plain words.
    pub message: String,
}

/// What happened to an award's call to action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtaAction {
    /// It was shown to the user.
    View,
    /// The user followed it.
    Click,
}

names!(CtaAction { View = "view", Click = "click" });

/// Body of `POST /v1/client/awards/{id}/cta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtaRequest {
    pub action: CtaAction,
}

/// Answer to `POST /v1/client/awards/{id}/cta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtaResponse {
    /// The award.
    pub id: String,
    pub action: CtaAction,
    /// Always `true`: recorded; each action counts once per award.
    pub recorded: bool,
}

/// Answer to `POST /v1/client/awards/{id}/seen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenResponse {
    /// The award.
    pub id: String,
    /// Always `true`: recorded (again, harmlessly, if it was before).
    pub seen: bool,
}

/// Answer to `DELETE /v1/users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedResponse {
    pub user_id: String,
    /// Always `true`.
    pub erased: bool,
    /// Accounts that forgot the user as a member (their totals stay, anonymous).
    pub accounts: Vec<String>,
}

/// Body of `POST /v1/milestones/{id}/celebrated`: how a person celebrated an award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CelebratedRequest {
    /// How, e.g. `email`, `gift`, `social_shoutout`, `case_study` (1 to 64 bytes).
    pub celebration_type: String,
    /// Free notes (at most 4,096 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Answer to `POST /v1/milestones/{id}/celebrated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CelebratedResponse {
    pub id: String,
    /// Always `true`.
    pub celebrated: bool,
}

/// Body of `POST /v1/milestones/{key}/award`: exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// Which key `POST /v1/keys/rotate` replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A new identity secret becomes current; the previous one stays valid until retired.
    IdentitySecret,
    /// A new secret key; the old one stops working at once.
    SecretKey,
    /// A new publishable key; the old one stops working at once.
    PublishableKey,
}

/// Body of `POST /v1/keys/rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    pub key: KeyKind,
    /// With `identity_secret`: only retire the previous secrets (the current one is answered).
    #[serde(default)]
    pub retire_previous: bool,
}

/// Answer to `POST /v1/keys/rotate`: the new value, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedKey {
    pub key: KeyKind,
    pub value: String,
}

/// Answer to `GET /v1/demo/token` (local runs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoTokenResponse {
    pub token: String,
}

/// One row of the milestone ledger, as listed by `GET /v1/milestones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// The award id (`aw_…`).
    pub id: String,
    pub project_id: String,
    /// `user` or `account`.
    pub subject_type: String,
    pub subject_id: String,
    pub milestone_key: String,
    /// The milestone's title (in English).
    pub milestone_name: String,
    pub kind: String,
    pub tier: String,
    /// The value that reached it.
    pub value: i64,
    pub achieved_at: String,
    /// Whether it was (to be) celebrated in the app; `false` for retroactive and imported awards.
    #[serde(deserialize_with = "flag")]
    pub celebrate: bool,
    /// Whether the subject is in the holdout group (never celebrated).
    #[serde(deserialize_with = "flag")]
    pub holdout: bool,
    /// When a member first acknowledged it in the widget.
    #[serde(default)]
    pub seen_at: Option<String>,
    /// Whether a person recorded how it was celebrated.
    #[serde(default, deserialize_with = "flag")]
    pub celebrated: bool,
    #[serde(default)]
    pub celebrated_at: Option<String>,
    #[serde(default)]
    pub celebration_type: Option<String>,
    /// Who recorded it (a Slack user as `slack:U…`, a console member as `console:EMAIL`, or
    /// `api`).
    #[serde(default)]
    pub celebrated_by: Option<String>,
    /// The account: an account's own id, or the account a user's event named when they
    /// reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    pub created_at: String,
}

/// A flag written as JSON `true`/`false`, read from that or from a database's `0`/`1`.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(f64),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Number(n) => n != 0.0,
    })
}

/// Answer to `GET /v1/milestones`: one page of ledger rows, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPage {
    pub milestones: Vec<LedgerRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl LadderProgress {
    /// Progress of `current` on a ladder with increasing `thresholds`.
    pub fn of(ladder: &str, metric: &str, thresholds: &[u64], current: u64) -> Self {
        let next = thresholds.iter().copied().find(|&t| t > current);
        let previous = previous_step(thresholds, current);
        let percent = match next {
            None => 100,
            Some(next) => {
                u8::try_from((current - previous) * 100 / (next - previous)).unwrap_or(100)
            }
        };
        Self {
            ladder: ladder.to_owned(),
            metric: metric.to_owned(),
            label: metric.to_owned(),
            steps: thresholds.to_vec(),
            current,
            next,
            remaining: next.map(|n| n - current),
            percent,
        }
    }

    /// The last step reached (0 before the first): where the bar to `next` starts.
    pub fn previous(&self) -> u64 {
        previous_step(&self.steps, self.current)
    }
}

fn previous_step(steps: &[u64], current: u64) -> u64 {
    steps
        .iter()
        .copied()
        .take_while(|&t| t <= current)
        .last()
        .unwrap_or(0)
}

/// `template` with each `{name}` replaced by its value (plain text: no escaping, no logic).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&["{", name, "}"].concat(), value);
    }
    out
}

/// The event types a webhook endpoint can subscribe to (Standard Webhooks `type`).
pub const WEBHOOK_EVENT_TYPES: &[&str] = &[
    "milestone.achieved",
    "milestone.celebrated",
    "milestone.seen",
    "user.stalled",
    "share.created",
    "share.converted",
];

/// Body of `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: `https://…` (at most 2,048 bytes).
    pub url: String,
    /// Event types to deliver (default: all of [`WEBHOOK_EVENT_TYPES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// Free text for people (at most 256 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Body of `PATCH /v1/webhooks/{id}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `true` re-enables an endpoint the worker disabled (and forgets its failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A webhook endpoint as the API shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// `ep_…`.
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why the worker disabled it (`410 Gone`, five days of failures).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Since when every delivery failed (RFC 3339), if the last one did.
    #[serde(default)]
    pub failing_since: Option<String>,
    /// Whether a previous secret still signs too (a rotation's overlap), and until when.
    #[serde(default)]
    pub previous_secret_until: Option<String>,
    pub created_at: String,
}

/// Answer to `POST /v1/webhooks` and `POST /v1/webhooks/{id}/rotate`: the signing secret,
/// shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify deliveries with it (Standard Webhooks). Never shown again.
    pub secret: String,
}

/// Body of `POST /v1/webhooks/{id}/rotate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateWebhookSecret {
    /// How long the old secret keeps signing beside the new one (0 to 168 hours; default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_hours: Option<u32>,
}

/// `GET /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookList {
    pub endpoints: Vec<WebhookEndpoint>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// 1, 2, …
    pub attempt: i64,
    pub at: String,
    /// The HTTP status the endpoint answered; `None` when it did not answer (or timed out).
    #[serde(default)]
    pub status: Option<u16>,
    pub latency_ms: i64,
    #[serde(default)]
    pub error: Option<String>,
    /// When the next attempt was scheduled, if one was.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
}

/// One delivery (a job): one event to one endpoint, its `webhook-id`, and every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The `webhook-id` header, the same on every attempt (`msg_…`).
    pub id: String,
    /// `webhook`, `slack`, `loops` (a celebration email), `recap`, `posthog`, `intercom`.
    pub channel: String,
    /// `user:ID` or `account:ID`.
    pub subject: String,
    pub event_type: String,
    pub award_id: String,
    /// `pending`, `delivered`, `failed` or `skipped`.
    pub state: String,
    /// Why it failed or was skipped.
    #[serde(default)]
    pub reason: Option<String>,
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next attempt is due, while pending.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    /// Pass as `cursor` for the next (older) page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// What a webhook delivery's body is (Standard Webhooks' payload shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// One of [`WEBHOOK_EVENT_TYPES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened (RFC 3339).
    pub timestamp: String,
    /// The award, as the ledger has it (`holdout: true` for the holdout group).
    pub data: LedgerRow,
}

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `PUT /v1/integrations`: each provider given is replaced, `null` disconnects it,
/// and the ones not named stay as they are. Secrets are stored sealed and never returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsUpdate {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub slack: Option<Option<SlackSettings>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub loops: Option<Option<LoopsSettings>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub posthog: Option<Option<PostHogSettings>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub intercom: Option<Option<IntercomSettings>>,
}

/// Slack: a bot token and a channel (messages can then be updated in place), or an incoming
/// webhook URL; and the app's signing secret (for its buttons).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// `xoxb-…` (secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<String>,
    /// Channel id (`C…`) the bot posts alerts to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Instead of a bot: an incoming webhook URL (secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The Slack app's signing secret (secret): verifies its button clicks.
    pub signing_secret: String,
    /// Also alert for holdout accounts (default `false`: nothing reaches the customer side
    /// for the holdout group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_holdout: Option<bool>,
    /// Slack's Web API (default `https://slack.com/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

/// Loops (transactional email).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopsSettings {
    /// Loops API key (secret).
    pub api_key: String,
    /// Transactional email ids: `celebration` and `social_permission` (the Slack buttons),
    /// `recap` (and `recap.{tier}` or `recap.{milestone}` to override it).
    pub transactional_ids: std::collections::BTreeMap<String, String>,
    /// Loops' API (default `https://app.loops.so/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

/// PostHog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogSettings {
    /// The project API key (`phc_…`; stored sealed like every credential).
    pub api_key: String,
    /// Ingestion host (default `https://us.i.posthog.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Intercom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomSettings {
    /// Access token (secret).
    pub access_token: String,
    /// Intercom's API (default `https://api.intercom.io`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

/// `GET /v1/integrations` (and the answer to `PUT`): what is connected, never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsView {
    pub integrations: Vec<IntegrationView>,
}

/// One provider's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationView {
    /// `slack`, `loops`, `posthog` or `intercom`.
    pub provider: String,
    pub connected: bool,
    /// The settings that are not secrets (channel, URLs, ids), as text.
    pub settings: std::collections::BTreeMap<String, String>,
    /// The secrets that are set, by name (their values are never returned).
    pub secrets_set: Vec<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Body of `PUT /v1/accounts/{id}`: what the product's backend knows about a customer
/// account (shown in the CSM's alert and the console). Replaces what was there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountTraits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When they became a customer (RFC 3339 date or instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Annual recurring revenue, in the currency's major unit (e.g. dollars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arr: Option<f64>,
    /// ISO 4217 code of `arr` (default `USD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csm_name: Option<String>,
    /// The CSM's Slack user id (`U…`), mentioned in alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csm_slack_id: Option<String>,
    /// Who receives the celebration emails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_emails: Vec<String>,
}

/// Answer to `PUT /v1/accounts/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub account_id: String,
    pub traits: AccountTraits,
    pub updated_at: String,
}

/// One suggested way to recognise a milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionView {
    /// `email`, `social`, `gift`, `case_study`, `beta_access`, `certificate`.
    pub id: String,
    /// Slack emoji shortcode.
    pub emoji: String,
    pub text: String,
}

/// A ready-to-send email, rendered with the milestone's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailTemplate {
    pub subject: String,
    pub body: String,
}

/// `GET /v1/milestones/{id}/suggestions`: how a person might celebrate this award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestions {
    pub award_id: String,
    pub suggestions: Vec<SuggestionView>,
    /// The congratulations email.
    pub email: EmailTemplate,
    /// Asking permission to celebrate the customer in public.
    pub social_permission: EmailTemplate,
}

/// `POST /v1/client/shares`: the user makes one of their badges public (this call is their
/// consent). Sharing an award again reuses its page and updates the message and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The award (`aw_…`): the user's own, or their account's.
    pub award_id: String,
    /// The message shown on the page (at most 500 characters).
    #[serde(default)]
    pub message: String,
    /// The name shown on the page and the credential (at most 64 characters); none: the page
    /// names nobody.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A public badge and every link to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareView {
    /// `sh_…`, unguessable.
    pub share_id: String,
    pub award_id: String,
    pub milestone: String,
    /// The public page.
    pub url: String,
    /// Its 1200×630 preview image.
    pub image_url: String,
    /// The Open Badges 3.0 credential (VC-JWT).
    pub credential_url: String,
    /// LinkedIn's "Add to profile" (a certification).
    pub linkedin_add_url: String,
    /// LinkedIn's share dialog (reads the page's Open Graph tags).
    pub linkedin_share_url: String,
    /// X's post intent with the message and the page.
    pub x_url: String,
    pub message: String,
    pub display_name: Option<String>,
    pub created_at: String,
}

/// `GET /v1/client/shares`: the calling user's public badges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharesList {
    pub shares: Vec<ShareView>,
}

/// `POST /v1/client/attribution`: the widget reports that the identified user arrived through
/// a share (the `cairn_ref` it kept for 30 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientAttribution {
    #[serde(rename = "ref")]
    pub share_ref: String,
}

/// `POST /v1/attributions` (secret key): the product's backend reports a signup that came
/// through a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerAttribution {
    pub user_id: String,
    #[serde(rename = "ref")]
    pub share_ref: String,
}

/// Whether a reported signup counted for its share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionResult {
    pub share_id: String,
    pub counted: bool,
    /// Why not: `self_referral` (the sharer), `not_new` (Cairn knew this user already),
    /// `already_attributed` (a user counts once, for the first share reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Shares, visits and signups of one share or one milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareFunnel {
    pub shares: u64,
    /// Visitors counted once per day per share; known bots are not counted.
    pub visits: u64,
    pub signups: u64,
    /// `signups / visits`; `None` before the first visit.
    pub conversion_rate: Option<f64>,
}

/// One share's line of `GET /v1/shares/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareStatsRow {
    pub share_id: String,
    pub award_id: String,
    pub milestone: String,
    pub created_at: String,
    pub revoked: bool,
    #[serde(flatten)]
    pub funnel: ShareFunnel,
}

/// `GET /v1/shares/stats` (secret key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareStats {
    pub total: ShareFunnel,
    /// Milestone key → its funnel.
    pub milestones: BTreeMap<String, ShareFunnel>,
    /// Newest first.
    pub shares: Vec<ShareStatsRow>,
}

/// `PUT /v1/brand` (secret key): how the project presents itself on public badge pages and
/// credentials. Every field optional; colours are `#rrggbb`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    /// The product's site (`https://`): the pages' call to action and the issuer's link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// An `https://` logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `POST /v1/issuer/keys/rotate` (secret key): the new signing key; the previous one stays
/// published (its credentials still verify).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedIssuerKey {
    pub kid: String,
    pub previous: Option<String>,
    pub jwks_url: String,
}

/// One arm of a retention comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetentionArm {
    /// Users in the arm whose day has passed (the fixed horizon).
    pub users: u64,
    /// Of them, how many returned on that day.
    pub returned: u64,
    /// `returned / users`; absent with no users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// What a retention comparison says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Too few users for the normal approximation (fewer than 30 in an arm, or fewer than 5
    /// returns or non-returns in one): no verdict.
    NotEnoughUsers,
    /// The 95 % interval of the difference is above 0.
    CelebratedRetainBetter,
    /// The 95 % interval of the difference is below 0.
    CelebratedRetainWorse,
    /// The 95 % interval contains 0 (see the minimum detectable effect).
    NoDetectableDifference,
}

/// Celebrated against holdout users on one day after a milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionComparison {
    /// 1, 7 or 30: the day after the milestone.
    pub day: u32,
    pub celebrated: RetentionArm,
    pub holdout: RetentionArm,
    /// Celebrated rate minus holdout rate (absolute, 0.05 = 5 points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    /// The difference's 95 % confidence interval (two proportions, unpooled normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// The smallest absolute difference these sample sizes detect with 80 % power at the 5 %
    /// level (two-sided, pooled rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mde: Option<f64>,
    pub verdict: Verdict,
}

/// One milestone's (or all first milestones') retention comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneImpact {
    /// The milestone's key; `*` for each user's first compared milestone.
    pub milestone_key: String,
    pub milestone_name: String,
    pub tier: String,
    /// D1, D7 and D30.
    pub retention: Vec<RetentionComparison>,
    /// Awards followed by a conversion event (metrics with `conversion = true`) within 14
    /// days, celebrated against holdout (`day` 14; `returned` counts the converted). Absent
    /// when the definitions have no conversion metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<RetentionComparison>,
    /// The call to action's click-through (absent for `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<CtaStats>,
    /// Shares and what they brought (absent for `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<MilestoneShares>,
}

/// Answer to `GET /v1/analytics/impact`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpactResponse {
    /// The instant the fixed horizons were computed at.
    pub as_of: String,
    /// Each user's first compared milestone, then every milestone with compared awards.
    pub milestones: Vec<MilestoneImpact>,
}

/// What a console member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// And records celebrations.
    Csm,
    /// And invites members, publishes definitions.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Csm => "csm",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "csm" => Some(Self::Csm),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

/// Body of `POST /v1/console/members`: who to invite, as what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The member's email address (their identity in the console).
    pub email: String,
    pub role: Role,
    /// With the admin token: the project to invite to (a secret key or an owner's session
    /// names its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

/// Answer to `POST /v1/console/members`: the member and their one-time sign-in link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub email: String,
    pub role: Role,
    /// Opens the console signed in, once, until `expires_at`.
    pub sign_in_url: String,
    pub expires_at: String,
    /// Whether the link is also on its way by email (Loops connected with a
    /// `console_invite` transactional email).
    #[serde(default)]
    pub emailed: bool,
}

/// A member of a project's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: String,
}

/// Answer to `GET /v1/console/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    pub members: Vec<Member>,
}

/// Body of `POST /v1/console/sessions`: the token of a sign-in link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub token: String,
}

/// Answer to `POST /v1/console/sessions` and `GET /v1/console/session`: who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub project_id: String,
    pub project_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
}

/// A customer account's context, beside its milestones in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountContext {
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csm_name: Option<String>,
}

/// One row of the console's milestone feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    #[serde(flatten)]
    pub milestone: LedgerRow,
    /// The account: the subject itself, or the user's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountContext>,
    /// Days from the account becoming a customer to the milestone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_as_customer: Option<i64>,
}

/// Answer to `GET /v1/console/feed`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Pass as `cursor` for the next (older) page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where marketing stands with an account about a case study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStudyStatus {
    Asked,
    Agreed,
    Declined,
}

impl CaseStudyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asked => "asked",
            Self::Agreed => "agreed",
            Self::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asked" => Some(Self::Asked),
            "agreed" => Some(Self::Agreed),
            "declined" => Some(Self::Declined),
            _ => None,
        }
    }
}

/// Body of `PUT /v1/console/case-studies/{account_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseStudyUpdate {
    pub status: CaseStudyStatus,
    /// At most 1,000 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One case-study candidate: an account, what it reached, and where marketing stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStudyCandidate {
    pub account: AccountContext,
    /// Advanced-tier milestones of the account and its users.
    pub advanced: u64,
    pub mid: u64,
    /// All its milestones.
    pub total: u64,
    pub latest_at: String,
    /// The ranking's score (`cairn_core::candidates`).
    pub score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStudyStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_at: Option<String>,
}

/// Answer to `GET /v1/console/case-studies`: best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStudies {
    pub candidates: Vec<CaseStudyCandidate>,
}

/// Time to first milestone for the users who started in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstMilestoneWeek {
    /// The week's Monday (UTC), `YYYY-MM-DD`.
    pub signup_week: String,
    /// Users who started that week and reached a milestone live.
    pub users: u64,
    /// Whole hours from a user's first event to their first milestone: nearest-rank quantiles.
    pub p50_hours: u64,
    pub p75_hours: u64,
    pub p90_hours: u64,
}

/// Users who reached a tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierReach {
    pub tier: String,
    pub users: u64,
    /// `users` over the users with any milestone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// Answer to `GET /v1/analytics/progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressResponse {
    /// Oldest week first.
    pub time_to_first: Vec<FirstMilestoneWeek>,
    /// Users with any milestone.
    pub users: u64,
    /// `early`, `mid`, `advanced`, then other tiers by name.
    pub tiers: Vec<TierReach>,
    /// Users with any event, then the setup → activation → habit funnel.
    #[serde(default)]
    pub funnel: Vec<FunnelStep>,
}

/// One step of the setup → activation → habit funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    /// `started` (any event), `setup`, `activation` or `habit`.
    pub step: String,
    /// Users who reached a milestone of the stage (for `started`: sent any event).
    pub users: u64,
    /// Of the previous step's users, the share who reached this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<f64>,
    /// Users of the previous step who have not reached this one (stalled, or still on
    /// their way): `previous − users`, at least 0.
    pub stalled: u64,
}

/// Clicks on a milestone's call to action after it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CtaStats {
    /// Awards whose call to action was shown (once each).
    pub views: u64,
    /// Awards whose call to action was clicked (once each).
    pub clicks: u64,
    /// `clicks / views`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click_through: Option<f64>,
}

/// How a milestone's badges were shared, and what their public pages brought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneShares {
    /// Celebrated awards (the users who were offered to share it).
    pub celebrated: u64,
    /// `shares / celebrated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_rate: Option<f64>,
    /// Shares (a public page made; revoked ones included), their visits and signups.
    #[serde(flatten)]
    pub funnel: ShareFunnel,
}

/// Answer to `GET /v1/analytics/ladder`: a metric's totals, the days to reach them, and the
/// ladder a set of thresholds would have made, computed from the recorded history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LadderResponse {
    pub metric: String,
    pub metric_name: String,
    /// The metrics with recorded totals (to choose from).
    pub metrics: Vec<String>,
    /// Users with at least one event of the metric.
    pub users: u64,
    /// The distribution, on the histogram's grid (1–9, then 10, 12, 15, 20, 25, 30, 40, 50,
    /// 60, 70, 80, 90 in each decade), up to the highest total reached.
    pub rungs: Vec<LadderRung>,
    /// The user thresholds of the live definitions on this metric.
    pub current: Vec<u64>,
    /// The thresholds asked for (`?thresholds=`, default `current`), as they would have been.
    pub simulated: Vec<SimulatedRung>,
    /// Thresholds the distribution suggests, and how they are chosen.
    pub suggested: Vec<SuggestedRung>,
    pub suggestion_rule: String,
}

/// One value of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LadderRung {
    pub value: u64,
    /// Users whose total reached it.
    pub reached: u64,
    /// `reached / users`.
    pub share: f64,
    /// Users whose total is at least this value and below the grid's next one.
    pub at_total: u64,
    /// Days from the user's first event to reaching it: median and 90th percentile
    /// (nearest rank; 365 means a year or more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_p50: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_p90: Option<u64>,
}

/// A threshold, as the recorded history says it would have gone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimulatedRung {
    pub threshold: u64,
    /// Users who would have reached it: exact when the threshold is on the grid (`exact`),
    /// otherwise between `reached_min` (those who reached the grid's next value) and
    /// `reached` (those who reached the grid value below).
    pub reached: u64,
    pub reached_min: u64,
    pub exact: bool,
    /// `reached / users`.
    pub share: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_p50: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_p90: Option<u64>,
}

/// A suggested threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SuggestedRung {
    pub threshold: u64,
    /// The share of the metric's users it aims to be reached by.
    pub target: f64,
    /// The share who reached it.
    pub share: f64,
}
