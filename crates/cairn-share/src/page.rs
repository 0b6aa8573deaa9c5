//! The public page of a shared badge, and the pages of a revoked or unknown share.
//!
//! Rendered by askama from `templates/`: every value is HTML-escaped by the template engine
//! (attributes included), so a title, message or name cannot close a tag or an attribute. The
//! only unescaped value is the style sheet, built from a template of our own whose variables
//! are `#rrggbb` colours checked by [`crate::is_colour`]. The page has no script; its
//! Content-Security-Policy allows that one style sheet by hash ([`Rendered::csp`]).

use askama::Template;
use base64::Engine as _;
use sha2::Digest as _;

use crate::{Badge, Issuer, Theme, Urls, Words, day_of, glyph, is_colour, is_rtl, links};

/// A page and the Content-Security-Policy that goes with it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    /// The header's value: nothing but the page's own style sheet and images.
    pub csp: String,
}

#[derive(Template)]
#[template(path = "page.css", escape = "none")]
struct Style<'a> {
    theme: &'a Theme,
    on_accent: &'a str,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    lang: &'a str,
    dir: &'a str,
    og_locale: String,
    title: &'a str,
    summary: String,
    image_alt: String,
    issuer: &'a Issuer,
    badge: &'a Badge,
    urls: &'a Urls,
    words: &'a Words,
    glyph: &'a str,
    day: &'a str,
    linkedin: String,
    style: &'a str,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    lang: &'a str,
    dir: &'a str,
    heading: &'a str,
    body: &'a str,
    style: &'a str,
}

/// The page of `badge`, issued by `issuer`, at `urls`.
pub fn render(badge: &Badge, issuer: &Issuer, urls: &Urls) -> Rendered {
    let style = style(&issuer.theme);
    let words = Words::of(&badge.locale);
    let summary = match &badge.display_name {
        Some(name) => format!("{} {name} · {}", words.earned_by, badge.criteria),
        None => badge.criteria.clone(),
    };
    let page = Page {
        lang: &badge.locale,
        dir: dir(&badge.locale),
        og_locale: badge.locale.replace('-', "_"),
        title: &badge.title,
        summary,
        image_alt: format!("{} · {}", badge.title, issuer.name),
        issuer,
        badge,
        urls,
        words,
        glyph: glyph(badge.icon.as_deref()),
        day: day_of(&badge.achieved_at),
        linkedin: links::add_to_profile(badge, issuer, urls),
        style: &style,
    };
    finish(page.render(), &style)
}

/// The `410` page of a revoked share.
pub fn gone(locale: &str) -> Rendered {
    let words = Words::of(locale);
    notice(locale, words.gone_title, words.gone_body)
}

/// The `404` page of an unknown share.
pub fn missing(locale: &str) -> Rendered {
    let words = Words::of(locale);
    notice(locale, words.missing_title, words.missing_body)
}

fn notice(locale: &str, heading: &str, body: &str) -> Rendered {
    let style = style(&Theme::default());
    let page = Notice {
        lang: locale,
        dir: dir(locale),
        heading,
        body,
        style: &style,
    };
    finish(page.render(), &style)
}

fn dir(locale: &str) -> &'static str {
    if is_rtl(locale) { "rtl" } else { "ltr" }
}

fn style(theme: &Theme) -> String {
    let fallback = Theme::default();
    let pick = |v: &str, d: &str| {
        if is_colour(v) {
            v.to_owned()
        } else {
            d.to_owned()
        }
    };
    let theme = Theme {
        accent: pick(&theme.accent, &fallback.accent),
        background: pick(&theme.background, &fallback.background),
        text: pick(&theme.text, &fallback.text),
    };
    let on_accent = on(&theme.accent);
    Style {
        theme: &theme,
        on_accent,
    }
    .render()
    .unwrap_or_default()
}

/// White or near-black, whichever contrasts more with `colour` (WCAG relative luminance).
pub fn on(colour: &str) -> &'static str {
    let l = luminance(colour);
    // Contrast with white: 1.05 / (l + 0.05); with #111: (l + 0.05) / 0.0556.
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.0556 {
        "#ffffff"
    } else {
        "#111111"
    }
}

fn luminance(colour: &str) -> f64 {
    let hex = colour.trim_start_matches('#');
    let channel = |i: usize| {
        let v = hex
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        let c = f64::from(v) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn finish(html: askama::Result<String>, style: &str) -> Rendered {
    let html = html.unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'self' https: data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        sha256_base64(style)
    );
    Rendered { html, csp }
}

/// Base64 of SHA-256 of `text`, as CSP hash sources write it.
pub fn sha256_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}
