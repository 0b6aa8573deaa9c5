//! The server API on real workerd: projects, definitions, batches, accounts, concurrency.

use std::collections::BTreeMap;

use cairn_e2e::{App, DEV_ADMIN_TOKEN};
use serde_json::{Value, json};

fn statuses(reply: &Value) -> Vec<String> {
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

fn award_keys(result: &Value) -> Vec<String> {
    result["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["milestone"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn projects_definitions_and_batches() {
    let app = App::start("server").unwrap();

    // Projects are created with the admin token only.
    let new = r#"{"name":"Globex","allowed_origins":["https://app.globex.example"]}"#;
    let denied = app
        .request(
            "POST",
            "/v1/projects",
            &[("authorization", "Bearer wrong")],
            Some(new),
        )
        .unwrap();
    assert_eq!(denied.status, 401, "{}", denied.body);
    let admin = format!("Bearer {DEV_ADMIN_TOKEN}");
    let bad_origin = app
        .request(
            "POST",
            "/v1/projects",
            &[("authorization", &admin)],
            Some(r#"{"name":"X","allowed_origins":["globex.example/"]}"#),
        )
        .unwrap();
    assert_eq!(
        (
            bad_origin.status,
            bad_origin.json()["error"]["path"].as_str()
        ),
        (400, Some("allowed_origins[0]"))
    );
    let created = app
        .request(
            "POST",
            "/v1/projects",
            &[("authorization", &admin)],
            Some(new),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let sk = created["secret_key"].as_str().unwrap().to_owned();
    assert!(
        sk.starts_with("sk_")
            && created["publishable_key"]
                .as_str()
                .unwrap()
                .starts_with("pk_")
    );
    let server = |method: &str, path: &str, body: Option<&str>, content_type: &str| {
        app.request(
            method,
            path,
            &[
                ("authorization", &format!("Bearer {sk}")),
                ("content-type", content_type),
            ],
            body,
        )
        .unwrap()
    };

    // No definitions yet: every metric is unknown, and nothing is written.
    // A single event is the whole request: refused with 422; in a batch, one rejected result.
    let early = server(
        "POST",
        "/v1/events",
        Some(r#"{"user_id":"u1","event":"signup"}"#),
        "application/json",
    );
    assert_eq!(early.status, 422, "{}", early.body);
    assert_eq!(early.json()["error"]["code"], "unknown_metric");
    let early = server(
        "POST",
        "/v1/events",
        Some(r#"{"events":[{"user_id":"u1","event":"signup"}]}"#),
        "application/json",
    )
    .json();
    assert_eq!(statuses(&early), ["rejected"]);
    assert_eq!(early["results"][0]["error"]["code"], "unknown_metric");

    // Invalid definitions: 422 with every problem, each with its path.
    let invalid = "version = 1\n[[metrics]]\nkey = \"signup\"\nname = \"signups\"\n[[ladders]]\nkey = \"s\"\nmetric = \"sgnup\"\nthresholds = [5, 2]\nname = \"{count}\"\n";
    let rejected = server("PUT", "/v1/definitions", Some(invalid), "application/toml");
    assert_eq!(rejected.status, 422, "{}", rejected.body);
    let details: Vec<String> = rejected.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}: {}",
                d["path"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        details,
        [
            "ladders[0].metric: unknown metric \"sgnup\"",
            "ladders[0].thresholds: must increase"
        ]
    );
    let syntax = server(
        "PUT",
        "/v1/definitions",
        Some("version = "),
        "application/toml",
    );
    assert_eq!(syntax.status, 422);

    let valid = "version = 1\n[[metrics]]\nkey = \"signup\"\nname = \"signups\"\n[[ladders]]\nkey = \"s\"\nmetric = \"signup\"\nthresholds = [1, 3]\nname = \"{count} signups\"\n\
                 [[milestones]]\nkey = \"team.3\"\nkind = \"team\"\nmembers = 3\nname = \"Team of 3\"\n";
    let stored = server("PUT", "/v1/definitions", Some(valid), "application/toml");
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.json()["version"], 1);
    let read = server("GET", "/v1/definitions", None, "application/json").json();
    assert_eq!(
        (
            read["version"].as_i64(),
            read["definitions"]["ladders"][0]["key"].as_str()
        ),
        (Some(1), Some("s"))
    );

    // A batch: duplicates inside it, an unknown metric, a malformed event, other users, an account.
    let batch = json!({"events": [
        {"user_id": "u1", "event": "signup", "idempotency_key": "a", "account_id": "acme"},
        {"user_id": "u1", "event": "signup", "idempotency_key": "a", "account_id": "acme"},
        {"user_id": "u1", "event": "nope"},
        {"event": "signup"},
        {"user_id": "u2", "event": "signup", "account_id": "acme", "user": {"tz": "Europe/Paris"}},
        {"user_id": "u3", "event": "signup", "account_id": "acme", "idempotency_key": "c"},
        {"user_id": "u1", "event": "signup", "value": 2, "idempotency_key": "b"},
        {"user_id": "u4", "event": "signup", "user": {"tz": "Mars/Olympus"}}
    ]});
    let reply = server(
        "POST",
        "/v1/events",
        Some(&batch.to_string()),
        "application/json",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = reply.json();
    assert_eq!(
        statuses(&reply),
        [
            "accepted",
            "duplicate",
            "rejected",
            "rejected",
            "accepted",
            "accepted",
            "accepted",
            "rejected"
        ]
    );
    let r = &reply["results"];
    assert_eq!(award_keys(&r[0]), ["s.1"]);
    assert_eq!(
        (r[1]["total"].as_u64(), award_keys(&r[1])),
        (Some(1), vec!["s.1".to_owned()]),
        "a duplicate carries the original result"
    );
    assert_eq!(r[2]["error"]["code"], "unknown_metric");
    assert_eq!(
        (
            r[3]["error"]["code"].as_str(),
            r[3]["error"]["path"].as_str()
        ),
        (Some("invalid_event"), Some("events[3]"))
    );
    assert_eq!(r[7]["error"]["code"], "unknown_time_zone");
    assert_eq!(r[6]["total"], 3);
    assert_eq!(award_keys(&r[6]), ["s.3"]);
    // The account counted each event once and saw three distinct members.
    let account_totals: Vec<Option<u64>> = [0, 4, 5]
        .iter()
        .map(|&i| r[i]["account_total"].as_u64())
        .collect();
    assert_eq!(account_totals, [Some(1), Some(2), Some(3)]);
    assert!(
        award_keys(&r[5]).contains(&"team.3".to_owned()),
        "the third member completes the team"
    );

    // Replaying the whole batch changes nothing: every keyed event is a duplicate.
    let again = server(
        "POST",
        "/v1/events",
        Some(&batch.to_string()),
        "application/json",
    )
    .json();
    let keyed: Vec<String> = [0, 1, 5, 6]
        .iter()
        .map(|&i| again["results"][i]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keyed, ["duplicate", "duplicate", "duplicate", "duplicate"]);
    assert_eq!(again["results"][6]["total"], 3);

    // Whole-request problems write nothing.
    for (body, code) in [
        ("not json", "invalid_body"),
        ("[1, 2]", "invalid_body"),
        (r#"{"events": []}"#, "invalid_body"),
        (r#"{"events": 3}"#, "invalid_body"),
    ] {
        let reply = server("POST", "/v1/events", Some(body), "application/json");
        assert_eq!(
            (reply.status, reply.json()["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let too_many = json!({"events": vec![json!({"user_id": "u9", "event": "signup"}); 1001]});
    let reply = server(
        "POST",
        "/v1/events",
        Some(&too_many.to_string()),
        "application/json",
    );
    assert_eq!(
        (reply.status, reply.json()["error"]["code"].as_str()),
        (400, Some("batch_too_large"))
    );
    let one = server(
        "POST",
        "/v1/events",
        Some(r#"{"user_id":"u9","event":"signup"}"#),
        "application/json",
    )
    .json();
    assert_eq!(
        one["results"][0]["total"], 1,
        "u9 had nothing written before"
    );
}

#[test]
fn concurrent_events_for_one_user_count_exactly_once() {
    let app = App::start("server-concurrency").unwrap();
    let base = app.base().to_owned();
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent = xtask::http_agent(None);
                let body = json!({"user_id": "hot", "event": "project_created", "idempotency_key": format!("e{}", i % 40)});
                let mut reply = agent
                    .post(&format!("{base}/v1/events"))
                    .header("authorization", &format!("Bearer {}", cairn_e2e::DEMO_SECRET_KEY))
                    .send(body.to_string())
                    .unwrap();
                serde_json::from_str::<Value>(&reply.body_mut().read_to_string().unwrap()).unwrap()
            })
        })
        .collect();
    let replies: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut awarded: BTreeMap<String, usize> = BTreeMap::new();
    let mut duplicates = 0;
    for reply in &replies {
        let result = &reply["results"][0];
        if result["status"] == "duplicate" {
            duplicates += 1;
            continue;
        }
        assert_eq!(result["status"], "accepted", "{reply}");
        for key in award_keys(result) {
            *awarded.entry(key).or_default() += 1;
        }
    }
    assert_eq!(duplicates, 10, "10 of the 50 requests reuse a key");
    assert_eq!(
        awarded,
        BTreeMap::from([("projects.1".to_owned(), 1), ("projects.10".to_owned(), 1)]),
        "each award exactly once"
    );
    let me = app
        .client("GET", "/v1/client/me", "hot", None)
        .unwrap()
        .json();
    assert_eq!(
        me["totals"]["project_created"], 40,
        "exactly the unique events"
    );
}

#[test]
fn anniversaries_fire_by_durable_object_alarm() {
    use jiff::{Timestamp, ToSpan, tz::TimeZone};
    let app = App::start("server-alarm").unwrap();
    // Signed up a year ago, give or take three seconds: the anniversary is due in 3 s.
    let due = Timestamp::now() + std::time::Duration::from_secs(3);
    let due = Timestamp::from_second(due.as_second()).unwrap();
    let created_at = due
        .to_zoned(TimeZone::UTC)
        .checked_sub(1.year())
        .unwrap()
        .timestamp();
    let event = json!({"user_id": "ann", "event": "task_completed", "user": {"created_at": created_at.to_string(), "tz": "UTC"}});
    let reply = app
        .server("POST", "/v1/events", Some(&event.to_string()))
        .unwrap()
        .json();
    assert_eq!(reply["results"][0]["status"], "accepted");
    assert!(award_keys(&reply["results"][0]).is_empty(), "not due yet");
    let anniversary = |me: &Value| {
        me["awards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["milestone"] == "anniversary.1")
            .cloned()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let award = loop {
        let me = app
            .client("GET", "/v1/client/me", "ann", None)
            .unwrap()
            .json();
        if let Some(award) = anniversary(&me) {
            break award;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no anniversary by alarm within 20 s: {me}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(Timestamp::now() >= due, "not before it was due");
    assert_eq!(
        award["achieved_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        due,
        "to the second"
    );
    assert_eq!(award["celebrate"], true);
    assert_eq!(award["title"], "One year with Acme");
}

#[test]
fn keys_rotate_with_overlapping_identity_secrets() {
    use cairn_e2e::{DEMO_IDENTITY_SECRET, DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, now_secs, sign};
    let app = App::start("server-keys").unwrap();
    let claims = cairn_core::wire::UserClaims {
        sub: "kim".into(),
        exp: now_secs() + 600,
        iat: None,
        acct: None,
        traits: None,
    };
    let me = |pk: &str, token: &str| {
        app.request(
            "GET",
            "/v1/client/me",
            &[
                ("x-cairn-key", pk),
                ("authorization", &format!("Bearer {token}")),
            ],
            None,
        )
        .unwrap()
        .status
    };
    let old_token = sign(DEMO_IDENTITY_SECRET, &claims);
    assert_eq!(me(DEMO_PUBLISHABLE_KEY, &old_token), 200);

    // A new identity secret: tokens of both secrets work during the rotation.
    let rotated = app
        .server(
            "POST",
            "/v1/keys/rotate",
            Some(r#"{"key":"identity_secret"}"#),
        )
        .unwrap();
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = rotated.json()["value"].as_str().unwrap().to_owned();
    let new_token = sign(&new_secret, &claims);
    assert_eq!(
        (
            me(DEMO_PUBLISHABLE_KEY, &old_token),
            me(DEMO_PUBLISHABLE_KEY, &new_token)
        ),
        (200, 200)
    );
    // Retiring the previous one ends the overlap.
    app.server(
        "POST",
        "/v1/keys/rotate",
        Some(r#"{"key":"identity_secret","retire_previous":true}"#),
    )
    .unwrap();
    assert_eq!(
        (
            me(DEMO_PUBLISHABLE_KEY, &old_token),
            me(DEMO_PUBLISHABLE_KEY, &new_token)
        ),
        (401, 200)
    );

    // A new publishable key replaces the old one at once.
    let pk = app
        .server(
            "POST",
            "/v1/keys/rotate",
            Some(r#"{"key":"publishable_key"}"#),
        )
        .unwrap()
        .json()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        (me(DEMO_PUBLISHABLE_KEY, &new_token), me(&pk, &new_token)),
        (401, 200)
    );

    // A new secret key replaces the old one at once.
    let sk = app
        .server("POST", "/v1/keys/rotate", Some(r#"{"key":"secret_key"}"#))
        .unwrap()
        .json()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.server("GET", "/v1/definitions", None).unwrap().status,
        401,
        "the old {DEMO_SECRET_KEY} is dead"
    );
    let with_new = app
        .request(
            "GET",
            "/v1/definitions",
            &[("authorization", &format!("Bearer {sk}"))],
            None,
        )
        .unwrap();
    assert_eq!(with_new.status, 200);
    let bad = app
        .request(
            "POST",
            "/v1/keys/rotate",
            &[("authorization", &format!("Bearer {sk}"))],
            Some(r#"{"key":"secret_key","retire_previous":true}"#),
        )
        .unwrap();
    assert_eq!(bad.status, 400);
}
