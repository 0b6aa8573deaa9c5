//! The client API and static assets on real workerd: every error answers with the one error
//! shape and a 4xx, never a 5xx; assets carry the right content types and cache headers.

use cairn_e2e::{App, DEMO_PUBLISHABLE_KEY, Reply};

/// Asserts `reply` is an error with `status` and `code`, in the API's one error shape.
fn check_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["error"]["code"], code, "{}", reply.body);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        reply.body
    );
}

#[test]
fn client_api_counts_answers_and_rejects_bad_input() {
    let app = App::start("api").unwrap();
    let key = ("x-cairn-key", DEMO_PUBLISHABLE_KEY);
    let post = |headers: &[(&str, &str)], body: &str| {
        app.request("POST", "/v1/client/events", headers, Some(body))
            .unwrap()
    };

    // Happy path: one jump awards the first step, the next event nothing.
    let first = app
        .client(
            "POST",
            "/v1/client/events",
            "alice",
            Some(r#"{"event":"project_created","value":12}"#),
        )
        .unwrap();
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(first["total"], 12);
    let keys: Vec<&str> = first["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["milestone"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["projects.1", "projects.10"]);
    let next = app
        .client(
            "POST",
            "/v1/client/events",
            "alice",
            Some(r#"{"event":"project_created"}"#),
        )
        .unwrap()
        .json();
    assert_eq!(
        (
            next["total"].as_u64(),
            next["awards"].as_array().map(Vec::len)
        ),
        (Some(13), Some(0))
    );
    // Users are separate subjects.
    let bob = app
        .client("GET", "/v1/client/me", "bob", None)
        .unwrap()
        .json();
    assert_eq!(bob["totals"], serde_json::json!({}));
    assert_eq!(bob["progress"][0]["next"], 1);

    // Credentials: publishable key + a user token signed with the project's identity secret.
    let event = r#"{"event":"project_created"}"#;
    let bearer = |token: &str| format!("Bearer {token}");
    let now = cairn_e2e::now_secs();
    let claims = |sub: &str, exp: i64| cairn_core::wire::UserClaims {
        sub: sub.into(),
        exp,
        iat: None,
        acct: None,
        traits: None,
    };
    let good = bearer(&cairn_e2e::demo_token("u", None));
    check_error(
        &post(&[("authorization", &good)], event),
        401,
        "unauthorized",
    );
    check_error(
        &post(
            &[("x-cairn-key", "pk_wrong"), ("authorization", &good)],
            event,
        ),
        401,
        "unauthorized",
    );
    check_error(&post(&[key], event), 401, "unauthorized");
    let forged = bearer(&cairn_e2e::sign(
        "not-the-identity-secret",
        &claims("u", now + 600),
    ));
    check_error(
        &post(&[key, ("authorization", &forged)], event),
        401,
        "unauthorized",
    );
    let expired = bearer(&cairn_e2e::sign(
        cairn_e2e::DEMO_IDENTITY_SECRET,
        &claims("u", now - 3600),
    ));
    check_error(
        &post(&[key, ("authorization", &expired)], event),
        401,
        "unauthorized",
    );
    let too_long = bearer(&cairn_e2e::sign(
        cairn_e2e::DEMO_IDENTITY_SECRET,
        &claims("u", now + 25 * 3600),
    ));
    check_error(
        &post(&[key, ("authorization", &too_long)], event),
        401,
        "unauthorized",
    );
    let long_sub = bearer(&cairn_e2e::sign(
        cairn_e2e::DEMO_IDENTITY_SECRET,
        &claims(&"u".repeat(257), now + 600),
    ));
    check_error(
        &post(&[key, ("authorization", &long_sub)], event),
        401,
        "unauthorized",
    );
    check_error(
        &post(&[key, ("authorization", "Bearer not.a.jwt")], event),
        401,
        "unauthorized",
    );
    check_error(
        &app.request("GET", "/v1/client/me", &[key], None).unwrap(),
        401,
        "unauthorized",
    );
    // A secret key is not a user token, and a user token is not a secret key.
    check_error(
        &post(
            &[
                key,
                (
                    "authorization",
                    &format!("Bearer {}", cairn_e2e::DEMO_SECRET_KEY),
                ),
            ],
            event,
        ),
        401,
        "unauthorized",
    );
    check_error(
        &app.request(
            "POST",
            "/v1/events",
            &[("authorization", &good)],
            Some(event),
        )
        .unwrap(),
        401,
        "unauthorized",
    );

    // Bodies.
    let carol = bearer(&cairn_e2e::demo_token("carol", None));
    let user = ("authorization", carol.as_str());
    check_error(&post(&[key, user], "not json"), 400, "invalid_body");
    check_error(
        &post(&[key, user], r#"{"event":"project_created","extra":1}"#),
        400,
        "invalid_body",
    );
    check_error(
        &post(&[key, user], r#"{"event":"project_created","value":-1}"#),
        400,
        "invalid_body",
    );
    check_error(
        &post(&[key, user], r#"{"event":"project_created","value":0}"#),
        400,
        "invalid_value",
    );
    check_error(
        &post(&[key, user], r#"{"event":"Bad Metric"}"#),
        400,
        "invalid_metric",
    );
    check_error(
        &post(&[key, user], r#"{"event":"nope"}"#),
        422,
        "unknown_metric",
    );
    check_error(
        &post(
            &[key, user],
            r#"{"event":"project_created","timestamp":"2999-01-01T00:00:00Z"}"#,
        ),
        422,
        "future_timestamp",
    );
    let huge = format!(
        r#"{{"event":"project_created","pad":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    check_error(&post(&[key, user], &huge), 413, "body_too_large");
    check_error(
        &app.request("GET", "/v1/nothing", &[], None).unwrap(),
        404,
        "not_found",
    );
    // None of the rejected events counted.
    let carol = app
        .client("GET", "/v1/client/me", "carol", None)
        .unwrap()
        .json();
    assert_eq!(
        carol["totals"],
        serde_json::json!({}),
        "rejected events change nothing"
    );

    // CORS preflight and real request from another origin.
    let pre = app
        .request(
            "OPTIONS",
            "/v1/client/events",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
            ],
            None,
        )
        .unwrap();
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(
        pre.header("access-control-allow-headers")
            .unwrap()
            .contains("x-cairn-key")
    );

    // Static assets: content types and caching.
    let page = app.request("GET", "/", &[], None).unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("Acme Projects") && page.body.contains(DEMO_PUBLISHABLE_KEY));
    let loader = app.request("GET", "/cairn.js", &[], None).unwrap();
    assert_eq!(loader.status, 200);
    assert!(
        loader
            .header("content-type")
            .unwrap()
            .contains("javascript")
    );
    assert!(
        loader
            .header("cache-control")
            .unwrap()
            .contains("max-age=300")
    );
    assert!(
        loader.body.len() <= 1024,
        "the loader is at most 1 KB, is {}",
        loader.body.len()
    );
    let wasm_name = loader
        .body
        .split('"')
        .find(|s| s.ends_with(".wasm"))
        .expect("loader names the wasm")
        .to_owned();
    let js_name = loader
        .body
        .split('"')
        .find(|s| s.starts_with("assets/") && s.ends_with(".js"))
        .expect("loader names the JS")
        .to_owned();
    let wasm = app
        .request("GET", &format!("/{wasm_name}"), &[], None)
        .unwrap();
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert!(wasm.header("cache-control").unwrap().contains("immutable"));
    // The embed's TypeScript declarations, beside the loader.
    let types = app.request("GET", "/cairn.d.ts", &[], None).unwrap();
    assert_eq!(types.status, 200);
    assert_eq!(
        types.body,
        std::fs::read_to_string(xtask::root().join("web/loader/cairn.d.ts")).unwrap()
    );
    let js = app
        .request("GET", &format!("/{js_name}"), &[], None)
        .unwrap();
    assert!(js.header("content-type").unwrap().contains("javascript"));
    assert!(
        js.header("cache-control")
            .unwrap()
            .contains("max-age=31536000")
    );
}

#[test]
fn engine_features_through_the_worker() {
    let app = App::start("api-engine").unwrap();
    let post = |user: &str, body: &str, lang: &str| {
        app.request(
            "POST",
            "/v1/client/events",
            &[
                ("x-cairn-key", DEMO_PUBLISHABLE_KEY),
                (
                    "authorization",
                    &format!("Bearer {}", cairn_e2e::demo_token(user, None)),
                ),
                ("accept-language", lang),
            ],
            Some(body),
        )
        .unwrap()
    };

    // A retried event (same idempotency key) counts once and answers with the original result.
    let body = r#"{"event":"project_created","idempotency_key":"evt-1"}"#;
    let first = post("dora", body, "en").json();
    let retry = post("dora", body, "en").json();
    assert_eq!(
        (first["total"].as_u64(), first["duplicate"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(
        (retry["total"].as_u64(), retry["duplicate"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        retry["awards"], first["awards"],
        "a duplicate carries the original awards"
    );
    assert_eq!(first["awards"][0]["title"], "First project!");
    assert_eq!(first["awards"][0]["tier"], "early");
    assert_eq!(first["awards"][0]["celebrate"], true);
    assert_eq!(first["awards"][0]["badge"]["alt"], "A medal");

    // Titles in the caller's language, with fallbacks (fr-CA → fr).
    let fr = post(
        "emile",
        r#"{"event":"project_created"}"#,
        "fr-CA,fr;q=0.9,en;q=0.5",
    )
    .json();
    assert_eq!(fr["awards"][0]["title"], "Premier projet !");

    // Adoption: a project and an integration complete "setup".
    let setup = post("dora", r#"{"event":"integration_connected"}"#, "en").json();
    let keys: Vec<&str> = setup["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["milestone"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["setup"]);

    // Progress: locked milestones with their criteria in plain words.
    let me = app
        .client("GET", "/v1/client/me", "dora", None)
        .unwrap()
        .json();
    let locked = me["locked"].as_array().unwrap();
    let activation = locked
        .iter()
        .find(|l| l["milestone"] == "activation")
        .expect("activation is locked");
    assert_eq!(
        activation["criteria"],
        "Use each of: tasks completed and reports shared, after earning \u{201c}All set up\u{201d}"
    );
    assert_eq!(
        (
            activation["current"].as_u64(),
            activation["target"].as_u64()
        ),
        (Some(0), Some(2))
    );
    assert!(
        locked
            .iter()
            .all(|l| !l["milestone"].as_str().unwrap().starts_with("team.")),
        "team milestones belong to accounts"
    );
    let weekly = me["streaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["metric"] == "project_created")
        .unwrap();
    assert_eq!(
        (weekly["period"].as_str(), weekly["current"].as_u64()),
        (Some("week"), Some(1))
    );

    // Server-only metrics are refused from the browser; bad idempotency keys are 400.
    let refused = post("dora", r#"{"event":"payment_processed","value":100}"#, "en");
    assert_eq!(refused.status, 403, "{}", refused.body);
    let long_key = format!(
        r#"{{"event":"project_created","idempotency_key":"{}"}}"#,
        "k".repeat(257)
    );
    let bad = post("dora", &long_key, "en");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"]["code"], "invalid_idempotency_key");
    let me_after = app
        .client("GET", "/v1/client/me", "dora", None)
        .unwrap()
        .json();
    assert_eq!(
        me_after["totals"], me["totals"],
        "refused events change nothing"
    );
}

#[test]
fn browsers_are_rate_limited_per_user() {
    let app = App::start("api-rate").unwrap();
    // The limit is 100 requests per user per 10 s window. Requests go out from 8 connections
    // until the first 429: in the time they took (t seconds, so at most t/10 + 2 windows),
    // no more than 100 per window may have been answered. Deterministic on any machine: the
    // bound follows the time actually taken, and any machine sends 100 in a few seconds.
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(60);
    let refused = std::sync::atomic::AtomicBool::new(false);
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen = Vec::new();
                    while !refused.load(std::sync::atomic::Ordering::Relaxed)
                        && std::time::Instant::now() < deadline
                    {
                        let reply = app.client("GET", "/v1/client/me", "eager", None).unwrap();
                        if reply.status == 429 {
                            refused.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        seen.push((reply.status, reply.header("retry-after").map(str::to_owned)));
                    }
                    seen
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    let windows = started.elapsed().as_secs() as usize / 10 + 2;
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(
        ok + limited.len(),
        statuses.len(),
        "only 200 or 429: {statuses:?}"
    );
    assert!(!limited.is_empty(), "a burst over the limit is refused");
    assert!(
        ok <= 100 * windows,
        "{ok} answered in {windows} windows of 100"
    );
    assert!(
        limited
            .iter()
            .all(|(_, after)| after.as_deref() == Some("10")),
        "with Retry-After"
    );
    let refused = app.client("GET", "/v1/client/me", "eager", None).unwrap();
    if refused.status == 429 {
        assert_eq!(refused.json()["error"]["code"], "rate_limited");
    }
    // Another user is not affected.
    assert_eq!(
        app.client("GET", "/v1/client/me", "calm", None)
            .unwrap()
            .status,
        200
    );
}
