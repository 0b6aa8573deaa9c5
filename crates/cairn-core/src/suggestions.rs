//! Suggested ways for a person to recognise a milestone (PRD-114 FR-2.3, US-2): what the CSM's
//! alert lists as "celebration ideas", by kind of milestone, with more for advanced tiers.

use crate::definitions::Kind;

/// One way to celebrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    /// Stable id: `email`, `social`, `gift`, `case_study`, `beta_access`, `certificate`.
    pub id: &'static str,
    /// Slack emoji shortcode shown beside it.
    pub emoji: &'static str,
    /// The idea, in English.
    pub text: &'static str,
}

const EMAIL: Suggestion = Suggestion {
    id: "email",
    emoji: ":email:",
    text: "Send congratulations email",
};
const SOCIAL: Suggestion = Suggestion {
    id: "social",
    emoji: ":bird:",
    text: "Social media shoutout (with permission)",
};
const GIFT: Suggestion = Suggestion {
    id: "gift",
    emoji: ":gift:",
    text: "Consider milestone gift",
};
const CASE_STUDY: Suggestion = Suggestion {
    id: "case_study",
    emoji: ":memo:",
    text: "Invite to case study participation",
};
const BETA: Suggestion = Suggestion {
    id: "beta_access",
    emoji: ":rocket:",
    text: "Offer early access to a beta feature",
};
const CERTIFICATE: Suggestion = Suggestion {
    id: "certificate",
    emoji: ":mortar_board:",
    text: "Send a certificate of full adoption",
};

/// The default ideas for a milestone of `kind`; `advanced` (the highest tiers) adds the
/// case-study invitation and beta access where they fit.
pub fn defaults(kind: Kind, advanced: bool) -> Vec<Suggestion> {
    let mut out = match kind {
        Kind::Time | Kind::Usage | Kind::Value | Kind::Team => vec![EMAIL, SOCIAL, GIFT],
        Kind::Adoption => vec![EMAIL, CERTIFICATE, SOCIAL],
        Kind::Streak | Kind::Custom => vec![EMAIL, SOCIAL],
    };
    if advanced || matches!(kind, Kind::Value | Kind::Time) {
        out.push(CASE_STUDY);
    }
    if advanced {
        out.push(BETA);
    }
    out
}

/// The congratulations email and the social-permission request, as `(subject, body)`
/// templates with `{customer}`, `{milestone}`, `{date}` and `{product}` placeholders.
pub const CONGRATULATIONS: (&str, &str) = (
    "Congratulations on {milestone}!",
    "Hi {customer} team,\n\nYou reached {milestone} on {date}. That is a real achievement, and we wanted to say thank you for building with {product}.\n\nWith our congratulations,\nThe {product} team",
);
pub const SOCIAL_PERMISSION: (&str, &str) = (
    "May we celebrate {milestone} in public?",
    "Hi {customer} team,\n\nYou reached {milestone} on {date}, and we would love to celebrate it on our social channels. Would you be happy for us to mention {customer}? Just reply to this email; nothing is posted without your yes.\n\nThe {product} team",
);

#[cfg(test)]
mod tests {
    use super::*;

    /// PRD-114 §5.1's list for a usage milestone of an advanced customer.
    #[test]
    fn the_prds_example() {
        let ids: Vec<&str> = defaults(Kind::Usage, true).iter().map(|s| s.id).collect();
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
                assert!(ideas.first().is_some_and(|s| s.id == "email"), "{kind:?}");
                let mut ids: Vec<&str> = ideas.iter().map(|s| s.id).collect();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), ideas.len(), "{kind:?}");
            }
        }
    }
}
