//! Webhooks (Standard Webhooks) through the notification pipeline, on real workerd and its
//! real queue, delivered to real HTTP receivers on 127.0.0.1, and verified with the official
//! `standardwebhooks` library (PyPI) — not only with our own code.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cairn_e2e::App;
use cairn_e2e::receiver::{Received, Receiver};
use serde_json::{Value, json};

/// The schedule runs this many times faster for loopback receivers (10 h → 3.6 s).
const SCALE: u32 = 10_000;
const WAIT: Duration = Duration::from_secs(60);

/// Adds an endpoint for `url`; answers its id and secret.
fn endpoint(app: &App, url: &str, types: Option<&[&str]>) -> (String, String) {
    let mut body = json!({ "url": format!("{url}/hook"), "description": "test receiver" });
    if let Some(types) = types {
        body["event_types"] = json!(types);
    }
    let reply = app
        .server("POST", "/v1/webhooks", Some(&body.to_string()))
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    let created = reply.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        secret,
    )
}

fn event(app: &App, user: &str) {
    let body = json!({ "user_id": user, "event": "project_created" });
    let reply = app
        .server("POST", "/v1/events", Some(&body.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// What the official library says of each `(secret, delivery)`.
fn verify(cases: &[(&str, &Received)]) -> Vec<Value> {
    let input: Vec<Value> = cases
        .iter()
        .map(|(secret, r)| {
            let headers: BTreeMap<&str, &str> =
                ["webhook-id", "webhook-timestamp", "webhook-signature"]
                    .into_iter()
                    .map(|h| (h, r.header(h).unwrap_or_default()))
                    .collect();
            json!({ "secret": secret, "headers": headers, "body": r.body })
        })
        .collect();
    let mut child = Command::new(xtask::setup::python_bin("python"))
        .arg(xtask::root().join("tests/python/verify_webhooks.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs (cargo xtask setup installs it)");
    serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the verifier failed");
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// Deliveries of endpoint `id`, polled until `done` holds.
fn deliveries_until(app: &App, id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let reply = app
            .server("GET", &format!("/v1/webhooks/{id}/deliveries"), None)
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        let rows = reply.json()["deliveries"].as_array().unwrap().clone();
        if done(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries never matched: {rows:#?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn of_type<'a>(got: &'a [Received], kind: &str) -> Vec<&'a Received> {
    got.iter().filter(|r| r.json()["type"] == kind).collect()
}

#[test]
fn deliveries_are_signed_as_the_standard_says_and_rotation_signs_with_both() {
    let app = App::start_with("webhooks-signed", SCALE).unwrap();
    let receiver = Receiver::start();
    let (id, secret) = endpoint(&app, &receiver.url, None);

    // The secret is shown once: never in a listing or a read.
    for path in ["/v1/webhooks".to_owned(), format!("/v1/webhooks/{id}")] {
        let reply = app.server("GET", &path, None).unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!reply.body.contains("whsec_"), "{path}: {}", reply.body);
        assert!(!reply.body.contains(&secret[6..]), "{path}: {}", reply.body);
    }

    event(&app, "ada");
    let got = receiver.until(WAIT, |got| !got.is_empty());
    let achieved = &got[0];
    assert_eq!(achieved.method, "POST");
    assert_eq!(achieved.url, "/hook");
    assert_eq!(achieved.header("content-type"), Some("application/json"));
    let payload = achieved.json();
    assert_eq!(payload["type"], "milestone.achieved");
    assert_eq!(payload["data"]["subject_id"], "ada");
    assert_eq!(payload["data"]["milestone_key"], "projects.1");
    assert_eq!(payload["data"]["holdout"], false);
    assert_eq!(payload["data"]["celebrate"], true);
    let webhook_id = achieved.header("webhook-id").unwrap().to_owned();
    assert!(webhook_id.starts_with("msg_"), "{webhook_id}");
    // The payload's data is a ledger row as the API describes it.
    let row: cairn_core::wire::WebhookPayload = serde_json::from_str(&achieved.body).unwrap();
    assert_eq!(row.data.id, payload["data"]["id"].as_str().unwrap());

    // The official library accepts it with the secret, and refuses a wrong one.
    let (_, other) = endpoint(&app, "http://127.0.0.1:9", Some(&["milestone.seen"]));
    let verdicts = verify(&[(&secret, achieved), (&other, achieved)]);
    assert_eq!(verdicts[0]["ok"], true, "{verdicts:?}");
    assert_eq!(verdicts[0]["payload"], payload);
    assert_eq!(verdicts[1]["ok"], false, "{verdicts:?}");

    // A person records a celebration: milestone.celebrated.
    let award = payload["data"]["id"].as_str().unwrap();
    let reply = app
        .server(
            "POST",
            &format!("/v1/milestones/{award}/celebrated"),
            Some(r#"{"celebration_type":"email","notes":"sent a card"}"#),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let got = receiver.until(WAIT, |got| !of_type(got, "milestone.celebrated").is_empty());
    let celebrated = of_type(&got, "milestone.celebrated")[0].json();
    assert_eq!(celebrated["data"]["id"], award);
    assert_eq!(celebrated["data"]["celebrated"], true);
    assert_eq!(celebrated["data"]["celebration_type"], "email");
    assert_eq!(celebrated["data"]["notes"], "sent a card");

    // Rotation with an overlap: both secrets sign, and each verifies alone.
    let reply = app
        .server(
            "POST",
            &format!("/v1/webhooks/{id}/rotate"),
            Some(r#"{"overlap_hours":1}"#),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let rotated = reply.json();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(
        rotated["endpoint"]["previous_secret_until"].is_string(),
        "{rotated}"
    );
    event(&app, "bob");
    let got = receiver.until(WAIT, |got| !got.is_empty());
    let signatures = got[0].header("webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    let verdicts = verify(&[(&secret, &got[0]), (&new_secret, &got[0])]);
    assert!(verdicts.iter().all(|v| v["ok"] == true), "{verdicts:?}");

    // The log: each delivery once, one attempt, 200.
    let rows = deliveries_until(&app, &id, |rows| {
        rows.len() == 3 && rows.iter().all(|r| r["state"] == "delivered")
    });
    for row in &rows {
        let attempts = row["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{row}");
        assert_eq!(attempts[0]["status"], 200, "{row}");
    }
    assert!(rows.iter().any(|r| r["id"] == webhook_id.as_str()));
    assert!(receiver.drain().is_empty(), "nothing is delivered twice");
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn a_receiver_down_for_the_whole_schedule_gets_every_event_once_and_410_disables() {
    let app = App::start_with("webhooks-down", SCALE).unwrap();
    let mut receiver = Receiver::start();
    let (id, _) = endpoint(&app, &receiver.url, Some(&["milestone.achieved"]));
    receiver.go_down();
    for user in ["u1", "u2", "u3"] {
        event(&app, user);
    }
    // Eight attempts each (the compressed schedule), then failed.
    let rows = deliveries_until(&app, &id, |rows| {
        rows.len() == 3 && rows.iter().all(|r| r["state"] == "failed")
    });
    for row in &rows {
        let attempts = row["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 8, "{row}");
        assert!(attempts.iter().all(|a| a["status"].is_null()), "{row}");
        assert!(
            row["reason"].as_str().unwrap().contains("8 attempts"),
            "{row}"
        );
    }
    let reply = app
        .server("GET", &format!("/v1/webhooks/{id}"), None)
        .unwrap();
    assert_eq!(reply.json()["enabled"], true, "{}", reply.body);
    assert!(reply.json()["failing_since"].is_string(), "{}", reply.body);

    // Back up: each failed delivery retried by hand arrives exactly once, same webhook-id.
    receiver.come_back();
    for row in &rows {
        let delivery = row["id"].as_str().unwrap();
        let reply = app
            .server(
                "POST",
                &format!("/v1/webhooks/{id}/deliveries/{delivery}/retry"),
                None,
            )
            .unwrap();
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    let got = receiver.until(WAIT, |got| got.len() == 3);
    let mut ids: Vec<&str> = got
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    deliveries_until(&app, &id, |rows| {
        rows.iter().all(|r| r["state"] == "delivered")
    });
    assert!(receiver.drain().is_empty(), "nothing is delivered twice");
    let reply = app
        .server("GET", &format!("/v1/webhooks/{id}"), None)
        .unwrap();
    assert!(reply.json()["failing_since"].is_null(), "{}", reply.body);

    // 410 Gone disables the endpoint at once, and says why.
    receiver.answer(|_| (410, Vec::new()));
    event(&app, "u4");
    receiver.until(WAIT, |got| got.len() == 1);
    let deadline = Instant::now() + WAIT;
    loop {
        let endpoint = app
            .server("GET", &format!("/v1/webhooks/{id}"), None)
            .unwrap()
            .json();
        if endpoint["enabled"] == false {
            assert!(
                endpoint["disabled_reason"]
                    .as_str()
                    .unwrap()
                    .contains("410"),
                "{endpoint}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never disabled: {endpoint}");
        std::thread::sleep(Duration::from_millis(250));
    }
    // A disabled endpoint gets nothing more: once u5's award is in the ledger (its jobs are
    // made in the same write), there is no job for it.
    event(&app, "u5");
    let deadline = Instant::now() + WAIT;
    while app
        .server("GET", "/v1/milestones?subject=user:u5", None)
        .unwrap()
        .json()["milestones"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(
            Instant::now() < deadline,
            "u5's award never reached the ledger"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let rows = deliveries_until(&app, &id, |rows| rows.len() == 4);
    assert!(rows.iter().all(|r| r["state"] != "pending"), "{rows:#?}");
    assert!(receiver.drain().is_empty());
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn a_restart_between_attempts_loses_no_job_and_sends_none_twice() {
    let mut app = App::start_with("webhooks-restart", SCALE).unwrap();
    let receiver = Receiver::start();
    // The first attempt is refused with a Retry-After longer than the restart takes.
    let mut first = true;
    receiver.answer(move |_| {
        if std::mem::take(&mut first) {
            (503, vec![("retry-after".into(), "3".into())])
        } else {
            (200, Vec::new())
        }
    });
    let (id, _) = endpoint(&app, &receiver.url, None);
    event(&app, "rita");
    let got = receiver.until(WAIT, |got| got.len() == 1);
    let webhook_id = got[0].header("webhook-id").unwrap().to_owned();
    // The attempt is recorded (its retry message is in the queue's memory only) …
    deliveries_until(&app, &id, |rows| {
        rows.first()
            .is_some_and(|r| r["attempts"].as_array().is_some_and(|a| a.len() == 1))
    });
    // … and the runtime dies with it.
    app.crash();
    app.restart().unwrap();
    let got = receiver.until(WAIT, |got| got.len() == 1);
    assert_eq!(got[0].header("webhook-id"), Some(webhook_id.as_str()));
    let rows = deliveries_until(&app, &id, |rows| {
        rows.first().is_some_and(|r| r["state"] == "delivered")
    });
    let statuses: Vec<&Value> = rows[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)], "{rows:#?}");
    assert!(receiver.drain().is_empty(), "sent once after the restart");
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn endpoints_refuse_bad_input() {
    let app = App::start_with("webhooks-input", SCALE).unwrap();
    let cases = [
        (json!({"url": "ftp://example.com/"}), "invalid_url"),
        (json!({"url": "https://10.0.0.1/hook"}), "invalid_url"),
        (
            json!({"url": "https://user:pw@example.com/"}),
            "invalid_url",
        ),
        (
            json!({"url": "https://example.com/", "event_types": []}),
            "invalid_event_type",
        ),
        (
            json!({"url": "https://example.com/", "event_types": ["user.deleted"]}),
            "invalid_event_type",
        ),
        (
            json!({"url": "https://example.com/", "secret": "mine"}),
            "invalid_body",
        ),
        (json!({}), "invalid_body"),
    ];
    for (body, code) in cases {
        let reply = app
            .server("POST", "/v1/webhooks", Some(&body.to_string()))
            .unwrap();
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(
            reply.json()["error"]["code"],
            code,
            "{body}: {}",
            reply.body
        );
    }
    let reply = app.server("GET", "/v1/webhooks/ep_nothere", None).unwrap();
    assert_eq!(reply.status, 404, "{}", reply.body);
    let reply = app
        .server("PATCH", "/v1/webhooks/ep_nothere", Some("{}"))
        .unwrap();
    assert_eq!(reply.status, 404, "{}", reply.body);
    let reply = app.request("GET", "/v1/webhooks", &[], None).unwrap();
    assert_eq!(reply.status, 401, "{}", reply.body);
    // Patch and delete work, and the listing says so.
    let (id, _) = endpoint(&app, "https://hooks.example.com", None);
    let reply = app
        .server(
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            Some(r#"{"enabled":false,"event_types":["milestone.seen"]}"#),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["enabled"], false);
    assert_eq!(reply.json()["event_types"], json!(["milestone.seen"]));
    let reply = app
        .server("DELETE", &format!("/v1/webhooks/{id}"), None)
        .unwrap();
    assert_eq!(reply.status, 204, "{}", reply.body);
    let listing = app.server("GET", "/v1/webhooks", None).unwrap().json();
    assert_eq!(listing["endpoints"], json!([]));
}

#[test]
fn seen_and_holdout_awards_are_told_and_erasure_drops_pending_jobs() {
    let app = App::start_with("webhooks-lifecycle", SCALE).unwrap();
    let mut receiver = Receiver::start();
    let (id, _) = endpoint(&app, &receiver.url, None);

    // The user acknowledges the award in the widget: milestone.seen, once.
    event(&app, "sam");
    let got = receiver.until(WAIT, |got| got.len() == 1);
    let award = got[0].json()["data"]["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let reply = app
            .client(
                "POST",
                &format!("/v1/client/awards/{award}/seen"),
                "sam",
                None,
            )
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let got = receiver.until(WAIT, |got| got.len() == 1);
    let seen = got[0].json();
    assert_eq!(seen["type"], "milestone.seen");
    assert_eq!(seen["data"]["id"], award.as_str());
    assert!(seen["data"]["seen_at"].is_string(), "{seen}");
    assert_eq!(seen["timestamp"], seen["data"]["seen_at"]);

    // An erased user's pending deliveries are dropped: the receiver is down, erin's award
    // waits for a retry, erin is erased.
    receiver.go_down();
    event(&app, "erin");
    deliveries_until(&app, &id, |rows| {
        rows.iter()
            .any(|r| r["state"] == "pending" && !r["attempts"].as_array().unwrap().is_empty())
    });
    let reply = app.server("DELETE", "/v1/users/erin", None).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let rows = deliveries_until(&app, &id, |rows| {
        rows.iter().all(|r| r["state"] != "pending")
    });
    let erin = rows
        .iter()
        .find(|r| r["state"] == "skipped")
        .unwrap_or_else(|| panic!("{rows:#?}"));
    assert_eq!(erin["reason"], "the user was erased");
    receiver.come_back();

    // Holdout users are never celebrated, and webhooks still tell, with holdout: true.
    let toml = std::fs::read_to_string(xtask::root().join("examples/acme/cairn.toml"))
        .unwrap()
        .replace("[holdout]\npercent = 0", "[holdout]\npercent = 50");
    assert!(toml.contains("percent = 50"));
    let auth = format!("Bearer {}", cairn_e2e::DEMO_SECRET_KEY);
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
    let users: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
    for user in &users {
        event(&app, user);
    }
    let got = receiver.until(WAIT, |got| {
        users.iter().all(|u| {
            got.iter()
                .any(|r| r.json()["data"]["subject_id"] == u.as_str())
        })
    });
    assert!(
        got.iter().all(|r| r.json()["data"]["subject_id"] != "erin"),
        "nothing of erin is delivered: {got:#?}"
    );
    let flags: Vec<(bool, bool)> = got
        .iter()
        .map(|r| {
            let data = &r.json()["data"];
            (
                data["holdout"].as_bool().unwrap(),
                data["celebrate"].as_bool().unwrap(),
            )
        })
        .collect();
    // Half of the users (deterministically) are in the holdout: told, never celebrated.
    assert!(flags.contains(&(true, false)), "{flags:?}");
    assert!(flags.contains(&(false, true)), "{flags:?}");
    assert!(!flags.contains(&(true, true)), "{flags:?}");
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
