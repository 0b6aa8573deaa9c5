//! The CSM's Slack alert (PRD-114 §5.1) and its buttons.
//!
//! - [`message`] builds the Block Kit message from the ledger row and the account's traits
//!   (pure, tested natively). Every string a customer supplied goes through [`escape`], so an
//!   account named `<!channel>` pings nobody.
//! - [`post`] sends it with the bot token (`chat.postMessage`, so it can be found again) or to
//!   the incoming webhook.
//! - [`verify`] checks a button click's `X-Slack-Signature` (`v0=` + HMAC-SHA256 of
//!   `v0:{timestamp}:{raw body}`, at most 5 minutes old, compared in constant time); the e2e
//!   test signs its clicks with Slack's own SDK.

use cairn_core::Compiled;
use cairn_core::definitions::Kind;
use cairn_core::suggestions::{self, Suggestion};
use cairn_core::wire::{AccountTraits, LedgerRow, SlackSettings};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::schedule::Answer;
use crate::integrations::SLACK_API;

/// Action ids of the alert's buttons.
pub const SEND_EMAIL: &str = "send_celebration_email";
pub const REQUEST_SOCIAL: &str = "request_social_permission";
pub const MARK_CELEBRATED: &str = "mark_celebrated";

/// Oldest click accepted.
pub const MAX_AGE_SECS: i64 = 300;

/// Escapes text for Slack's mrkdwn: `&`, `<` and `>` (what makes mentions and links).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The label of a health score (0–100).
pub fn health_label(score: f64) -> &'static str {
    match score {
        s if s >= 80.0 => "Excellent",
        s if s >= 60.0 => "Good",
        s if s >= 40.0 => "Fair",
        _ => "At risk",
    }
}

/// An amount with thousands separators: `$65,000` for USD, `65,000 EUR` otherwise.
pub fn money(amount: f64, currency: Option<&str>) -> String {
    let whole = amount.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match currency.unwrap_or("USD") {
        "USD" => format!("${grouped}"),
        other => format!("{grouped} {}", escape(other)),
    }
}

/// A date (RFC 3339 instant or plain date) as `Jan 29, 2026`, and its month as `May 2025`.
fn date(text: &str) -> Option<jiff::civil::Date> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .or_else(|_| text.parse::<jiff::civil::Date>())
        .ok()
}

fn day(text: &str) -> String {
    date(text).map_or_else(|| escape(text), |d| d.strftime("%b %-d, %Y").to_string())
}

fn month(text: &str) -> String {
    date(text).map_or_else(|| escape(text), |d| d.strftime("%B %Y").to_string())
}

/// Time from `since` to `until` in words: `8 months`, `1 year 2 months`, `12 days`.
pub fn span(since: &str, until: &str) -> Option<String> {
    let (a, b) = (date(since)?, date(until)?);
    if b < a {
        return None;
    }
    let span = a.until((jiff::Unit::Year, b)).ok()?;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (years, months, days) = (
        i64::from(span.get_years()),
        i64::from(span.get_months()),
        i64::from(span.get_days()),
    );
    Some(match (years, months) {
        (0, 0) => plural(days, "day"),
        (0, m) => plural(m, "month"),
        (y, 0) => plural(y, "year"),
        (y, m) => format!("{} {}", plural(y, "year"), plural(m, "month")),
    })
}

/// The ideas the alert lists for this award (in English: the alert is for the team).
pub fn ideas(defs: &Compiled, row: &LedgerRow, advanced: bool, locale: &str) -> Vec<Suggestion> {
    let kind = row.kind.parse::<Kind>().unwrap_or(Kind::Custom);
    suggestions::ideas(defs, kind, advanced, locale)
}

/// The alert's blocks and fallback text for award `row` of `project`.
pub fn message(
    project: &str,
    row: &LedgerRow,
    account: Option<&AccountTraits>,
    ideas: &[Suggestion],
) -> (String, Value) {
    let name = account
        .and_then(|a| a.name.as_deref())
        .unwrap_or(&row.subject_id);
    // A header is plain text (never parsed for mentions); everything else is mrkdwn.
    let header = format!(":trophy: Customer Milestone: {name}");
    let who = escape(name);
    let title = escape(&row.milestone_name);
    let mut details = vec![
        format!(
            "• *Milestone:* {title} ({} {})",
            row.value,
            escape(&row.kind)
        ),
        format!("• *Achieved:* {}", day(&row.achieved_at)),
    ];
    let since = account.and_then(|a| a.customer_since.as_deref());
    if let Some(span) = since.and_then(|s| span(s, &row.achieved_at)) {
        details.push(format!("• *Time to milestone:* {span}"));
    }
    let mut context = Vec::new();
    if let Some(since) = since {
        context.push(format!("• *Customer since:* {}", month(since)));
    }
    if let Some(arr) = account.and_then(|a| a.arr) {
        let currency = account.and_then(|a| a.currency.as_deref());
        context.push(format!("• *Current ARR:* {}", money(arr, currency)));
    }
    if let Some(score) = account.and_then(|a| a.health_score) {
        context.push(format!(
            "• *Health Score:* {} ({})",
            score.round(),
            health_label(score)
        ));
    }
    if let Some(plan) = account.and_then(|a| a.plan.as_deref()) {
        context.push(format!("• *Plan:* {}", escape(plan)));
    }
    match (
        account.and_then(|a| a.csm_slack_id.as_deref()),
        account.and_then(|a| a.csm_name.as_deref()),
    ) {
        (Some(id), _) if is_slack_id(id) => context.push(format!("• *CSM:* <@{id}>")),
        (_, Some(name)) => context.push(format!("• *CSM:* {}", escape(name))),
        _ => {}
    }
    let numbered: Vec<String> = ideas
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {} {}", i + 1, s.emoji, s.text))
        .collect();
    let value = format!("{project}|{}", row.id);
    let button = |text: &str, action: &str, style: Option<&str>| {
        let mut b = json!({
            "type": "button",
            "text": { "type": "plain_text", "text": text },
            "action_id": action,
            "value": value,
        });
        if let (Some(style), Some(object)) = (style, b.as_object_mut()) {
            object.insert("style".into(), json!(style));
        }
        b
    };
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": header, "emoji": true } }),
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*Milestone Achieved: {title}!*") } }),
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*Details:*\n{}", details.join("\n")) } }),
    ];
    if !context.is_empty() {
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*Customer Context:*\n{}", context.join("\n")) } }));
    }
    if !numbered.is_empty() {
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*Celebration Ideas:*\n{}", numbered.join("\n")) } }));
    }
    blocks.push(json!({
        "type": "actions",
        "block_id": "cairn_actions",
        "elements": [
            button("Send Celebration Email", SEND_EMAIL, Some("primary")),
            button("Request Social Permission", REQUEST_SOCIAL, None),
            button("Mark Celebrated", MARK_CELEBRATED, None),
        ],
    }));
    let text = format!("Customer Milestone: {who} reached {title}");
    (text, Value::Array(blocks))
}

/// A Slack user or channel id (`U…`, `W…`, `C…`): letters and digits only.
pub fn is_slack_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The blocks after a person did `action`: the same message, without that button (the others
/// stay), and the lines of what was done so far beneath it.
pub fn acted(blocks: &Value, action: &str, lines: &[String]) -> Value {
    let mut kept: Vec<Value> = blocks
        .as_array()
        .map(|b| {
            b.iter()
                .filter(|b| b["block_id"] != "cairn_done")
                .cloned()
                .filter_map(|mut b| {
                    if b.get("block_id").and_then(Value::as_str) == Some("cairn_actions") {
                        let elements: Vec<Value> = b
                            .get("elements")
                            .and_then(Value::as_array)
                            .map(|e| {
                                e.iter()
                                    .filter(|e| e["action_id"] != action)
                                    .cloned()
                                    .collect()
                            })
                            .unwrap_or_default();
                        if elements.is_empty() {
                            return None;
                        }
                        if let Some(object) = b.as_object_mut() {
                            object.insert("elements".into(), Value::Array(elements));
                        }
                    }
                    Some(b)
                })
                .collect()
        })
        .unwrap_or_default();
    kept.push(json!({
        "type": "context",
        "block_id": "cairn_done",
        "elements": [{ "type": "mrkdwn", "text": lines.join("\n") }],
    }));
    Value::Array(kept)
}

/// Whether `signature` (`v0=…`) signs `body` at `timestamp` with `secret`, at `now` (seconds).
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > MAX_AGE_SECS {
        return false;
    }
    let Some(hex) = signature.strip_prefix("v0=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    // Constant time.
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// What Slack's Web API answered.
#[derive(Debug, Deserialize)]
pub struct ApiAnswer {
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub ts: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
}

/// Errors after which trying again cannot help.
pub fn permanent(error: &str) -> bool {
    matches!(
        error,
        "invalid_auth"
            | "not_authed"
            | "account_inactive"
            | "token_revoked"
            | "channel_not_found"
            | "not_in_channel"
            | "is_archived"
            | "invalid_blocks"
            | "no_service"
            | "invalid_token"
    )
}

/// The outcome of posting: the HTTP answer (a Slack `ok: false` counts as a failure), the
/// message's channel and `ts` when a bot posted it, and a permanent error if there was one.
pub struct Posted {
    pub answer: Answer,
    pub error: Option<String>,
    pub permanent: bool,
    pub message: Option<(String, String)>,
}

/// POSTs the alert.
pub async fn post(settings: &SlackSettings, text: &str, blocks: &Value) -> Posted {
    let (url, body, token) = match (&settings.webhook_url, &settings.bot_token) {
        (Some(hook), _) => (
            hook.clone(),
            json!({ "text": text, "blocks": blocks, "unfurl_links": false }),
            None,
        ),
        (None, token) => (
            format!(
                "{}/chat.postMessage",
                settings
                    .api_url
                    .as_deref()
                    .unwrap_or(SLACK_API)
                    .trim_end_matches('/')
            ),
            json!({
                "channel": settings.channel,
                "text": text,
                "blocks": blocks,
                "unfurl_links": false,
                "unfurl_media": false,
            }),
            token.clone(),
        ),
    };
    match super::http::post_json(&url, &body, token.as_deref(), &[]).await {
        Err(e) => Posted {
            answer: Answer::NoAnswer,
            error: Some(e),
            permanent: false,
            message: None,
        },
        Ok((answer, text)) => {
            let parsed: Option<ApiAnswer> = serde_json::from_str(&text).ok();
            match (&answer, parsed) {
                // The Web API answers 200 with ok: false for its errors.
                (Answer::Status { status: 200, .. }, Some(a)) if !a.ok => {
                    let error = a.error.unwrap_or_else(|| "unknown_error".into());
                    Posted {
                        permanent: permanent(&error),
                        answer: Answer::Status {
                            status: if error == "ratelimited" { 429 } else { 500 },
                            retry_after_ms: None,
                        },
                        error: Some(format!("slack: {error}")),
                        message: None,
                    }
                }
                (_, Some(a)) => Posted {
                    answer,
                    error: None,
                    permanent: false,
                    message: a.channel.zip(a.ts),
                },
                // An incoming webhook answers `ok` as text.
                (_, None) => Posted {
                    answer,
                    error: None,
                    permanent: false,
                    message: None,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> LedgerRow {
        LedgerRow {
            id: "aw_0123456789abcdef01234567".into(),
            project_id: "prj_1".into(),
            subject_type: "account".into(),
            subject_id: "growthcorp".into(),
            milestone_key: "api.1000000".into(),
            milestone_name: "1 Million API Calls".into(),
            kind: "usage".into(),
            tier: "advanced".into(),
            value: 1_000_000,
            achieved_at: "2026-01-29T10:00:00Z".into(),
            celebrate: true,
            holdout: false,
            seen_at: None,
            celebrated: false,
            celebrated_at: None,
            celebration_type: None,
            celebrated_by: None,
            account_id: None,
            notes: None,
            created_at: "2026-01-29T10:00:01Z".into(),
        }
    }

    fn account() -> AccountTraits {
        AccountTraits {
            name: Some("GrowthCorp".into()),
            customer_since: Some("2025-05-12".into()),
            arr: Some(65_000.0),
            health_score: Some(85.0),
            csm_slack_id: Some("U024BE7LH".into()),
            ..AccountTraits::default()
        }
    }

    /// PRD-114 §5.1, block by block.
    #[test]
    fn the_prds_alert() {
        let r = row();
        let defs = cairn_core::Definitions::compile_toml(
            "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n",
        )
        .unwrap();
        let (text, blocks) = message("prj_1", &r, Some(&account()), &ideas(&defs, &r, true, "en"));
        assert_eq!(
            text,
            "Customer Milestone: GrowthCorp reached 1 Million API Calls"
        );
        let all = blocks.to_string();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(
            blocks[0]["text"]["text"],
            ":trophy: Customer Milestone: GrowthCorp"
        );
        for expected in [
            "Milestone Achieved: 1 Million API Calls!",
            "*Achieved:* Jan 29, 2026",
            "*Time to milestone:* 8 months",
            "*Customer since:* May 2025",
            "*Current ARR:* $65,000",
            "*Health Score:* 85 (Excellent)",
            "*CSM:* <@U024BE7LH>",
            "1. :email: Send congratulations email",
            "2. :bird: Social media shoutout (with permission)",
            "3. :gift: Consider milestone gift",
            "4. :memo: Invite to case study participation",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        let actions = blocks.as_array().unwrap().last().unwrap();
        let ids: Vec<&str> = actions["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [SEND_EMAIL, REQUEST_SOCIAL, MARK_CELEBRATED]);
        assert_eq!(actions["elements"][0]["value"], format!("prj_1|{}", r.id));
    }

    /// A hostile account name or CSM is inert: no mention, no link, no broadcast.
    #[test]
    fn customer_strings_are_escaped() {
        let mut a = account();
        a.name = Some("<!channel> & <https://evil.example|click>".into());
        a.csm_slack_id = Some("<!here>".into());
        a.csm_name = Some("<@U0>".into());
        a.plan = Some("<!everyone>".into());
        let mut r = row();
        r.milestone_name = "<!subteam^S1>".into();
        let (text, blocks) = message("prj_1", &r, Some(&a), &[]);
        let sections: String = blocks
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .map(|b| b.to_string())
            .collect();
        for hostile in [
            "<!channel>",
            "<!here>",
            "<!everyone>",
            "<@U0>",
            "<https://",
            "<!subteam",
        ] {
            assert!(!sections.contains(hostile), "{hostile} in {sections}");
            assert!(!text.contains(hostile), "{hostile} in {text}");
        }
        assert!(
            text.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            "{text}"
        );
        assert!(sections.contains("&lt;!subteam^S1&gt;"), "{sections}");
    }

    #[test]
    fn spans_and_labels() {
        assert_eq!(
            span("2025-05-12", "2026-01-29T10:00:00Z").as_deref(),
            Some("8 months")
        );
        assert_eq!(
            span("2024-11-01", "2026-01-29").as_deref(),
            Some("1 year 2 months")
        );
        assert_eq!(span("2026-01-17", "2026-01-29").as_deref(), Some("12 days"));
        assert_eq!(span("2027-01-01", "2026-01-29"), None);
        assert_eq!(span("whenever", "2026-01-29"), None);
        assert_eq!(health_label(85.0), "Excellent");
        assert_eq!(health_label(61.0), "Good");
        assert_eq!(health_label(12.0), "At risk");
        assert_eq!(money(65_000.0, None), "$65,000");
        assert_eq!(money(1_234_567.4, Some("EUR")), "1,234,567 EUR");
        assert_eq!(money(999.0, None), "$999");
    }

    /// Slack's own documented example (api.slack.com, "Verifying requests from Slack").
    #[test]
    fn slacks_documented_signature() {
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert!(verify(secret, "1531420618", sig, body, 1_531_420_618));
        assert!(!verify(
            secret,
            "1531420618",
            sig,
            body,
            1_531_420_618 + 301
        ));
        assert!(!verify("other", "1531420618", sig, body, 1_531_420_618));
        assert!(!verify(
            secret,
            "1531420618",
            sig,
            b"token=changed",
            1_531_420_618
        ));
        assert!(!verify(secret, "1531420618", "v1=00", body, 1_531_420_618));
        assert!(!verify(secret, "soon", sig, body, 1_531_420_618));
    }

    #[test]
    fn acting_removes_that_button_and_keeps_the_story() {
        let r = row();
        let (_, blocks) = message("prj_1", &r, None, &[]);
        let done = acted(
            &blocks,
            MARK_CELEBRATED,
            &["Marked celebrated by <@U1>".into()],
        );
        let ids = |b: &Value| -> Vec<String> {
            b.as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b["block_id"].as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(ids(&done), ["cairn_actions", "cairn_done"]);
        let buttons = done.to_string();
        assert!(!buttons.contains(MARK_CELEBRATED) && buttons.contains(SEND_EMAIL));
        let done = acted(&done, SEND_EMAIL, &["one".into(), "two".into()]);
        let done = acted(&done, REQUEST_SOCIAL, &["three".into()]);
        assert_eq!(ids(&done), ["cairn_done"]);
        assert_eq!(
            done.as_array().unwrap().last().unwrap()["elements"][0]["text"],
            "three"
        );
    }
}
