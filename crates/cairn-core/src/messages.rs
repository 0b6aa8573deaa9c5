//! Message templates: named placeholders (`{count}`, `{name}`, `{next}`) filled by
//! `tinytemplate`, unescaped (the widget renders text, never HTML).

use serde::Serialize;
use tinytemplate::TinyTemplate;

use crate::definitions::PLACEHOLDERS;

/// Values a template may use.
#[derive(Debug, Clone, Serialize)]
pub struct Values<'a> {
    /// The milestone's number: threshold, members, years, streak length, metrics to adopt.
    pub count: u64,
    /// The metric's (or the subject's) name.
    pub name: &'a str,
    /// The next step of its ladder, empty at the top or outside a ladder.
    pub next: String,
}

/// Checks that `text` is a valid template using only known placeholders.
pub fn check(text: &str) -> Result<(), String> {
    let probe = Values {
        count: 1,
        name: "x",
        next: "2".into(),
    };
    render_checked(text, &probe)
        .map(drop)
        .map_err(|e| match unknown_placeholder(text) {
            Some(name) => format!(
                "unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("invalid template: {e}"),
        })
}

/// Fills `text`; a template that does not render (validation prevents it) is shown as written.
pub fn render(text: &str, values: &Values<'_>) -> String {
    render_checked(text, values).unwrap_or_else(|_| text.to_owned())
}

fn render_checked(text: &str, values: &Values<'_>) -> Result<String, tinytemplate::error::Error> {
    let mut tt = TinyTemplate::new();
    tt.set_default_formatter(&tinytemplate::format_unescaped);
    tt.add_template("t", text)?;
    tt.render("t", values)
}

/// `{name}` placeholders filled in (shared with the widget, which has no engine).
pub use cairn_wire::fill;

/// The first `{placeholder}` that is not a known one, for a plain error message.
fn unknown_placeholder(text: &str) -> Option<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.trim()))
        .find(|name| !PLACEHOLDERS.contains(name))
}
