//! The console's definitions editor validates with the engine itself: this crate is
//! `cairn-core`'s parser and validator compiled to wasm, loaded by the editor page only (the
//! console's own bundle stays small). The messages are the server's, word for word: both
//! come from [`cairn_core::Definitions`].

use cairn_core::Definitions;
use serde_json::json;
use wasm_bindgen::prelude::*;

/// Validates `text` (TOML, or JSON when it starts with `{`) as `PUT /v1/definitions` would.
/// Answers JSON: `{"ok": true, "metrics": n, "milestones": n}` or `{"ok": false, "problems":
/// [{"path": …, "message": …}]}`.
#[wasm_bindgen]
pub fn validate(text: &str) -> String {
    report(text).to_string()
}

fn report(text: &str) -> serde_json::Value {
    let parsed = if text.trim_start().starts_with('{') {
        Definitions::from_json(text)
    } else {
        Definitions::from_toml(text)
    };
    let problems = match &parsed {
        Ok(defs) => defs.validate(),
        Err(e) => e.problems(),
    };
    if !problems.is_empty() {
        let problems: Vec<_> = problems
            .iter()
            .map(|p| json!({ "path": p.path, "message": p.message }))
            .collect();
        return json!({ "ok": false, "problems": problems });
    }
    match parsed.and_then(Definitions::compile) {
        Ok(compiled) => json!({
            "ok": true,
            "metrics": compiled.source().metrics.len(),
            "milestones": compiled.milestones().len(),
        }),
        Err(e) => {
            json!({ "ok": false, "problems": e.problems().iter().map(|p| json!({ "path": p.path, "message": p.message })).collect::<Vec<_>>() })
        }
    }
}

/// A unified diff of `live` to `draft`, by line (empty when they are the same).
#[wasm_bindgen]
pub fn diff(live: &str, draft: &str) -> String {
    if live == draft {
        return String::new();
    }
    similar::TextDiff::from_lines(live, draft)
        .unified_diff()
        .context_radius(2)
        .header("live", "draft")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_own_messages_and_a_diff() {
        let demo = include_str!("../../../examples/acme/cairn.toml");
        let ok = report(demo);
        assert_eq!(ok["ok"], true, "{ok}");
        assert!(ok["milestones"].as_u64().unwrap() > 5);
        let bad = demo.replacen("[holdout]\npercent = 0", "[holdout]\npercent = 80", 1);
        let r = report(&bad);
        assert_eq!(r["ok"], false);
        let expected: Vec<String> = Definitions::from_toml(&bad)
            .unwrap()
            .validate()
            .iter()
            .map(|p| p.message.clone())
            .collect();
        let got: Vec<String> = r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["message"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected);
        assert!(
            got.contains(&"must be between 0 and 50".to_owned()),
            "{got:?}"
        );
        let syntax = report("version = 1\n[[metrics]\n");
        assert_eq!(syntax["ok"], false);
        assert_eq!(syntax["problems"].as_array().unwrap().len(), 1);
        let d = diff("a\nb\n", "a\nc\n");
        assert!(d.contains("-b\n") && d.contains("+c\n"), "{d}");
        assert_eq!(diff("same\n", "same\n"), "");
    }
}
