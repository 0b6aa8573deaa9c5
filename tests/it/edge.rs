//! The edge API as a careless or hostile client finds it: routing, the one error shape for
//! every bad request, CORS only for allowed origins, and what unauthenticated traffic costs.

use std::time::{Duration, Instant};

use cairn_e2e::{App, DEV_ADMIN_TOKEN, Reply, now_secs, sign};
use serde_json::{Value, json};

/// `(status, error code)` of an answer in the one error shape.
fn error(reply: &Reply) -> (u16, String) {
    let body = reply.json();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not the error shape: {}", reply.body));
    assert!(body["error"]["message"].is_string(), "{}", reply.body);
    (reply.status, code.to_owned())
}

#[test]
fn every_bad_request_gets_the_one_error_shape() {
    let app = App::start("edge-errors").unwrap();

    // The three paths that once panicked while being sliced, before any credentials.
    for (method, path) in [
        ("POST", "/v1/client/awards/seen"),
        ("POST", "/v1/milestones/celebrated"),
        ("POST", "/v1/milestones/award"),
        ("POST", "/v1/client/awards//seen"),
        ("GET", "/v1/users/"),
    ] {
        let reply = app.request(method, path, &[], None).unwrap();
        assert_eq!(error(&reply), (404, "not_found".into()), "{method} {path}");
    }
    let wrong_method = app.request("GET", "/v1/events", &[], None).unwrap();
    assert_eq!(error(&wrong_method), (405, "method_not_allowed".into()));
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let bad_award = app
        .request("POST", "/v1/client/awards/aw_1/seen", &[], None)
        .unwrap();
    assert_eq!(error(&bad_award), (400, "invalid_award_id".into()));
    let bad_utf8 = app.server("GET", "/v1/users/%FF%FE", None).unwrap();
    assert_eq!(error(&bad_utf8), (400, "invalid_path".into()));

    // Ids in paths are percent-decoded: the user "a b/c" is reached as a%20b%2Fc.
    let event = json!({"user_id": "a b/c", "event": "project_created"}).to_string();
    let sent = app.server("POST", "/v1/events", Some(&event)).unwrap();
    assert_eq!(sent.status, 200, "{}", sent.body);
    let user = app.server("GET", "/v1/users/a%20b%2Fc", None).unwrap();
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.json()["totals"]["project_created"], 1);

    // A single malformed event is a malformed request: 4xx, the error shape, nothing written.
    let long = "x".repeat(257);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"user_id": "u", "event": "nope"}),
            422,
            "unknown_metric",
        ),
        (
            json!({"user_id": "u", "event": "Not A Metric"}),
            400,
            "invalid_metric",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "value": "two"}),
            400,
            "invalid_event",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "timestamp": "3000-01-01T00:00:00Z"}),
            422,
            "future_timestamp",
        ),
        (
            json!({"user_id": long, "event": "project_created"}),
            400,
            "invalid_user_id",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "idempotency_key": "k".repeat(300)}),
            400,
            "invalid_idempotency_key",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "account_id": ""}),
            400,
            "invalid_account_id",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "value": 0}),
            400,
            "invalid_value",
        ),
        (
            json!({"user_id": "u", "event": "project_created", "user": {"tz": "Mars/Olympus"}}),
            422,
            "unknown_time_zone",
        ),
        (json!({"event": "project_created"}), 400, "invalid_event"),
        (json!({}), 400, "invalid_event"),
    ];
    for (body, status, code) in &cases {
        let reply = app
            .server("POST", "/v1/events", Some(&body.to_string()))
            .unwrap();
        assert_eq!(error(&reply), (*status, (*code).to_owned()), "{body}");
    }
    for (body, status, code) in [
        ("[]", 400, "invalid_body"),
        ("not json", 400, "invalid_body"),
        (r#"{"events": []}"#, 400, "invalid_body"),
        (r#"{"events": {}}"#, 400, "invalid_body"),
    ] {
        let reply = app.server("POST", "/v1/events", Some(body)).unwrap();
        assert_eq!(error(&reply), (status, code.to_owned()), "{body}");
    }
    let untouched = app.server("GET", "/v1/users/u", None).unwrap().json();
    assert_eq!(
        untouched["totals"],
        json!({}),
        "rejected events change nothing"
    );

    // Inside a well-formed batch, a bad event is one rejected result among the others.
    let batch = json!({"events": [
        {"user_id": "u", "event": "project_created"},
        {},
        {"user_id": "u", "event": "nope"},
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&batch.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let results = reply.json()["results"].clone();
    let statuses: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "rejected", "rejected"]);
    assert_eq!(results[1]["error"]["path"], "events[1]");
    assert_eq!(results[2]["error"]["code"], "unknown_metric");
    assert_eq!(results[2]["error"]["path"], "events[2].event");
}

/// A project that allows one origin, and a user token of it.
fn project_with_origin(app: &App, origin: &str) -> (String, String) {
    let created = app
        .request(
            "POST",
            "/v1/projects",
            &[("authorization", &format!("Bearer {DEV_ADMIN_TOKEN}"))],
            Some(&json!({"name": "Strict", "allowed_origins": [origin]}).to_string()),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let now = now_secs();
    let claims = cairn_core::wire::UserClaims {
        sub: "sam".into(),
        exp: now + 600,
        iat: Some(now),
        acct: None,
        traits: None,
    };
    let token = sign(created["identity_secret"].as_str().unwrap(), &claims);
    (
        created["publishable_key"].as_str().unwrap().to_owned(),
        token,
    )
}

fn isolate(app: &App) -> Value {
    let stats = app
        .request(
            "GET",
            "/v1/admin/isolate",
            &[("authorization", &format!("Bearer {DEV_ADMIN_TOKEN}"))],
            None,
        )
        .unwrap();
    assert_eq!(stats.status, 200, "{}", stats.body);
    stats.json()
}

#[test]
fn cors_only_for_allowed_origins_and_unknown_keys_stay_cheap() {
    let app = App::start("edge-cors").unwrap();
    let (key, token) = project_with_origin(&app, "https://good.example");
    let me = |origin: &str| {
        app.request(
            "GET",
            "/v1/client/me",
            &[
                ("origin", origin),
                ("x-cairn-key", &key),
                ("authorization", &format!("Bearer {token}")),
            ],
            None,
        )
        .unwrap()
    };
    let refused = me("https://evil.example");
    assert_eq!(error(&refused), (403, "forbidden".into()));
    assert_eq!(
        refused.header("access-control-allow-origin"),
        None,
        "a refused origin cannot read the answer"
    );
    let allowed = me("https://good.example");
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let preflight = |origin: &str| {
        app.request(
            "OPTIONS",
            "/v1/client/me",
            &[("origin", origin), ("access-control-request-method", "GET")],
            None,
        )
        .unwrap()
    };
    assert_eq!(
        preflight("https://good.example").header("access-control-allow-origin"),
        Some("https://good.example")
    );

    // Unknown keys: the first miss asks D1, the repeats are answered from the isolate.
    let before = isolate(&app);
    let started = Instant::now();
    for _ in 0..30 {
        let reply = app
            .request(
                "GET",
                "/v1/definitions",
                &[("authorization", "Bearer sk_made_up_0000")],
                None,
            )
            .unwrap();
        assert_eq!(error(&reply), (401, "unauthorized".into()));
    }
    // Preflights (the demo project allows any origin): one load of the origin set at most.
    for _ in 0..30 {
        let reply = preflight("https://nobody.example");
        assert_eq!(reply.status, 204);
    }
    let after = isolate(&app);
    // Each cached answer lives 10 s: a loop that took longer may have asked again.
    let windows = 1 + started.elapsed().as_secs() / 10;
    let lookups = |s: &Value, k: &str| s[k].as_u64().unwrap();
    let key_lookups = lookups(&after, "key_lookups") - lookups(&before, "key_lookups");
    let origin_lookups = lookups(&after, "origin_lookups") - lookups(&before, "origin_lookups");
    assert!(
        (1..=windows).contains(&key_lookups),
        "30 requests with one unknown key: {key_lookups} D1 lookups"
    );
    assert!(
        origin_lookups <= windows,
        "30 preflights: {origin_lookups} D1 lookups"
    );

    // Made-up keys, each new: D1 is asked at the per-address pace, then the address waits.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut limited = None;
    let mut n = 0;
    while limited.is_none() && Instant::now() < deadline {
        n += 1;
        let reply = app
            .request(
                "GET",
                "/v1/definitions",
                &[("authorization", &format!("Bearer sk_made_up_{n}"))],
                None,
            )
            .unwrap();
        if reply.status == 429 {
            limited = Some(reply);
        } else {
            assert_eq!(error(&reply), (401, "unauthorized".into()));
        }
    }
    let limited = limited.expect("a flood of made-up keys is limited per address");
    assert_eq!(error(&limited), (429, "rate_limited".into()));
    assert_eq!(limited.header("retry-after"), Some("10"));
}
