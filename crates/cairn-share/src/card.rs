//! The preview image of a shared badge: 1200×630 (Open Graph's and X's large card), drawn from
//! an SVG that an askama template fills (escaped: text stays text) and resvg renders with
//! tiny-skia. One font is embedded: DejaVu Sans Bold, subset to Latin, Arabic (with its
//! shaping tables, so letters join) and the badge glyphs (`assets/`, its licence beside it).
//! Right-to-left badges mirror the layout and set `direction="rtl"`, which usvg lays out with
//! the Unicode bidirectional algorithm.

use std::sync::Arc;

use askama::Template;
use resvg::{tiny_skia, usvg};

use crate::{Badge, Issuer, Theme, Words, day_of, glyph, is_colour, is_rtl, page::on};

/// Width and height of the image.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// The embedded font (`assets/DejaVuSans-Bold-subset.ttf`).
pub const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-Bold-subset.ttf");

/// Room for text beside the medal, in pixels.
const TEXT_WIDTH: f32 = 600.0;
/// Title lines at most.
const TITLE_LINES: usize = 2;

#[derive(Template)]
#[template(path = "card.svg", escape = "html")]
struct Card<'a> {
    background: &'a str,
    accent: &'a str,
    on_accent: &'a str,
    text: &'a str,
    accent_text: &'a str,
    muted: &'a str,
    medal_x: u32,
    text_x: u32,
    dir: &'a str,
    anchor: &'a str,
    glyph: &'a str,
    issuer: String,
    title: Vec<String>,
    name: Option<String>,
    name_y: u32,
    date_label: &'a str,
    date: String,
    date_x: u32,
    date_y: u32,
}

/// Renders cards; holds the parsed font, so make one and keep it.
pub struct Renderer {
    options: usvg::Options<'static>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Self {
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_font_data(FONT.to_vec());
        let options = usvg::Options {
            font_family: "DejaVu Sans".into(),
            fontdb: Arc::new(fonts),
            ..usvg::Options::default()
        };
        Self { options }
    }

    /// The PNG of `badge`'s card.
    pub fn png(&self, badge: &Badge, issuer: &Issuer) -> Result<Vec<u8>, String> {
        encode(&self.raster(badge, issuer)?)
    }

    /// The card's pixels (premultiplied RGBA).
    pub fn raster(&self, badge: &Badge, issuer: &Issuer) -> Result<tiny_skia::Pixmap, String> {
        let svg = svg(badge, issuer);
        let tree = usvg::Tree::from_str(&svg, &self.options).map_err(|e| e.to_string())?;
        let mut pixmap =
            tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or_else(|| "no pixmap".to_owned())?;
        // An opaque ground first: every pixel is then opaque, so premultiplied is straight
        // colour and the PNG needs no alpha channel.
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        Ok(pixmap)
    }
}

/// `pixmap` (opaque) as an RGB PNG, compressed with `png`'s fast mode (fdeflate, a DEFLATE
/// tuned for images): the encoding was most of the render's time at the default level.
pub fn encode(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, String> {
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The SVG of `badge`'s card.
pub fn svg(badge: &Badge, issuer: &Issuer) -> String {
    let fallback = Theme::default();
    let colour = |v: &str, d: &str| {
        if is_colour(v) {
            v.to_owned()
        } else {
            d.to_owned()
        }
    };
    let accent = colour(&issuer.theme.accent, &fallback.accent);
    let background = colour(&issuer.theme.background, &fallback.background);
    let text = colour(&issuer.theme.text, &fallback.text);
    let rtl = is_rtl(&badge.locale);
    let words = Words::of(&badge.locale);
    let title = wrap(&badge.title, &|t| width(t, 64.0) <= TEXT_WIDTH, TITLE_LINES);
    let below = 250 + 76 * u32::try_from(title.len().max(1)).unwrap_or(1);
    let name = badge
        .display_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| fit(&format!("{} {n}", words.earned_by), 38.0));
    let name_y = below + 20;
    let date_y = if name.is_some() {
        name_y + 56
    } else {
        below + 20
    };
    Card {
        on_accent: on(&accent),
        accent: &accent,
        background: &background,
        text: &text,
        // Accent-coloured text only where it contrasts with white; else the body colour.
        accent_text: if on(&accent) == "#ffffff" {
            &accent
        } else {
            &text
        },
        muted: "#5b5568",
        medal_x: if rtl { 920 } else { 280 },
        text_x: if rtl { 700 } else { 500 },
        dir: if rtl { "rtl" } else { "ltr" },
        anchor: if rtl { "end" } else { "start" },
        glyph: glyph(badge.icon.as_deref()),
        issuer: fit(&issuer.name, 32.0),
        title,
        name,
        name_y,
        // The date is its own left-to-right run after the label (usvg would reorder its
        // digits inside right-to-left text).
        date_label: words.earned,
        date: day_of(&badge.achieved_at).to_owned(),
        date_x: if rtl {
            700 - (width(words.earned, 30.0) + 12.0) as u32
        } else {
            500 + (width(words.earned, 30.0) + 12.0) as u32
        },
        date_y,
    }
    .render()
    .unwrap_or_default()
}

/// The width of `text` at `size` pixels in the embedded font (advances, no kerning: what
/// wrapping needs).
pub fn width(text: &str, size: f32) -> f32 {
    use std::sync::OnceLock;
    static FACE: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    let Some(face) = FACE.get_or_init(|| ttf_parser::Face::parse(FONT, 0).ok()) else {
        return 0.0;
    };
    let scale = size / f32::from(face.units_per_em());
    let units: u32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(0, u32::from)
        })
        .sum();
    units as f32 * scale
}

/// `text` cut (with `…`) to fit [`TEXT_WIDTH`] at `size`.
fn fit(text: &str, size: f32) -> String {
    if width(text, size) <= TEXT_WIDTH {
        return text.to_owned();
    }
    let mut cut: String = text.to_owned();
    while !cut.is_empty() && width(&format!("{cut}…"), size) > TEXT_WIDTH {
        cut.pop();
    }
    cut.push('…');
    cut
}

/// `text` in at most `lines` lines that each satisfy `fits`, broken between words (a word
/// too long for a line is cut), the last line ending in `…` when text is left over.
pub fn wrap(text: &str, fits: &dyn Fn(&str) -> bool, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while out.len() < lines {
        let Some(first) = words.next() else { break };
        let mut line = cut_to(first, fits);
        while let Some(next) = words.peek() {
            let candidate = format!("{line} {next}");
            if !fits(&candidate) {
                break;
            }
            line = candidate;
            words.next();
        }
        out.push(line);
    }
    if words.peek().is_some()
        && let Some(last) = out.last_mut()
    {
        let mut cut = last.clone();
        while !cut.is_empty() && !fits(&format!("{cut}…")) {
            cut.pop();
        }
        *last = format!("{}…", cut.trim_end());
    }
    out
}

/// The longest start of `word` that fits.
fn cut_to(word: &str, fits: &dyn Fn(&str) -> bool) -> String {
    let mut cut = word.to_owned();
    while cut.chars().count() > 1 && !fits(&cut) {
        cut.pop();
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(n: usize) -> impl Fn(&str) -> bool {
        move |t: &str| t.chars().count() <= n
    }

    #[test]
    fn titles_wrap_in_two_lines_at_most() {
        assert_eq!(wrap("10 projects!", &chars(20), 2), vec!["10 projects!"]);
        assert_eq!(
            wrap("One whole year with us, thank you", &chars(20), 2),
            vec!["One whole year with", "us, thank you"]
        );
        let long = wrap(
            "a b c d e f g h i j k l m n o p q r s t u v w x y z",
            &chars(10),
            2,
        );
        assert_eq!(long.len(), 2);
        assert!(long[1].ends_with('…'), "{long:?}");
        assert!(long.iter().all(|l| l.chars().count() <= 10));
        assert_eq!(wrap("", &chars(10), 2), Vec::<String>::new());
        assert_eq!(wrap("abcdefghijkl", &chars(5), 2), vec!["abcde"]);
    }

    #[test]
    fn widths_come_from_the_font() {
        assert!(width("WWWW", 64.0) > width("iiii", 64.0));
        assert!(width("عشرة", 64.0) > 0.0);
    }
}
