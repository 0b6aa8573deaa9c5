//! Stalled users: a user who started but has not reached a `stall_after` milestone that long
//! after gets one `user.stalled` webhook and one nudge email, fired by the user's alarm; not
//! once the milestone is reached, and only once.

use std::time::Duration;

use cairn_e2e::receiver::{Answer, Receiver};
use cairn_e2e::{App, DEMO_SECRET_KEY};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

fn ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

#[test]
fn a_stall_fires_once_by_alarm_and_not_after_the_milestone_was_reached() {
    let app = App::start_with("stalls", 10_000).unwrap();
    let hooks = Receiver::start();
    let loops = Receiver::start();
    loops.answer(|_| Answer::json(200, &json!({ "success": true })));
    let reply = app
        .server(
            "POST",
            "/v1/webhooks",
            Some(
                &json!({ "url": format!("{}/hook", hooks.url), "event_types": ["user.stalled"] })
                    .to_string(),
            ),
        )
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    let integrations = json!({ "loops": {
        "api_key": "loops-key", "api_url": loops.url, "transactional_ids": { "nudge": "tx_nudge" },
    }});
    let reply = app
        .server("PUT", "/v1/integrations", Some(&integrations.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    // "All set up" stalls three days after a user's first event, and its policy emails.
    let toml = std::fs::read_to_string(xtask::root().join("examples/acme/cairn.toml"))
        .unwrap()
        .replace(
            "metrics = [\"project_created\", \"integration_connected\"]",
            "metrics = [\"project_created\", \"integration_connected\"]\nstall_after = \"3d\"\nchannels = [\"confetti\", \"badge\", \"email\"]",
        );
    assert!(toml.contains("stall_after = \"3d\""));
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

    // slow started four days ago and never connected an integration; quick did.
    let events = json!({ "events": [
        { "user_id": "slow", "event": "project_created", "timestamp": ago(96), "user": { "email": "slow@example.com", "name": "Sam" } },
        { "user_id": "quick", "event": "project_created", "timestamp": ago(96), "user": { "email": "quick@example.com" } },
        { "user_id": "quick", "event": "integration_connected", "timestamp": ago(95) },
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    let got = hooks.until(WAIT, |got| !got.is_empty());
    assert_eq!(got.len(), 1, "{got:#?}");
    let stalled = got[0].json();
    assert_eq!(stalled["type"], "user.stalled");
    assert_eq!(stalled["data"]["user_id"], "slow");
    assert_eq!(stalled["data"]["milestone_key"], "setup");
    assert!(
        got[0]
            .header("webhook-signature")
            .is_some_and(|s| s.starts_with("v1,"))
    );
    let nudge = loops.until(WAIT, |got| !got.is_empty());
    assert_eq!(nudge.len(), 1, "{nudge:#?}");
    let email = nudge[0].json();
    assert_eq!(email["transactionalId"], "tx_nudge");
    assert_eq!(email["email"], "slow@example.com");
    assert_eq!(email["dataVariables"]["milestone"], "All set up");
    assert_eq!(email["dataVariables"]["name"], "Sam");
    assert!(
        !email["dataVariables"]["nextStep"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{email}"
    );

    // More activity does not stall slow again; a later starter is the signal that the
    // alarms have run since.
    let events = json!({ "events": [
        { "user_id": "slow", "event": "task_completed" },
        { "user_id": "later", "event": "project_created", "timestamp": ago(80) },
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let got = hooks.until(WAIT, |got| !got.is_empty());
    let users: Vec<Value> = got
        .iter()
        .map(|r| r.json()["data"]["user_id"].clone())
        .collect();
    assert_eq!(users, [json!("later")], "{got:#?}");
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
