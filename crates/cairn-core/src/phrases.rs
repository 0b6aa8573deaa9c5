//! Cairn's own words in the languages it ships: the criteria of locked milestones, the default
//! calls to action and the default badges' alt texts. (A project's own words — titles,
//! descriptions, metric labels, its own CTA labels and alt texts — come from its definitions'
//! `messages`; these are what shows when it has none.)
//!
//! Built in: English, French and Arabic, the languages of the widget's own strings. Any other
//! locale falls back along its chain (`fr-CA` → `fr` → `en`).

use crate::definitions::{CtaKind, Kind, Period};

/// A unit of time, singular and plural.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    pub one: &'static str,
    pub other: &'static str,
}

impl Unit {
    /// The form that goes with `n`. (Arabic has more plural forms than two; the plural is used
    /// from 2 on, which reads correctly with digits.)
    pub fn of(&self, n: u64) -> &'static str {
        if n == 1 { self.one } else { self.other }
    }
}

/// Criteria templates use `{count}`, `{name}` (a metric's label), `{unit}`, `{names}` and
/// `{title}`, filled by [`crate::messages::fill`].
#[derive(Debug)]
pub struct Phrases {
    /// BCP 47 language.
    pub lang: &'static str,
    pub total: &'static str,
    pub team_total: &'static str,
    pub members: &'static str,
    pub since_start: &'static str,
    pub since_account_start: &'static str,
    pub streak: &'static str,
    pub freezes: &'static str,
    pub adoption: &'static str,
    /// Separates the items of a list but the last two ("a, b and c").
    pub comma: &'static str,
    /// Joins the last two of a list.
    pub and: &'static str,
    pub custom: &'static str,
    pub after: &'static str,
    pub year: Unit,
    pub month: Unit,
    pub day: Unit,
    pub week: Unit,
    /// Default CTA labels, as [`cta`](Self::cta) reads them.
    ctas: [(CtaKind, &'static str); 6],
    /// Default badges' alt texts, by kind.
    alts: [(Kind, &'static str); 7],
}

impl Phrases {
    /// The built-in phrases of the first language of `chain` that Cairn ships (English at the
    /// latest).
    pub fn for_chain<'a>(chain: impl IntoIterator<Item = &'a str>) -> &'static Phrases {
        chain
            .into_iter()
            .find_map(|l| ALL.iter().find(|p| p.lang == l).copied())
            .unwrap_or(&EN)
    }

    pub fn period(&self, period: Period) -> Unit {
        match period {
            Period::Day => self.day,
            Period::Week => self.week,
        }
    }

    /// The label of the default call to action of `kind`.
    pub fn cta(&self, kind: CtaKind) -> &'static str {
        pick(&self.ctas, kind)
    }

    /// The alt text of the default badge of `kind`.
    pub fn alt(&self, kind: Kind) -> &'static str {
        pick(&self.alts, kind)
    }
}

fn pick<K: PartialEq + Copy>(table: &[(K, &'static str)], key: K) -> &'static str {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, text)| text)
}

/// Every built-in language.
pub const ALL: &[&Phrases] = &[&EN, &FR, &AR];

pub const EN: Phrases = Phrases {
    lang: "en",
    total: "{count} {name}",
    team_total: "Your team: {count} {name}",
    members: "Your team grows to {count} members",
    since_start: "{count} {unit} since your start",
    since_account_start: "{count} {unit} since your account's start",
    streak: "{name} on {count} {unit} in a row",
    freezes: "({count} missed {unit} forgiven)",
    adoption: "Use each of: {names}",
    comma: ", ",
    and: " and ",
    custom: "Awarded by the team",
    after: ", after earning \u{201c}{title}\u{201d}",
    year: Unit {
        one: "year",
        other: "years",
    },
    month: Unit {
        one: "month",
        other: "months",
    },
    day: Unit {
        one: "day",
        other: "days",
    },
    week: Unit {
        one: "week",
        other: "weeks",
    },
    ctas: [
        (CtaKind::NextFeature, "Try the next feature"),
        (CtaKind::Referral, "Invite a teammate"),
        (CtaKind::Review, "Leave a review"),
        (CtaKind::Upgrade, "See the plans"),
        (CtaKind::AdvisoryBoard, "Join the advisory board"),
        (CtaKind::CaseStudy, "Tell your story"),
    ],
    alts: [
        (Kind::Usage, "A medal"),
        (Kind::Value, "A medal"),
        (Kind::Team, "A group of people"),
        (Kind::Time, "A birthday cake"),
        (Kind::Streak, "A flame"),
        (Kind::Adoption, "A rocket"),
        (Kind::Custom, "A star"),
    ],
};

pub const FR: Phrases = Phrases {
    lang: "fr",
    total: "{count} {name}",
    team_total: "Votre équipe\u{a0}: {count} {name}",
    members: "Votre équipe atteint {count} membres",
    since_start: "{count} {unit} depuis vos débuts",
    since_account_start: "{count} {unit} depuis les débuts de votre compte",
    streak: "{name}\u{a0}: {count} {unit} d\u{2019}affilée",
    freezes: "({count} {unit} de répit)",
    adoption: "Utiliser chacun de\u{a0}: {names}",
    comma: ", ",
    and: " et ",
    custom: "Décerné par l\u{2019}équipe",
    after: ", après avoir obtenu «\u{a0}{title}\u{a0}»",
    year: Unit {
        one: "an",
        other: "ans",
    },
    month: Unit {
        one: "mois",
        other: "mois",
    },
    day: Unit {
        one: "jour",
        other: "jours",
    },
    week: Unit {
        one: "semaine",
        other: "semaines",
    },
    ctas: [
        (CtaKind::NextFeature, "Essayer la fonction suivante"),
        (CtaKind::Referral, "Inviter un collègue"),
        (CtaKind::Review, "Laisser un avis"),
        (CtaKind::Upgrade, "Voir les offres"),
        (CtaKind::AdvisoryBoard, "Rejoindre le comité consultatif"),
        (CtaKind::CaseStudy, "Racontez votre histoire"),
    ],
    alts: [
        (Kind::Usage, "Une médaille"),
        (Kind::Value, "Une médaille"),
        (Kind::Team, "Un groupe de personnes"),
        (Kind::Time, "Un gâteau d\u{2019}anniversaire"),
        (Kind::Streak, "Une flamme"),
        (Kind::Adoption, "Une fusée"),
        (Kind::Custom, "Une étoile"),
    ],
};

pub const AR: Phrases = Phrases {
    lang: "ar",
    total: "{count} {name}",
    team_total: "فريقك: {count} {name}",
    members: "يصل فريقك إلى {count} أعضاء",
    since_start: "{count} {unit} منذ بدايتك",
    since_account_start: "{count} {unit} منذ بداية حسابك",
    streak: "{name}: {count} {unit} متتالية",
    freezes: "({count} {unit} سماح)",
    adoption: "استخدم كلًّا من: {names}",
    comma: "، ",
    and: " و",
    custom: "يمنحها الفريق",
    after: "، بعد الحصول على «{title}»",
    year: Unit {
        one: "سنة",
        other: "سنوات",
    },
    month: Unit {
        one: "شهر",
        other: "أشهر",
    },
    day: Unit {
        one: "يوم",
        other: "أيام",
    },
    week: Unit {
        one: "أسبوع",
        other: "أسابيع",
    },
    ctas: [
        (CtaKind::NextFeature, "جرّب الميزة التالية"),
        (CtaKind::Referral, "ادعُ زميلًا"),
        (CtaKind::Review, "اكتب مراجعة"),
        (CtaKind::Upgrade, "اطّلع على الخطط"),
        (CtaKind::AdvisoryBoard, "انضم إلى المجلس الاستشاري"),
        (CtaKind::CaseStudy, "شارك قصتك"),
    ],
    alts: [
        (Kind::Usage, "ميدالية"),
        (Kind::Value, "ميدالية"),
        (Kind::Team, "مجموعة من الأشخاص"),
        (Kind::Time, "كعكة عيد ميلاد"),
        (Kind::Streak, "شعلة"),
        (Kind::Adoption, "صاروخ"),
        (Kind::Custom, "نجمة"),
    ],
};
