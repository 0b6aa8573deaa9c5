//! The page, the card and the credential of badges whose every typed field is hostile.

use cairn_share::{Badge, Issuer, Theme, Urls, card, clean, credential, page};
use scraper::{Html, Selector};

const EVIL: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "abc\u{202E}cba",
    "' onmouseover='alert(1)",
    "</style><script>x</script>",
    "]]><x/>&amp;",
];

fn issuer() -> Issuer {
    Issuer {
        id: "https://cairn.test/issuers/prj_1".into(),
        name: "Acme <b>\"Builder\"</b>".into(),
        url: "https://acme.test/".into(),
        logo: None,
        theme: Theme::default(),
    }
}

fn badge(text: &str, locale: &str) -> Badge {
    Badge {
        share_id: "sh_0123456789abcdef".into(),
        milestone: "projects.10".into(),
        title: format!("10 projects {text}"),
        criteria: "10 projects created".into(),
        description: String::new(),
        icon: Some("rocket".into()),
        image: None,
        alt: "A rocket".into(),
        display_name: Some(clean(text, cairn_share::MAX_NAME_CHARS)),
        message: clean(&format!("So proud {text}"), cairn_share::MAX_MESSAGE_CHARS),
        achieved_at: "2026-11-30T10:00:00Z".into(),
        locale: locale.into(),
    }
}

fn urls() -> Urls {
    Urls::new(
        "https://cairn.test",
        "sh_0123456789abcdef",
        "https://acme.test/",
    )
}

fn meta(doc: &Html, key: &str) -> Option<String> {
    let sel = Selector::parse(&format!("meta[property='{key}'], meta[name='{key}']")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_owned))
}

#[test]
fn hostile_text_is_text_in_the_page_and_its_meta() {
    for text in EVIL {
        let b = badge(text, "en");
        let rendered = page::render(&b, &issuer(), &urls());
        let doc = Html::parse_document(&rendered.html);
        // No element or attribute came from the text.
        for tag in ["script", "img", "iframe", "object"] {
            let sel = Selector::parse(tag).unwrap();
            assert_eq!(doc.select(&sel).count(), 0, "{tag} from {text:?}");
        }
        let all = Selector::parse("*").unwrap();
        for el in doc.select(&all) {
            for (name, _) in el.value().attrs() {
                assert!(!name.starts_with("on"), "{name} from {text:?}");
            }
        }
        // The text reads back exactly, in the title, the meta and the body.
        let title = meta(&doc, "og:title").unwrap();
        assert_eq!(title, b.title, "og:title");
        assert_eq!(meta(&doc, "twitter:title").unwrap(), b.title);
        let h1 = doc.select(&Selector::parse("h1").unwrap()).next().unwrap();
        assert_eq!(h1.text().collect::<String>(), b.title);
        let message = doc
            .select(&Selector::parse(".message p").unwrap())
            .next()
            .unwrap();
        assert_eq!(message.text().collect::<String>(), b.message);
        assert!(!b.message.chars().any(cairn_share::is_bidi_control));
        // Links lead only where we put them.
        for a in doc.select(&Selector::parse("a").unwrap()) {
            let href = a.value().attr("href").unwrap();
            assert!(href.starts_with("https://"), "{href} from {text:?}");
        }
        // The one style sheet is the one the CSP allows.
        let style = doc
            .select(&Selector::parse("style").unwrap())
            .next()
            .unwrap()
            .text()
            .collect::<String>();
        assert!(
            rendered
                .csp
                .contains(&format!("'sha256-{}'", page::sha256_base64(&style))),
            "{}",
            rendered.csp
        );
        assert!(rendered.csp.starts_with("default-src 'none'"));
    }
}

#[test]
fn the_page_has_its_meta_lang_and_direction() {
    let b = badge("🎉", "ar");
    let doc = Html::parse_document(&page::render(&b, &issuer(), &urls()).html);
    let html = doc
        .select(&Selector::parse("html").unwrap())
        .next()
        .unwrap();
    assert_eq!(html.value().attr("lang"), Some("ar"));
    assert_eq!(html.value().attr("dir"), Some("rtl"));
    assert_eq!(
        meta(&doc, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(
        meta(&doc, "og:image").as_deref(),
        Some("https://cairn.test/s/sh_0123456789abcdef.png")
    );
    assert_eq!(meta(&doc, "og:image:width").as_deref(), Some("1200"));
    let canonical = doc
        .select(&Selector::parse("link[rel=canonical]").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        canonical.value().attr("href"),
        Some("https://cairn.test/s/sh_0123456789abcdef")
    );
    let cta = doc
        .select(&Selector::parse("a.cta").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        cta.value().attr("href"),
        Some("https://acme.test/?cairn_ref=sh_0123456789abcdef")
    );
    let linkedin = doc
        .select(&Selector::parse("a.linkedin").unwrap())
        .next()
        .unwrap();
    let href = linkedin.value().attr("href").unwrap();
    let url = url_query(href);
    assert_eq!(
        url.get("startTask").map(String::as_str),
        Some("CERTIFICATION_NAME")
    );
    assert_eq!(url.get("issueYear").map(String::as_str), Some("2026"));
    assert_eq!(url.get("issueMonth").map(String::as_str), Some("11"));
    assert_eq!(
        url.get("certId").map(String::as_str),
        Some("sh_0123456789abcdef")
    );
    assert_eq!(
        url.get("certUrl").map(String::as_str),
        Some("https://cairn.test/s/sh_0123456789abcdef")
    );
    assert_eq!(url.get("name"), Some(&b.title));
    assert_eq!(url.get("organizationName"), Some(&issuer().name));
}

fn url_query(href: &str) -> std::collections::HashMap<String, String> {
    let query = href.split_once('?').unwrap().1;
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap()
                .into_owned();
            (k.to_owned(), v)
        })
        .collect()
}

#[test]
fn notices_for_revoked_and_unknown_shares() {
    let gone = page::gone("fr");
    let doc = Html::parse_document(&gone.html);
    let h1 = doc.select(&Selector::parse("h1").unwrap()).next().unwrap();
    assert_eq!(h1.text().collect::<String>(), "Ce badge n’est plus partagé");
    let missing = page::missing("en");
    assert!(missing.html.contains("No such badge"));
}

/// Decodes a PNG: (width, height, RGBA pixels).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Pixels in a box that differ from white (the card's own colour): where text was drawn.
fn inked(pixels: &[u8], width: u32, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * width + x) * 4) as usize;
            if pixels[i..i + 3].iter().any(|&c| c < 200) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_card_is_a_1200_by_630_png_with_its_text_drawn() {
    let renderer = card::Renderer::new();
    for (text, locale) in [("Ada", "en"), ("\u{0644}\u{064a}\u{0644}\u{0649}", "ar")] {
        let mut b = badge(text, locale);
        b.title = if locale == "ar" {
            "عشرة مشاريع".into()
        } else {
            "10 projects".into()
        };
        let png_bytes = renderer.png(&b, &issuer()).unwrap();
        let (w, h, pixels) = decode(&png_bytes);
        assert_eq!((w, h), (1200, 630));
        // The title's band beside the medal has ink (a missing glyph draws nothing).
        let (x0, x1) = if locale == "ar" {
            (200, 700)
        } else {
            (500, 1000)
        };
        let ink = inked(&pixels, w, x0, 190, x1, 260);
        assert!(
            ink > 2_000,
            "{locale}: {ink} inked pixels in the title band"
        );
    }
}

#[test]
fn hostile_text_stays_text_in_the_card() {
    let renderer = card::Renderer::new();
    for text in EVIL {
        let b = badge(text, "en");
        let svg = card::svg(&b, &issuer());
        // The SVG parses, and none of the text became markup.
        let doc = Html::parse_fragment(&svg);
        for tag in ["script", "img", "image", "a", "foreignobject"] {
            assert_eq!(
                doc.select(&Selector::parse(tag).unwrap()).count(),
                0,
                "{tag} from {text:?}"
            );
        }
        renderer.png(&b, &issuer()).unwrap();
    }
}

#[test]
fn the_credential_has_the_open_badges_shape() {
    let b = badge("Ada", "en");
    let issuer_urls = credential::IssuerUrls::new("https://cairn.test", "prj_1");
    let vc = credential::credential(&b, &issuer(), &urls(), &issuer_urls, 7);
    assert_eq!(vc["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(vc["type"][1], "OpenBadgeCredential");
    assert_eq!(vc["issuer"]["id"], "https://cairn.test/issuers/prj_1");
    assert_eq!(vc["credentialSubject"]["type"][0], "AchievementSubject");
    assert_eq!(
        vc["credentialSubject"]["achievement"]["criteria"]["narrative"],
        "10 projects created"
    );
    let claims = credential::jwt_claims(&vc, 1_796_000_000);
    assert_eq!(claims["iss"], vc["issuer"]["id"]);
    assert_eq!(claims["jti"], vc["id"]);
    assert_eq!(claims["sub"], vc["credentialSubject"]["id"]);
    assert_eq!(claims["nbf"], 1_796_000_000);
    assert_eq!(
        claims["credentialSubject"], vc["credentialSubject"],
        "the payload is the credential"
    );
    assert_eq!(vc["credentialStatus"]["statusListIndex"], "7");
    assert_eq!(vc["credentialStatus"]["type"], "BitstringStatusListEntry");
    // Nothing of the user but the chosen name.
    let text = vc.to_string();
    assert!(!text.contains("user"), "{text}");
}

/// Writes the cards to `target/share-cards/` to look at (not an assertion).
#[test]
fn cards_are_saved_for_review() {
    let renderer = card::Renderer::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/share-cards");
    std::fs::create_dir_all(&dir).unwrap();
    let mut en = badge("Ada Lovelace", "en");
    en.title = "One whole year with Acme, thank you!".into();
    let mut ar = badge("ليلى", "ar");
    ar.title = "عشرة مشاريع".into();
    for (name, b) in [("en", en), ("ar", ar)] {
        let png = renderer.png(&b, &issuer()).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

#[test]
fn status_bits_are_counted_from_the_left() {
    let bits = credential::bitstring(&[0, 9, 131_071], 131_071);
    assert_eq!(bits.len(), 16_384);
    assert_eq!(bits[0], 0x80);
    assert_eq!(bits[1], 0x40);
    assert_eq!(bits[16_383], 0x01);
    assert_eq!(
        credential::bitstring(&[], 131_072).len(),
        32_768,
        "grows by 16 KB"
    );
}
