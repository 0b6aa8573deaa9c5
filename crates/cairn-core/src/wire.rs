//! The wire types — every JSON shape that crosses HTTP, defined in `cairn-wire` and re-exported
//! here — and how the engine builds the answers from a subject's state.

pub use cairn_wire::*;

use jiff::Timestamp;

use crate::definitions::Compiled;
use crate::engine::{Award, Subject, SubjectState};
use crate::progress;

/// Answer to `PUT /v1/definitions` and `GET /v1/definitions` (it carries the engine's own
/// definitions model, so it lives here rather than in `cairn-wire`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DefinitionsResponse {
    /// Version number (1, 2, …); every `PUT` creates a new one.
    pub version: i64,
    /// The definitions.
    pub definitions: crate::definitions::Definitions,
    /// The text it was published as, when that was TOML (the console's editor shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// The view of `award` in `locale`.
pub fn award_view(defs: &Compiled, award: &Award, locale: &str) -> AwardView {
    let m = defs.milestone(&award.milestone);
    AwardView {
        id: award.id.clone(),
        milestone: award.milestone.clone(),
        kind: award.kind,
        tier: award.tier.clone(),
        scope: award.scope,
        title: m.map_or_else(
            || award.milestone.clone(),
            |m| progress::title(defs, m, locale),
        ),
        description: m
            .map(|m| progress::description(defs, m, locale))
            .unwrap_or_default(),
        badge: m.map_or_else(
            || Badge {
                icon: Some("star".into()),
                image: None,
                alt: crate::phrases::Phrases::for_chain(defs.locale_chain(locale))
                    .alt(Kind::Custom)
                    .into(),
            },
            |m| progress::badge(defs, m, locale),
        ),
        channels: m.map(|m| m.policy.channels.clone()).unwrap_or_default(),
        cta: m.and_then(|m| progress::cta(defs, m, locale)),
        achieved_at: award.achieved_at.into(),
        value: award.value,
        celebrate: award.celebrate,
        seen: false,
    }
}

/// The view of `state` for user `subject` under `defs`, in `locale`, as of `now`.
pub fn me_view(
    defs: &Compiled,
    subject: Subject<'_>,
    state: &SubjectState,
    now: Timestamp,
    locale: &str,
) -> MeResponse {
    let mut earned: Vec<Award> = state
        .earned
        .keys()
        .filter_map(|milestone| state.award(defs, subject, milestone))
        .collect();
    earned.sort_by(|a, b| {
        (a.achieved_at, a.value, &a.milestone).cmp(&(b.achieved_at, b.value, &b.milestone))
    });
    MeResponse {
        user_id: subject.id.to_owned(),
        totals: state.totals.clone(),
        awards: earned
            .iter()
            .map(|award| award_view(defs, award, locale))
            .collect(),
        progress: progress::ladders(defs, state, locale),
        locked: progress::locked(defs, state, subject.scope, now, locale),
        streaks: progress::streaks(defs, state, now),
        account: None,
    }
}

/// The view of account `subject`'s `state`.
pub fn account_view(
    defs: &Compiled,
    subject: Subject<'_>,
    state: &SubjectState,
    now: Timestamp,
    locale: &str,
) -> AccountView {
    let me = me_view(defs, subject, state, now, locale);
    AccountView {
        account_id: subject.id.to_owned(),
        totals: me.totals,
        members: state.members.len() as u64,
        awards: me.awards,
        locked: me.locked,
    }
}
