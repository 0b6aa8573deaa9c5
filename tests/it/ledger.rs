//! The milestone ledger in D1, custom awards, and the outbox after a D1 failure.

use std::time::{Duration, Instant};

use cairn_e2e::App;
use serde_json::{Value, json};

/// Polls `GET /v1/milestones{query}` until `done` holds, for at most 20 s.
fn ledger_until(app: &App, query: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = app
            .server("GET", &format!("/v1/milestones{query}"), None)
            .unwrap();
        if reply.status == 200 {
            let rows = reply.json()["milestones"].as_array().unwrap().clone();
            if done(&rows) {
                return rows;
            }
        }
        assert!(
            Instant::now() < deadline,
            "ledger never matched for {query}: {}",
            reply.body
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn awards_reach_the_ledger_and_people_record_celebrations() {
    let app = App::start("ledger").unwrap();
    let events = json!({"events": [
        {"user_id": "lee", "event": "project_created", "value": 10, "account_id": "initech"},
        {"user_id": "lee", "event": "integration_connected"},
        {"user_id": "max", "event": "project_created", "account_id": "initech"}
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    // lee: projects.1, projects.10, setup; max: projects.1; initech: team.first-teammate.
    let rows = ledger_until(&app, "", |rows| rows.len() == 5);
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["subject_type"].as_str().unwrap().into(),
                r["subject_id"].as_str().unwrap().into(),
                r["milestone_key"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    let expect: Vec<(String, String, String)> = [
        ("account", "initech", "team.first-teammate"),
        ("user", "lee", "projects.1"),
        ("user", "lee", "projects.10"),
        ("user", "lee", "setup"),
        ("user", "max", "projects.1"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
    .collect();
    assert_eq!(got, expect);
    let ten = rows
        .iter()
        .find(|r| r["milestone_key"] == "projects.10")
        .unwrap();
    assert_eq!(
        (
            ten["milestone_name"].as_str(),
            ten["kind"].as_str(),
            ten["tier"].as_str()
        ),
        (Some("10 projects!"), Some("usage"), Some("early"))
    );
    assert_eq!(
        (
            ten["value"].as_i64(),
            ten["celebrate"].as_bool(),
            ten["holdout"].as_bool(),
            ten["celebrated"].as_bool()
        ),
        (Some(10), Some(true), Some(false), Some(false))
    );

    // Filters and pages.
    assert_eq!(
        ledger_until(&app, "?subject=user:lee", |r| r.len() == 3).len(),
        3
    );
    assert_eq!(
        ledger_until(&app, "?milestone=projects.1", |r| r.len() == 2).len(),
        2
    );
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .server("GET", &format!("/v1/milestones?limit=2{cursor}"), None)
            .unwrap()
            .json();
        seen.extend(
            page["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => {
                cursor = format!(
                    "&cursor={}",
                    next.replace('+', "%2B")
                        .replace(':', "%3A")
                        .replace('|', "%7C")
                );
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every row once across pages");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
    for (query, code) in [
        ("?subject=lee", "invalid_query"),
        ("?limit=0", "invalid_query"),
        ("?bogus=1", "invalid_query"),
    ] {
        let reply = app
            .server("GET", &format!("/v1/milestones{query}"), None)
            .unwrap();
        assert_eq!(
            (reply.status, reply.json()["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }

    // A CSM records how it was celebrated.
    let id = ten["id"].as_str().unwrap();
    let marked = app
        .server(
            "POST",
            &format!("/v1/milestones/{id}/celebrated"),
            Some(r#"{"celebration_type":"gift","notes":"Sent a mug"}"#),
        )
        .unwrap();
    assert_eq!(marked.status, 200, "{}", marked.body);
    let celebrated = ledger_until(&app, "?celebrated=true", |r| r.len() == 1);
    assert_eq!(
        (
            celebrated[0]["celebration_type"].as_str(),
            celebrated[0]["notes"].as_str()
        ),
        (Some("gift"), Some("Sent a mug"))
    );
    let missing = app
        .server(
            "POST",
            "/v1/milestones/aw_000000000000000000000000/celebrated",
            Some(r#"{"celebration_type":"gift"}"#),
        )
        .unwrap();
    assert_eq!(missing.status, 404);
    let malformed = app
        .server(
            "POST",
            "/v1/milestones/aw_nope/celebrated",
            Some(r#"{"celebration_type":"gift"}"#),
        )
        .unwrap();
    assert_eq!(
        (malformed.status, malformed.json()["error"]["code"].as_str()),
        (400, Some("invalid_award_id"))
    );

    // Custom milestones, by API, once.
    let award = |body: &str, key: &str| {
        app.server("POST", &format!("/v1/milestones/{key}/award"), Some(body))
            .unwrap()
    };
    let first = award(r#"{"user_id":"lee"}"#, "beta-tester");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        (
            first.json()["status"].as_str(),
            first.json()["awards"][0]["milestone"].as_str()
        ),
        (Some("accepted"), Some("beta-tester"))
    );
    assert_eq!(
        award(r#"{"user_id":"lee"}"#, "beta-tester").json()["status"],
        "duplicate"
    );
    assert_eq!(
        award(r#"{"user_id":"lee"}"#, "setup").status,
        422,
        "not a custom milestone"
    );
    assert_eq!(award(r#"{"user_id":"lee"}"#, "nope").status, 422);
    assert_eq!(
        award(r#"{"user_id":"lee","account_id":"x"}"#, "beta-tester").status,
        400
    );
    ledger_until(&app, "?milestone=beta-tester", |r| r.len() == 1);
}

#[test]
fn the_outbox_catches_up_after_a_d1_failure() {
    let app = App::start("ledger-outbox").unwrap();
    let first = app
        .server(
            "POST",
            "/v1/events",
            Some(r#"{"user_id":"ola","event":"project_created"}"#),
        )
        .unwrap();
    assert_eq!(first.status, 200);
    ledger_until(&app, "?subject=user:ola", |r| r.len() == 1);

    // The ledger table disappears: awards still happen and wait in the Durable Object's outbox.
    app.d1("ALTER TABLE milestones RENAME TO milestones_away")
        .unwrap();
    let during = app
        .server(
            "POST",
            "/v1/events",
            Some(r#"{"user_id":"ola","event":"project_created","value":9}"#),
        )
        .unwrap()
        .json();
    assert_eq!(
        during["results"][0]["status"], "accepted",
        "ingestion does not depend on the ledger"
    );
    assert_eq!(
        during["results"][0]["awards"][0]["milestone"],
        "projects.10"
    );
    app.d1("ALTER TABLE milestones_away RENAME TO milestones")
        .unwrap();

    // The alarm retries and the award arrives, once.
    let rows = ledger_until(&app, "?subject=user:ola", |r| r.len() == 2);
    let keys: Vec<&str> = rows
        .iter()
        .map(|r| r["milestone_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["projects.1", "projects.10"]);
}
