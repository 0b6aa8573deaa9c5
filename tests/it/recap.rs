//! The recap email: one Loops transactional email per user and delay window, after the
//! (compressed) delay, in the user's locale; none for opted-out, email-less or erased users.

use std::time::{Duration, Instant};

use cairn_e2e::receiver::{Answer, Receiver};
use cairn_e2e::{App, DEMO_SECRET_KEY};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

fn recaps(app: &App) -> Vec<Value> {
    app.server("GET", "/v1/deliveries?channel=recap", None)
        .unwrap()
        .json()["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn one_recap_per_window_and_none_for_who_must_not_get_one() {
    let app = App::start_with("recap", 10_000).unwrap();
    let loops = Receiver::start();
    loops.answer(|_| Answer::json(200, &json!({ "success": true })));
    let integrations = json!({ "loops": {
        "api_key": "loops-key", "api_url": format!("{}/api", loops.url),
        "transactional_ids": { "recap": "tx_recap", "recap.projects.100": "tx_hundred" },
    }});
    let reply = app
        .server("PUT", "/v1/integrations", Some(&integrations.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    // mid awards email 600 minutes later: 3.6 s at this scale.
    let toml = std::fs::read_to_string(xtask::root().join("examples/acme/cairn.toml")).unwrap()
        + "\n[tiers.mid]\nchannels = [\"confetti\", \"badge\", \"email\"]\nemail_delay_minutes = 600\n";
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

    let sent = Instant::now();
    let events = json!({ "events": [
        // 50 and 100 projects (both mid) in one window: one recap.
        { "user_id": "eve", "event": "project_created", "value": 100, "user": { "email": "eve@example.com", "name": "Eve", "locale": "fr" } },
        { "user_id": "olga", "event": "project_created", "value": 50, "user": { "email": "olga@example.com", "email_opt_out": true } },
        { "user_id": "nobody", "event": "project_created", "value": 50 },
        { "user_id": "erin", "event": "project_created", "value": 50, "user": { "email": "erin@example.com" } },
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    // erin is erased while her recap waits for its window.
    let deadline = Instant::now() + WAIT;
    while !recaps(&app).iter().any(|r| r["subject"] == "user:erin") {
        assert!(Instant::now() < deadline, "erin's recap was never made");
        std::thread::sleep(Duration::from_millis(100));
    }
    let reply = app.server("DELETE", "/v1/users/erin", None).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    let got = loops.until(WAIT, |got| !got.is_empty());
    assert!(
        sent.elapsed() >= Duration::from_millis(3_000),
        "sent after its window: {:?}",
        sent.elapsed()
    );
    let email = got[0].json();
    assert_eq!(got[0].url, "/api/v1/transactional");
    assert_eq!(got[0].header("authorization"), Some("Bearer loops-key"));
    assert!(
        got[0]
            .header("idempotency-key")
            .is_some_and(|k| k.ends_with(".recap"))
    );
    assert_eq!(email["email"], "eve@example.com");
    // The latest award names the template; titles are in Eve's locale.
    assert_eq!(email["transactionalId"], "tx_hundred");
    let data = &email["dataVariables"];
    assert_eq!(data["name"], "Eve");
    assert_eq!(data["milestoneCount"], 2, "{email}");
    assert_eq!(data["milestone"], "100 projets !", "{email}");
    assert_eq!(data["milestones"], "50 projets !, 100 projets !", "{email}");
    assert_eq!(data["total_project_created"], 100);
    assert!(
        data.as_object()
            .unwrap()
            .values()
            .all(|v| v.is_string() || v.is_number()),
        "{data}"
    );

    // The others end skipped, each with its reason; eve's is delivered; one each.
    let deadline = Instant::now() + WAIT;
    let rows = loop {
        let rows = recaps(&app);
        if rows.len() == 4 && rows.iter().all(|r| r["state"] != "pending") {
            break rows;
        }
        assert!(Instant::now() < deadline, "recaps never settled: {rows:#?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let of = |user: &str| {
        rows.iter()
            .find(|r| r["subject"] == format!("user:{user}"))
            .unwrap()
    };
    assert_eq!(of("eve")["state"], "delivered");
    assert_eq!(of("olga")["reason"], "the user opted out of email");
    assert_eq!(of("nobody")["reason"], "the user has no email address");
    assert_eq!(of("erin")["reason"], "the user was erased");
    assert!(loops.drain().is_empty(), "one email in all");
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
