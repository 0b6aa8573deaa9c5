//! Suggested ways for a person to recognise a milestone (PRD-114 FR-2.2, FR-2.3, US-2): the
//! "celebration ideas" of the CSM's alert, by kind of milestone (more for advanced tiers), and
//! the two emails a CSM sends from it. Built in for English, French and Arabic; a project
//! chooses the ideas per kind (`[suggestions.<kind>] ideas = [...]`) and overrides any text in
//! `messages` (`suggestion.<id>`, `email.<which>.subject|body`), validated with the rest of
//! the definitions.

use crate::definitions::{Compiled, Kind};

/// One way to celebrate, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Stable id: `email`, `social`, `gift`, `case_study`, `beta_access`, `certificate`, or a
    /// project's own.
    pub id: String,
    /// Slack emoji shortcode shown beside it.
    pub emoji: &'static str,
    pub text: String,
}

/// The built-in ideas' ids.
pub const BUILTIN: &[&str] = &[
    "email",
    "social",
    "gift",
    "case_study",
    "beta_access",
    "certificate",
];

/// Whether `id` is a built-in idea.
pub fn is_builtin(id: &str) -> bool {
    BUILTIN.contains(&id)
}

fn emoji(id: &str) -> &'static str {
    match id {
        "email" => ":email:",
        "social" => ":bird:",
        "gift" => ":gift:",
        "case_study" => ":memo:",
        "beta_access" => ":rocket:",
        "certificate" => ":mortar_board:",
        _ => ":sparkles:",
    }
}

/// A built-in idea's text in `lang` (`en`, `fr`, `ar`).
fn builtin_text(id: &str, lang: &str) -> Option<&'static str> {
    Some(match (id, lang) {
        ("email", "en") => "Send congratulations email",
        ("social", "en") => "Social media shoutout (with permission)",
        ("gift", "en") => "Consider milestone gift",
        ("case_study", "en") => "Invite to case study participation",
        ("beta_access", "en") => "Offer early access to a beta feature",
        ("certificate", "en") => "Send a certificate of full adoption",
        ("email", "fr") => "Envoyer un e-mail de félicitations",
        ("social", "fr") => "Le saluer sur les réseaux sociaux (avec sa permission)",
        ("gift", "fr") => "Envisager un cadeau pour l'étape",
        ("case_study", "fr") => "Proposer de participer à une étude de cas",
        ("beta_access", "fr") => "Offrir un accès anticipé à une fonctionnalité bêta",
        ("certificate", "fr") => "Envoyer un certificat d'adoption complète",
        ("email", "ar") => "أرسل رسالة تهنئة بالبريد الإلكتروني",
        ("social", "ar") => "إشادة على وسائل التواصل الاجتماعي (بإذن)",
        ("gift", "ar") => "فكّر في هدية بهذه المناسبة",
        ("case_study", "ar") => "ادعُه للمشاركة في دراسة حالة",
        ("beta_access", "ar") => "اعرض وصولًا مبكرًا إلى ميزة تجريبية",
        ("certificate", "ar") => "أرسل شهادة اعتماد كامل",
        _ => return None,
    })
}

/// The default ideas for a milestone of `kind`; `advanced` (the highest tiers) adds the
/// case-study invitation and beta access where they fit.
pub fn defaults(kind: Kind, advanced: bool) -> Vec<&'static str> {
    let mut out = match kind {
        Kind::Time | Kind::Usage | Kind::Value | Kind::Team => vec!["email", "social", "gift"],
        Kind::Adoption => vec!["email", "certificate", "social"],
        Kind::Streak | Kind::Custom => vec!["email", "social"],
    };
    if advanced || matches!(kind, Kind::Value | Kind::Time) {
        out.push("case_study");
    }
    if advanced {
        out.push("beta_access");
    }
    out
}

/// The languages to try for `locale`: its chain in `defs`, each also as its primary subtag.
fn langs<'a>(defs: &'a Compiled, locale: &'a str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for l in defs.locale_chain(locale) {
        for candidate in [l, l.split('-').next().unwrap_or(l)] {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    if !out.contains(&"en") {
        out.push("en");
    }
    out
}

/// The ideas for a milestone of `kind` in `locale`: the project's choice for the kind, else the
/// defaults; each text from `messages` (`suggestion.<id>`), else built in.
pub fn ideas(defs: &Compiled, kind: Kind, advanced: bool, locale: &str) -> Vec<Suggestion> {
    let ids: Vec<String> = match defs.suggestion_ids(kind) {
        Some(ids) => ids.to_vec(),
        None => defaults(kind, advanced)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    let langs = langs(defs, locale);
    ids.into_iter()
        .map(|id| {
            // Language by language: the project's words, then Cairn's.
            let key = format!("suggestion.{id}");
            let text = langs
                .iter()
                .find_map(|l| defs.message_exact(&key, l).or_else(|| builtin_text(&id, l)))
                .map_or_else(|| id.clone(), str::to_owned);
            Suggestion {
                emoji: emoji(&id),
                id,
                text,
            }
        })
        .collect()
}

/// The two emails: the congratulations and the social-permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Email {
    Congratulations,
    SocialPermission,
}

/// Message keys of the emails.
pub const EMAIL_KEYS: &[&str] = &[
    "email.congratulations.subject",
    "email.congratulations.body",
    "email.social_permission.subject",
    "email.social_permission.body",
];

/// Placeholders the emails may use.
pub const EMAIL_PLACEHOLDERS: &[&str] = &["customer", "milestone", "date", "product"];

fn builtin_email(which: Email, lang: &str) -> Option<(&'static str, &'static str)> {
    Some(match (which, lang) {
        (Email::Congratulations, "en") => (
            "Congratulations on {milestone}!",
            "Hi {customer} team,\n\nYou reached {milestone} on {date}. That is a real achievement, and we wanted to say thank you for building with {product}.\n\nWith our congratulations,\nThe {product} team",
        ),
        (Email::SocialPermission, "en") => (
            "May we celebrate {milestone} in public?",
            "Hi {customer} team,\n\nYou reached {milestone} on {date}, and we would love to celebrate it on our social channels. Would you be happy for us to mention {customer}? Just reply to this email; nothing is posted without your yes.\n\nThe {product} team",
        ),
        (Email::Congratulations, "fr") => (
            "Félicitations pour {milestone} !",
            "Bonjour l'équipe {customer},\n\nVous avez atteint {milestone} le {date}. C'est une vraie réussite, et nous tenions à vous remercier de construire avec {product}.\n\nToutes nos félicitations,\nL'équipe {product}",
        ),
        (Email::SocialPermission, "fr") => (
            "Pouvons-nous célébrer {milestone} publiquement ?",
            "Bonjour l'équipe {customer},\n\nVous avez atteint {milestone} le {date}, et nous aimerions le célébrer sur nos réseaux sociaux. Accepteriez-vous que nous mentionnions {customer} ? Répondez simplement à cet e-mail : rien ne sera publié sans votre accord.\n\nL'équipe {product}",
        ),
        (Email::Congratulations, "ar") => (
            "تهانينا على {milestone}!",
            "مرحبًا فريق {customer}،\n\nلقد بلغتم {milestone} في {date}. إنه إنجاز حقيقي، ونودّ أن نشكركم على البناء مع {product}.\n\nمع أطيب التهاني،\nفريق {product}",
        ),
        (Email::SocialPermission, "ar") => (
            "هل يمكننا الاحتفال بـ {milestone} علنًا؟",
            "مرحبًا فريق {customer}،\n\nلقد بلغتم {milestone} في {date}، ويسعدنا أن نحتفل بذلك على قنواتنا الاجتماعية. هل توافقون على أن نذكر {customer}؟ يكفي الرد على هذه الرسالة؛ لن يُنشر شيء دون موافقتكم.\n\nفريق {product}",
        ),
        _ => return None,
    })
}

/// `which` email's `(subject, body)` templates in `locale`: `messages` first, else built in.
pub fn email(defs: &Compiled, which: Email, locale: &str) -> (String, String) {
    let name = match which {
        Email::Congratulations => "congratulations",
        Email::SocialPermission => "social_permission",
    };
    let langs = langs(defs, locale);
    // Language by language: the project's words, then Cairn's.
    let pick = |part: &str| {
        let key = format!("email.{name}.{part}");
        langs
            .iter()
            .find_map(|l| {
                defs.message_exact(&key, l).or_else(|| {
                    builtin_email(which, l).map(|(s, b)| if part == "subject" { s } else { b })
                })
            })
            .unwrap_or_default()
            .to_owned()
    };
    (pick("subject"), pick("body"))
}

/// Checks an email template: only [`EMAIL_PLACEHOLDERS`], braces balanced.
pub fn check_email(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            return Err("a { is never closed".into());
        };
        let name = after.get(..close).unwrap_or_default();
        if !EMAIL_PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}} (known: {})",
                EMAIL_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(extra: &str) -> Compiled {
        crate::Definitions::compile_toml(&format!(
            "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n{extra}"
        ))
        .unwrap()
    }

    /// PRD-114 §5.1's list for a usage milestone of an advanced customer.
    #[test]
    fn the_prds_example() {
        let ids: Vec<String> = ideas(&defs(""), Kind::Usage, true, "en")
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(
            ids,
            ["email", "social", "gift", "case_study", "beta_access"]
        );
    }

    #[test]
    fn every_kind_has_ideas_and_none_twice() {
        for kind in [
            Kind::Usage,
            Kind::Value,
            Kind::Team,
            Kind::Time,
            Kind::Streak,
            Kind::Adoption,
            Kind::Custom,
        ] {
            for advanced in [false, true] {
                let ideas = defaults(kind, advanced);
                assert_eq!(ideas.first(), Some(&"email"), "{kind:?}");
                let mut ids = ideas.clone();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), ideas.len(), "{kind:?}");
            }
        }
    }

    #[test]
    fn every_builtin_text_exists_in_every_language() {
        for lang in ["en", "fr", "ar"] {
            for id in BUILTIN {
                assert!(builtin_text(id, lang).is_some(), "{id} in {lang}");
            }
            for which in [Email::Congratulations, Email::SocialPermission] {
                let (subject, body) = builtin_email(which, lang).unwrap();
                assert!(
                    check_email(subject).is_ok() && check_email(body).is_ok(),
                    "{lang}"
                );
            }
        }
    }

    #[test]
    fn localized_and_overridden() {
        let d = defs(
            "[suggestions.usage]\nideas = [\"gift\", \"swag\"]\n[messages.fr]\n\"suggestion.swag\" = \"Envoyer des goodies\"\n\
             [messages.en]\n\"suggestion.swag\" = \"Send swag\"\n\"email.congratulations.subject\" = \"Well done, {customer}!\"\n",
        );
        let fr: Vec<String> = ideas(&d, Kind::Usage, false, "fr-CA")
            .into_iter()
            .map(|s| s.text)
            .collect();
        assert_eq!(
            fr,
            ["Envisager un cadeau pour l'étape", "Envoyer des goodies"]
        );
        // Kinds the project did not choose keep the defaults.
        assert_eq!(
            ideas(&d, Kind::Time, false, "ar")[0].text,
            "أرسل رسالة تهنئة بالبريد الإلكتروني"
        );
        assert_eq!(
            email(&d, Email::Congratulations, "en").0,
            "Well done, {customer}!"
        );
        assert_eq!(
            email(&d, Email::Congratulations, "fr").0,
            "Félicitations pour {milestone} !"
        );
    }

    #[test]
    fn overrides_are_validated() {
        let problems = crate::Definitions::from_toml(
            "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n[suggestions.usage]\nideas = [\"confetti_cannon\"]\n\
             [suggestions.weekly]\nideas = [\"email\"]\n[messages.en]\n\"email.congratulations.body\" = \"Hi {name}\"\n\"email.thanks.subject\" = \"x\"\n",
        )
        .unwrap()
        .validate();
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0].starts_with("suggestions.usage.ideas[0]: unknown idea \"confetti_cannon\""),
            "{got:#?}"
        );
        assert!(
            got[1].starts_with("suggestions.weekly: not a kind"),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|p| p.contains("email.congratulations.body")
                && p.contains("unknown placeholder {name}")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|p| p.contains("email.thanks.subject") && p.contains("must be one of")),
            "{got:#?}"
        );
    }

    #[test]
    fn email_placeholders() {
        assert!(check_email("Hi {customer}, {milestone} on {date} with {product}").is_ok());
        assert!(check_email("no placeholder").is_ok());
        assert!(check_email("{count}").is_err());
        assert!(check_email("open {customer").is_err());
    }
}
