//! `cairn-share`: what a shared badge looks like on the open web, as pure functions.
//!
//! - [`page`]: the public page `GET /s/{share_id}` and its `410`/`404` pages (askama templates,
//!   auto-escaped), with its Open Graph meta and the hash its Content-Security-Policy allows;
//! - [`card`]: the 1200×630 preview image (an SVG built from an escaped template, rendered by
//!   resvg with one embedded font that covers Latin and Arabic);
//! - [`credential`]: the Open Badges 3.0 `OpenBadgeCredential` and its VC-JWT claims (the
//!   worker signs them with Web Crypto);
//! - [`links`]: LinkedIn "Add to profile", and the X and LinkedIn share intents.
//!
//! Sans-IO like `cairn-core`: no clock, no network, no randomness; the worker brings the rows,
//! the time and the keys. Everything a person typed (the message, the display name) is
//! [`clean`]ed before it is stored and again before it is shown.

pub mod card;
pub mod credential;
pub mod links;
pub mod page;

use serde::{Deserialize, Serialize};

/// Longest message a sharer may write, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Who issues the badge: the project, as it chose to present itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// Stable URL of the issuer's Open Badges `Profile`.
    pub id: String,
    /// The project's name.
    pub name: String,
    /// The product's site: the call to action and the issuer's link.
    pub url: String,
    /// An `https://` logo, if the project set one.
    pub logo: Option<String>,
    /// Its colours.
    pub theme: Theme,
}

/// Colours, each `#rrggbb` (checked by [`is_colour`] where they are set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub accent: String,
    pub background: String,
    pub text: String,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            accent: "#6d28d9".into(),
            background: "#faf7ff".into(),
            text: "#1f1630".into(),
        }
    }
}

/// One public badge, everything its page, image and credential show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    /// `sh_…`.
    pub share_id: String,
    /// Milestone key.
    pub milestone: String,
    /// Its title in the award's locale.
    pub title: String,
    /// What it took, in words ("10 projects created").
    pub criteria: String,
    /// One line of copy, may be empty.
    pub description: String,
    /// A built-in icon name, when the badge has no image.
    pub icon: Option<String>,
    /// An `https://` image.
    pub image: Option<String>,
    /// Its alternative text.
    pub alt: String,
    /// The name the sharer chose to show, if any.
    pub display_name: Option<String>,
    /// The sharer's message.
    pub message: String,
    /// When it was earned (RFC 3339).
    pub achieved_at: String,
    /// The award's locale.
    pub locale: String,
}

/// The absolute URLs of one share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    pub page: String,
    pub image: String,
    pub credential: String,
    /// The product, with `cairn_ref` set to the share.
    pub cta: String,
}

impl Urls {
    /// The URLs of share `id` served from `origin`, its call to action leading to `site`.
    pub fn new(origin: &str, id: &str, site: &str) -> Self {
        let page = format!("{origin}/s/{id}");
        Self {
            image: format!("{page}.png"),
            credential: format!("{page}/credential"),
            cta: with_ref(site, id),
            page,
        }
    }
}

/// `site` with `cairn_ref=id` added to its query (before any fragment).
pub fn with_ref(site: &str, id: &str) -> String {
    let (base, fragment) = match site.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (site, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    const REF: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'_').remove(b'-');
    let id = percent_encoding::utf8_percent_encode(id, REF);
    match fragment {
        Some(f) => format!("{base}{sep}cairn_ref={id}#{f}"),
        None => format!("{base}{sep}cairn_ref={id}"),
    }
}

/// Text a person typed, made inert for every place it is shown: control characters and the
/// bidirectional embedding, override and isolate characters (which can reorder what follows
/// them, "Trojan Source") are removed, whitespace runs become one space, and it is cut to
/// `max` characters. HTML, XML and JSON escaping is then the templates' and serde's job.
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut space = false;
    for c in text.chars() {
        if is_bidi_control(c) || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out.chars().take(max).collect()
}

/// U+202A–U+202E (embeddings, overrides, pop) and U+2066–U+2069 (isolates).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `#rrggbb`.
pub fn is_colour(text: &str) -> bool {
    text.strip_prefix('#')
        .is_some_and(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `locale` is written right to left (its language subtag).
pub fn is_rtl(locale: &str) -> bool {
    let language = locale.split(['-', '_']).next().unwrap_or_default();
    matches!(
        language,
        "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "yi" | "dv" | "ckb"
    )
}

/// The words of a page and a card, in English, French and Arabic (others fall back to
/// English).
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub earned_by: &'static str,
    pub earned: &'static str,
    pub issued_by: &'static str,
    pub criteria: &'static str,
    pub cta: &'static str,
    pub verify: &'static str,
    pub add_to_linkedin: &'static str,
    pub gone_title: &'static str,
    pub gone_body: &'static str,
    pub missing_title: &'static str,
    pub missing_body: &'static str,
}

impl Words {
    pub fn of(locale: &str) -> &'static Words {
        match locale.split(['-', '_']).next().unwrap_or_default() {
            "fr" => &FR,
            "ar" => &AR,
            _ => &EN,
        }
    }
}

const EN: Words = Words {
    earned_by: "Earned by",
    earned: "Earned on",
    issued_by: "Issued by",
    criteria: "What it took",
    cta: "Try it yourself",
    verify: "Verifiable credential (Open Badges 3.0)",
    add_to_linkedin: "Add to LinkedIn profile",
    gone_title: "This badge is no longer shared",
    gone_body: "Its owner made it private again.",
    missing_title: "No such badge",
    missing_body: "This link does not lead to a shared badge.",
};

const FR: Words = Words {
    earned_by: "Obtenu par",
    earned: "Obtenu le",
    issued_by: "Décerné par",
    criteria: "Ce qu’il a fallu",
    cta: "Essayez vous aussi",
    verify: "Justificatif vérifiable (Open Badges 3.0)",
    add_to_linkedin: "Ajouter au profil LinkedIn",
    gone_title: "Ce badge n’est plus partagé",
    gone_body: "Son titulaire l’a rendu privé.",
    missing_title: "Badge introuvable",
    missing_body: "Ce lien ne mène à aucun badge partagé.",
};

const AR: Words = Words {
    earned_by: "حصل عليها",
    earned: "بتاريخ",
    issued_by: "صادرة عن",
    criteria: "ما تطلّبه",
    cta: "جرّبه بنفسك",
    verify: "شهادة قابلة للتحقق (Open Badges 3.0)",
    add_to_linkedin: "أضف إلى ملف LinkedIn",
    gone_title: "لم تعد هذه الشارة مشاركة",
    gone_body: "جعلها صاحبها خاصة من جديد.",
    missing_title: "لا توجد شارة",
    missing_body: "هذا الرابط لا يؤدي إلى شارة مشاركة.",
};

/// The day of an RFC 3339 time (`2026-12-01`), as pages show it.
pub fn day_of(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

pub use cairn_wire::icon_glyph as glyph;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_what_reorders_or_hides_text() {
        assert_eq!(clean("a\u{202E}b\u{2066}c\u{0007}d", 100), "abcd");
        assert_eq!(clean("  two\n\nlines \t here ", 100), "two lines here");
        assert_eq!(clean("ééééé", 3), "ééé");
        assert_eq!(clean("<script>x</script>", 100), "<script>x</script>");
    }

    #[test]
    fn refs_are_added_to_any_url() {
        assert_eq!(
            with_ref("https://a.io", "sh_1"),
            "https://a.io?cairn_ref=sh_1"
        );
        assert_eq!(
            with_ref("https://a.io/x?y=1#top", "sh_1"),
            "https://a.io/x?y=1&cairn_ref=sh_1#top"
        );
    }

    #[test]
    fn directions() {
        assert!(is_rtl("ar"));
        assert!(is_rtl("ar-EG"));
        assert!(!is_rtl("fr"));
        assert!(is_colour("#aBc123"));
        assert!(!is_colour("red"));
        assert!(!is_colour("#abc"));
        assert!(!is_colour("#abc12;}"));
    }
}
