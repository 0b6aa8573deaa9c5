//! The CSM's Slack alert (PRD-114 §5.1) and its buttons, on real workerd, with real receivers
//! standing in for Slack's Web API and Loops; button clicks are signed with Slack's own SDK.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cairn_e2e::receiver::{Answer, Receiver};
use cairn_e2e::{App, DEMO_SECRET_KEY};
use serde_json::{Value, json};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const WAIT: Duration = Duration::from_secs(60);

/// `X-Slack-Signature` for `body` at `timestamp`, made by slack_sdk.
fn slack_signature(timestamp: &str, body: &str) -> String {
    let mut child = Command::new(xtask::setup::python_bin("python"))
        .arg(xtask::root().join("tests/python/slack_sign.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs (cargo xtask setup installs it)");
    serde_json::to_writer(
        child.stdin.take().unwrap(),
        &json!({ "secret": SECRET, "timestamp": timestamp, "body": body }),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the signer failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A click on `action` of the message `blocks`, as Slack posts it.
fn click(
    app: &App,
    action: &str,
    blocks: &Value,
    respond_to: &str,
    timestamp: i64,
    signed_with: Option<&str>,
) -> u16 {
    let value = blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .map(|b| b["elements"][0]["value"].clone())
        .unwrap();
    let payload = json!({
        "type": "block_actions",
        "user": { "id": "U0CLICK", "username": "casey" },
        "actions": [{ "action_id": action, "value": value, "type": "button" }],
        "response_url": respond_to,
        "message": { "blocks": blocks },
    });
    let body: String = url_encode(&[("payload", &payload.to_string())]);
    let timestamp = timestamp.to_string();
    let signature = match signed_with {
        Some("forged") => {
            "v0=0000000000000000000000000000000000000000000000000000000000000000".to_owned()
        }
        _ => slack_signature(&timestamp, &body),
    };
    app.request(
        "POST",
        "/v1/slack/interactions",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-slack-request-timestamp", &timestamp),
            ("x-slack-signature", &signature),
        ],
        Some(&body),
    )
    .unwrap()
    .status
}

fn url_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ledger_row(app: &App, key: &str) -> Value {
    let rows = app
        .server("GET", "/v1/milestones?subject=account:initech", None)
        .unwrap()
        .json();
    rows["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["milestone_key"] == key)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn the_csm_is_alerted_in_slack_and_its_buttons_record_what_was_done() {
    let app = App::start_with("slack", 10_000).unwrap();
    let slack = Receiver::start();
    slack.answer(|r| {
        if r.url == "/api/chat.postMessage" {
            Answer::json(
                200,
                &json!({ "ok": true, "channel": "C0CSM", "ts": "1700000000.000100" }),
            )
        } else {
            (200, Vec::new()).into()
        }
    });
    let loops = Receiver::start();
    loops.answer(|_| Answer::json(200, &json!({ "success": true })));
    let hooks = Receiver::start();

    // Connect Slack and Loops; nothing secret ever comes back.
    let integrations = json!({
        "slack": { "bot_token": "xoxb-test-token", "channel": "C0CSM", "signing_secret": SECRET, "api_url": format!("{}/api", slack.url) },
        "loops": { "api_key": "loops-test-key", "transactional_ids": { "celebration": "tx_celebrate", "social_permission": "tx_social" }, "api_url": format!("{}/api", loops.url) },
    });
    let reply = app
        .server("PUT", "/v1/integrations", Some(&integrations.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    for body in [
        reply.body.clone(),
        app.server("GET", "/v1/integrations", None).unwrap().body,
    ] {
        for secret in [SECRET, "xoxb-test-token", "loops-test-key"] {
            assert!(!body.contains(secret), "{secret} in {body}");
        }
    }
    let view = reply.json();
    let slack_view = view["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["provider"] == "slack")
        .unwrap()
        .clone();
    assert_eq!(slack_view["connected"], true);
    assert_eq!(slack_view["settings"]["channel"], "C0CSM");
    assert_eq!(
        slack_view["secrets_set"],
        json!(["signing_secret", "bot_token"])
    );

    // A webhook endpoint hears the celebration the button records.
    let reply = app
        .server(
            "POST",
            "/v1/webhooks",
            Some(&json!({ "url": format!("{}/hook", hooks.url), "event_types": ["milestone.celebrated"] }).to_string()),
        )
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);

    // The customer's context, with a hostile name.
    let account = json!({
        "name": "<!channel> Initech & Co",
        "customer_since": "2025-05-12",
        "arr": 65000,
        "health_score": 85,
        "csm_name": "Casey",
        "csm_slack_id": "U024BE7LH",
        "contact_emails": ["ceo@initech.example", "ops@initech.example"],
    });
    let reply = app
        .server("PUT", "/v1/accounts/initech", Some(&account.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = app
        .server(
            "PUT",
            "/v1/accounts/initech",
            Some(r#"{"health_score": 140}"#),
        )
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);

    // The first teammate is an advanced milestone here (its tier alerts the CSM).
    let toml = std::fs::read_to_string(xtask::root().join("examples/acme/cairn.toml"))
        .unwrap()
        .replace(
            "members = 2\nname = \"First teammate\"",
            "members = 2\nname = \"First teammate\"\ntier = \"advanced\"",
        );
    assert!(toml.contains("First teammate\"\ntier = \"advanced\""));
    let auth = format!("Bearer {DEMO_SECRET_KEY}");
    let reply = app
        .request(
            "PUT",
            "/v1/definitions",
            &[
                ("authorization", &auth),
                ("content-type", "application/toml"),
            ],
            Some(&toml),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let events = json!({ "events": [
        { "user_id": "lee", "event": "project_created", "account_id": "initech" },
        { "user_id": "max", "event": "project_created", "account_id": "initech" },
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    // One alert, as the PRD draws it.
    let got = slack.until(WAIT, |got| !got.is_empty());
    assert_eq!(got.len(), 1, "{got:#?}");
    let post = &got[0];
    assert_eq!(post.url, "/api/chat.postMessage");
    assert_eq!(post.header("authorization"), Some("Bearer xoxb-test-token"));
    let message = post.json();
    assert_eq!(message["channel"], "C0CSM");
    let blocks = message["blocks"].clone();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(
        blocks[0]["text"]["text"],
        ":trophy: Customer Milestone: <!channel> Initech & Co"
    );
    let mrkdwn: String = blocks
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(Value::to_string)
        .collect();
    for expected in [
        "Milestone Achieved: First teammate!",
        "*Customer since:* May 2025",
        "*Current ARR:* $65,000",
        "*Health Score:* 85 (Excellent)",
        "*CSM:* <@U024BE7LH>",
        "1. :email: Send congratulations email",
        "Invite to case study participation",
    ] {
        assert!(mrkdwn.contains(expected), "{expected} in {mrkdwn}");
    }
    assert!(!mrkdwn.contains("<!channel>"), "{mrkdwn}");
    assert!(
        !message["text"].as_str().unwrap().contains("<!channel>"),
        "{message}"
    );
    let actions: Vec<&str> = blocks
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap()["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "send_celebration_email",
            "request_social_permission",
            "mark_celebrated"
        ]
    );

    // Forged and stale clicks: 401, and nothing changes.
    let respond = format!("{}/respond", slack.url);
    let now = cairn_e2e::now_secs();
    assert_eq!(
        click(
            &app,
            "mark_celebrated",
            &blocks,
            &respond,
            now,
            Some("forged")
        ),
        401
    );
    assert_eq!(
        click(&app, "mark_celebrated", &blocks, &respond, now - 600, None),
        401
    );
    assert_eq!(ledger_row(&app, "team.first-teammate")["celebrated"], false);

    // Mark celebrated: the ledger says who and how, the message says so, the webhook tells.
    let started = Instant::now();
    assert_eq!(
        click(&app, "mark_celebrated", &blocks, &respond, now, None),
        200
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "acknowledged within 3 s"
    );
    let update = slack.until(WAIT, |got| !got.is_empty());
    assert_eq!(update[0].url, "/respond");
    let update = update[0].json();
    assert_eq!(update["replace_original"], true);
    let done = update["blocks"].to_string();
    assert!(done.contains("Marked celebrated by <@U0CLICK>"), "{done}");
    assert!(
        !done.contains("\"mark_celebrated\""),
        "that button is gone: {done}"
    );
    assert!(
        done.contains("send_celebration_email"),
        "the others stay: {done}"
    );
    // Slack sends the message as it is now with the next click.
    let blocks = update["blocks"].clone();
    let row = ledger_row(&app, "team.first-teammate");
    assert_eq!(row["celebrated"], true, "{row}");
    assert_eq!(row["celebration_type"], "slack", "{row}");
    assert_eq!(row["celebrated_by"], "slack:U0CLICK", "{row}");
    let told = hooks.until(WAIT, |got| !got.is_empty());
    assert_eq!(told[0].json()["type"], "milestone.celebrated");
    assert_eq!(told[0].json()["data"]["celebrated_by"], "slack:U0CLICK");

    // Send the celebration email: one Loops email per contact, idempotent.
    assert_eq!(
        click(&app, "send_celebration_email", &blocks, &respond, now, None),
        200
    );
    let sent = loops.until(WAIT, |got| got.len() == 2);
    let mut to: Vec<String> = sent
        .iter()
        .map(|r| r.json()["email"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["ceo@initech.example", "ops@initech.example"]);
    for r in &sent {
        assert_eq!(r.url, "/api/v1/transactional");
        assert_eq!(r.header("authorization"), Some("Bearer loops-test-key"));
        assert!(
            r.header("idempotency-key")
                .is_some_and(|k| k.starts_with("msg_")),
            "{r:?}"
        );
        let body = r.json();
        assert_eq!(body["transactionalId"], "tx_celebrate");
        assert_eq!(body["dataVariables"]["customer"], "<!channel> Initech & Co");
        assert_eq!(body["dataVariables"]["milestone"], "First teammate");
    }
    let update = slack.until(WAIT, |got| !got.is_empty());
    let done = update[0].json()["blocks"].to_string();
    assert!(
        done.contains("Celebration email sent to 2 contacts by <@U0CLICK>"),
        "{done}"
    );
    assert!(
        done.contains("Marked celebrated by <@U0CLICK>"),
        "earlier lines stay: {done}"
    );
    // A second click sends nothing again.
    assert_eq!(
        click(&app, "send_celebration_email", &blocks, &respond, now, None),
        200
    );
    slack.until(WAIT, |got| !got.is_empty());
    assert!(
        loops.next(Duration::from_secs(3)).is_none(),
        "each contact gets it once"
    );

    // Suggestions for the award, with its emails filled in.
    let award = ledger_row(&app, "team.first-teammate")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app
        .server("GET", &format!("/v1/milestones/{award}/suggestions"), None)
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let s = reply.json();
    assert_eq!(s["suggestions"][0]["id"], "email");
    assert_eq!(s["email"]["subject"], "Congratulations on First teammate!");
    assert!(
        s["email"]["body"]
            .as_str()
            .unwrap()
            .contains("<!channel> Initech & Co"),
        "{s}"
    );
    // In the caller's language.
    let fr = app
        .request(
            "GET",
            &format!("/v1/milestones/{award}/suggestions"),
            &[("authorization", &auth), ("accept-language", "fr")],
            None,
        )
        .unwrap()
        .json();
    assert_eq!(
        fr["suggestions"][0]["text"], "Envoyer un e-mail de félicitations",
        "{fr}"
    );
    assert_eq!(
        fr["email"]["subject"], "Félicitations pour First teammate !",
        "{fr}"
    );
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
