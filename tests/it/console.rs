//! The console's API on real workerd: members invited by the secret key, the admin token or an
//! owner; one-time sign-in links; the session cookie; roles enforced by the server; one
//! project's session never reading another's; the feed's filters; and the impact analysis,
//! whose numbers the test computes again from what it sent.

use std::collections::BTreeMap;
use std::time::Duration;

use cairn_e2e::{App, DEMO_SECRET_KEY, DEV_ADMIN_TOKEN, Reply};
use serde_json::{Value, json};

/// Polls `f` until it answers `Some`, for at most 30 s.
fn until<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    cairn_e2e::until(what, 30, f)
}

/// The token of a sign-in link.
fn token_of(invitation: &Value) -> String {
    let url = invitation["sign_in_url"].as_str().unwrap();
    url.split_once("/console/?signin=").unwrap().1.to_owned()
}

fn invite(app: &App, auth: &str, body: Value) -> Reply {
    app.request(
        "POST",
        "/v1/console/members",
        &[
            ("authorization", auth),
            ("content-type", "application/json"),
        ],
        Some(&body.to_string()),
    )
    .unwrap()
}

/// Signs in with `token`; the session cookie (`cairn_session=…`) and the answer.
fn sign_in(app: &App, token: &str) -> (Option<String>, Reply) {
    let reply = app
        .request(
            "POST",
            "/v1/console/session",
            &[("content-type", "application/json")],
            Some(&json!({ "token": token }).to_string()),
        )
        .unwrap();
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    (cookie, reply)
}

/// A member's request: their cookie and, for changes, the console's own origin.
fn as_member(app: &App, cookie: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let origin = app.base().to_owned();
    let mut headers = vec![("cookie", cookie), ("content-type", "application/json")];
    if method != "GET" {
        headers.push(("origin", origin.as_str()));
    }
    let body = body.map(Value::to_string);
    app.request(method, path, &headers, body.as_deref())
        .unwrap()
}

/// Signs in with a fresh link; the session cookie.
fn signed_in(app: &App, url: &str) -> String {
    let token = url.split_once("/console/?signin=").unwrap().1;
    sign_in(app, token).0.unwrap()
}

fn sk() -> String {
    format!("Bearer {DEMO_SECRET_KEY}")
}

#[test]
fn members_sign_in_once_and_the_server_enforces_their_roles() {
    let app = App::start("console-members").unwrap();
    // Something to celebrate: lee's first project.
    let events = json!({ "events": [{ "user_id": "lee", "event": "project_created" }] });
    assert_eq!(
        app.server("POST", "/v1/events", Some(&events.to_string()))
            .unwrap()
            .status,
        200
    );
    let award = until("lee's award in the ledger", || {
        let rows = app
            .server("GET", "/v1/milestones?subject=user:lee", None)
            .unwrap()
            .json();
        rows["milestones"][0]["id"].as_str().map(str::to_owned)
    });

    // Invitations: the secret key invites; a bad address is refused with the field named.
    let bad = invite(
        &app,
        &sk(),
        json!({ "email": "not an address", "role": "viewer" }),
    );
    assert_eq!(
        (bad.status, bad.json()["error"]["path"].as_str()),
        (400, Some("email"))
    );
    let viewer = invite(
        &app,
        &sk(),
        json!({ "email": "Vic@Example.com", "role": "viewer" }),
    );
    assert_eq!(viewer.status, 201, "{}", viewer.body);
    let viewer = viewer.json();
    assert_eq!(viewer["email"], "vic@example.com");
    assert!(
        viewer["sign_in_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/console/?signin=", app.base()))
    );
    let csm = invite(
        &app,
        &sk(),
        json!({ "email": "cass@example.com", "role": "csm" }),
    )
    .json();

    // A link signs in once; the cookie is HttpOnly, Secure, SameSite=Strict and bounded.
    let (cookie, reply) = sign_in(&app, &token_of(&viewer));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let set_cookie = reply.header("set-cookie").unwrap().to_owned();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/v1",
        "Max-Age=43200",
    ] {
        assert!(set_cookie.contains(part), "{set_cookie} lacks {part}");
    }
    assert_eq!(reply.json()["role"], "viewer");
    assert_eq!(reply.json()["project_id"], "prj_demo");
    let viewer_cookie = cookie.unwrap();
    let (none, replay) = sign_in(&app, &token_of(&viewer));
    assert_eq!(replay.status, 401);
    assert!(none.is_none(), "no cookie for a replayed link");
    assert!(
        replay.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    let (_, unknown) = sign_in(&app, "made-up-token");
    assert_eq!(unknown.status, 401);
    assert!(
        unknown.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid")
    );
    // An expired link (its expiry moved into the past) is refused, and stays unused.
    let late = invite(
        &app,
        &sk(),
        json!({ "email": "late@example.com", "role": "csm" }),
    )
    .json();
    app.d1("UPDATE console_links SET expires_ms = 0 WHERE email = 'late@example.com'")
        .unwrap();
    let (_, expired) = sign_in(&app, &token_of(&late));
    assert_eq!(expired.status, 401);
    assert!(
        expired.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // The viewer reads, and the server refuses their celebration (not only the page).
    let me = as_member(&app, &viewer_cookie, "GET", "/v1/console/session", None);
    assert_eq!(
        (me.status, me.json()["email"].as_str()),
        (200, Some("vic@example.com"))
    );
    let feed = as_member(&app, &viewer_cookie, "GET", "/v1/console/feed", None);
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(
        feed.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == award.as_str())
    );
    let mark = json!({ "celebration_type": "email", "notes": "sent a card" });
    let path = format!("/v1/milestones/{award}/celebrated");
    let refused = as_member(&app, &viewer_cookie, "POST", &path, Some(&mark));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs the csm role")
    );
    // Nor may a viewer invite.
    let by_viewer = as_member(
        &app,
        &viewer_cookie,
        "POST",
        "/v1/console/members",
        Some(&json!({ "email": "x@example.com", "role": "owner" })),
    );
    assert_eq!(by_viewer.status, 403);

    // The CSM records it; from another origin (a forged form) the cookie alone is not enough.
    let (csm_cookie, _) = sign_in(&app, &token_of(&csm));
    let csm_cookie = csm_cookie.unwrap();
    let forged = app
        .request(
            "POST",
            &path,
            &[
                ("cookie", &csm_cookie),
                ("content-type", "application/json"),
                ("origin", "https://evil.example"),
            ],
            Some(&mark.to_string()),
        )
        .unwrap();
    assert_eq!(forged.status, 403, "{}", forged.body);
    let marked = as_member(&app, &csm_cookie, "POST", &path, Some(&mark));
    assert_eq!(marked.status, 200, "{}", marked.body);
    // In the ledger exactly as the API and Slack record it, naming who.
    let row = app
        .server("GET", "/v1/milestones?celebrated=true", None)
        .unwrap()
        .json()["milestones"][0]
        .clone();
    assert_eq!(row["id"], award.as_str());
    assert_eq!(row["celebration_type"], "email");
    assert_eq!(row["notes"], "sent a card");
    assert_eq!(row["celebrated_by"], "console:cass@example.com");

    // Roles are read on every request: demoted, the CSM can no longer record.
    invite(
        &app,
        &sk(),
        json!({ "email": "cass@example.com", "role": "viewer" }),
    );
    let demoted = as_member(&app, &csm_cookie, "POST", &path, Some(&mark));
    assert_eq!(demoted.status, 403);

    // The admin token invites to a named project; an owner invites from the console.
    let admin = format!("Bearer {DEV_ADMIN_TOKEN}");
    let unnamed = invite(
        &app,
        &admin,
        json!({ "email": "own@example.com", "role": "owner" }),
    );
    assert_eq!(unnamed.status, 400);
    let owner = invite(
        &app,
        &admin,
        json!({ "email": "own@example.com", "role": "owner", "project_id": "prj_demo" }),
    );
    assert_eq!(owner.status, 201, "{}", owner.body);
    let (owner_cookie, _) = sign_in(&app, &token_of(&owner.json()));
    let owner_cookie = owner_cookie.unwrap();
    let by_owner = as_member(
        &app,
        &owner_cookie,
        "POST",
        "/v1/console/members",
        Some(&json!({ "email": "new@example.com", "role": "csm" })),
    );
    assert_eq!(by_owner.status, 201, "{}", by_owner.body);
    let members = as_member(&app, &owner_cookie, "GET", "/v1/console/members", None).json();
    let emails: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "cass@example.com",
            "late@example.com",
            "new@example.com",
            "own@example.com",
            "vic@example.com"
        ]
    );
    assert_eq!(
        as_member(&app, &viewer_cookie, "GET", "/v1/console/members", None).status,
        403
    );

    // Another project's owner reads nothing of this one.
    let other = app
        .request(
            "POST",
            "/v1/projects",
            &[
                ("authorization", &admin),
                ("content-type", "application/json"),
            ],
            Some(r#"{"name":"Globex","allowed_origins":[]}"#),
        )
        .unwrap()
        .json();
    let other_sk = format!("Bearer {}", other["secret_key"].as_str().unwrap());
    let outsider = invite(
        &app,
        &other_sk,
        json!({ "email": "own@example.com", "role": "owner" }),
    )
    .json();
    let (outsider_cookie, signed) = sign_in(&app, &token_of(&outsider));
    assert_eq!(signed.json()["project_id"], other["id"]);
    let outsider_cookie = outsider_cookie.unwrap();
    let theirs = as_member(&app, &outsider_cookie, "GET", "/v1/console/feed", None).json();
    assert_eq!(
        theirs["items"],
        json!([]),
        "another project's feed is its own"
    );
    assert_eq!(
        as_member(
            &app,
            &outsider_cookie,
            "GET",
            &format!("/v1/milestones/{award}/suggestions"),
            None
        )
        .status,
        404
    );
    assert_eq!(
        as_member(&app, &outsider_cookie, "POST", &path, Some(&mark)).status,
        404
    );
    let ledger = as_member(&app, &outsider_cookie, "GET", "/v1/milestones", None).json();
    assert_eq!(ledger["milestones"], json!([]));

    // Signing out ends the session on the server, not only in the browser.
    let out = as_member(&app, &viewer_cookie, "DELETE", "/v1/console/session", None);
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        as_member(&app, &viewer_cookie, "GET", "/v1/console/session", None).status,
        401
    );
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn the_feed_is_newest_first_with_the_customers_context_and_filters() {
    let app = App::start("console-feed").unwrap();
    let account = json!({
        "name": "Initech", "arr": 120000.0, "currency": "USD", "health_score": 82.0,
        "csm_name": "Dana", "customer_since": "2025-12-01"
    });
    assert_eq!(
        app.server("PUT", "/v1/accounts/initech", Some(&account.to_string()))
            .unwrap()
            .status,
        200
    );
    let events = json!({ "events": [
        { "user_id": "lee", "event": "project_created", "account_id": "initech", "timestamp": "2026-11-01T10:00:00Z" },
        { "user_id": "max", "event": "project_created", "account_id": "initech", "timestamp": "2026-11-02T10:00:00Z" },
        { "user_id": "ola", "event": "project_created", "value": 10, "timestamp": "2026-11-03T10:00:00Z" },
    ]});
    assert_eq!(
        app.server("POST", "/v1/events", Some(&events.to_string()))
            .unwrap()
            .status,
        200
    );
    let feed = |q: &str| {
        app.server("GET", &format!("/v1/console/feed?{q}"), None)
            .unwrap()
    };
    // lee, max, ola ×2 (1 and 10 projects), and initech's teammates (2).
    let all = until("every award in the feed", || {
        let items = feed("").json()["items"].as_array().unwrap().clone();
        (items.len() >= 5).then_some(items)
    });
    let times: Vec<&str> = all
        .iter()
        .map(|i| i["achieved_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    let lee = all.iter().find(|i| i["subject_id"] == "lee").unwrap();
    assert_eq!(lee["account"]["name"], "Initech");
    assert_eq!(lee["account"]["arr"], 120000.0);
    assert_eq!(lee["account"]["health_score"], 82.0);
    assert_eq!(lee["days_as_customer"], 335, "2025-12-01 to 2026-11-01");

    let subjects = |q: &str| -> Vec<String> {
        let r = feed(q);
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}:{}",
                    i["subject_type"].as_str().unwrap(),
                    i["subject_id"].as_str().unwrap(),
                    i["milestone_key"].as_str().unwrap()
                )
            })
            .collect()
    };
    let initech = subjects("account=initech");
    assert!(
        initech.iter().all(|s| s.contains(":lee:")
            || s.contains(":max:")
            || s.starts_with("account:initech")),
        "{initech:?}"
    );
    assert!(
        initech.iter().any(|s| s.starts_with("account:initech"))
            && initech.iter().any(|s| s.contains(":lee:"))
    );
    assert_eq!(
        subjects("csm=Dana"),
        initech,
        "Dana's accounts are Initech's"
    );
    assert!(
        subjects("scope=account")
            .iter()
            .all(|s| s.starts_with("account:"))
    );
    assert_eq!(subjects("milestone=projects.10"), ["user:ola:projects.10"]);
    assert_eq!(
        subjects("since=2026-11-02T00:00:00Z&until=2026-11-03T00:00:00Z&scope=user"),
        ["user:max:projects.1"]
    );
    assert!(subjects("celebrated=true").is_empty());
    // Pages follow one another without overlap.
    let first = feed("limit=2").json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = feed(&format!("limit=2&cursor={}", cairn_e2e::encode(cursor))).json();
    let ids = |p: &Value| {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert!(a.iter().all(|x| !b.contains(x)));
    assert_eq!(
        [a, b].concat(),
        all.iter()
            .take(4)
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    // Case-study candidates: Initech (two users' milestones and its own) ranks above nobody
    // else — ola has no account — and its status is recorded, and exported as CSV.
    let studies = app
        .server("GET", "/v1/console/case-studies", None)
        .unwrap()
        .json();
    let candidates = studies["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 1, "{studies}");
    let initech = &candidates[0];
    assert_eq!(initech["account"]["account_id"], "initech");
    assert_eq!(initech["account"]["name"], "Initech");
    let total = all
        .iter()
        .filter(|i| i["account"]["account_id"] == "initech")
        .count();
    assert_eq!(initech["total"].as_u64().unwrap() as usize, total);
    // The score as the console documents it.
    let want = 10.0 * initech["advanced"].as_f64().unwrap()
        + 3.0 * initech["mid"].as_f64().unwrap()
        + 5.0 * (1.0f64 + 120000.0 / 1000.0).log10()
        + 82.0 / 10.0;
    assert!(
        (initech["score"].as_f64().unwrap() - want).abs() < 0.051,
        "{initech} vs {want}"
    );
    let agreed = app
        .server(
            "PUT",
            "/v1/console/case-studies/initech",
            Some(r#"{"status":"agreed","note":"Loves the product, say \"yes\""}"#),
        )
        .unwrap();
    assert_eq!(agreed.status, 200, "{}", agreed.body);
    assert_eq!(agreed.json()["status"], "agreed");
    assert_eq!(
        app.server(
            "PUT",
            "/v1/console/case-studies/nobody",
            Some(r#"{"status":"asked"}"#)
        )
        .unwrap()
        .status,
        404
    );
    assert_eq!(
        app.server(
            "PUT",
            "/v1/console/case-studies/initech",
            Some(r#"{"status":"maybe"}"#)
        )
        .unwrap()
        .status,
        400
    );
    let export = app
        .server("GET", "/v1/console/case-studies?format=csv", None)
        .unwrap();
    assert!(
        export
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(export.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..4], ["rank", "account_id", "name", "score"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    let field = |name: &str| {
        records[0]
            .get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_owned()
    };
    assert_eq!(field("account_id"), "initech");
    assert_eq!(field("status"), "agreed");
    assert_eq!(
        field("note"),
        "Loves the product, say \"yes\"",
        "quotes survive the round trip"
    );
    assert_eq!(field("total"), total.to_string());

    // Bad filters are refused in plain words.
    assert_eq!(feed("scope=team").status, 400);
    assert_eq!(feed("limit=0").status, 400);
    assert_eq!(feed("since=yesterday").status, 400);
    assert_eq!(feed("colour=blue").status, 400);
}

/// One arm's counts on one day, as the test computes them from what it sent.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    users: u64,
    returned: u64,
}

/// The API's comparison against the test's own: counts, rates, difference, interval, MDE.
fn check_comparison(got: &Value, celebrated: Counts, holdout: Counts) {
    let day = got["day"].as_u64().unwrap();
    for (name, c) in [("celebrated", celebrated), ("holdout", holdout)] {
        assert_eq!(
            got[name]["users"].as_u64(),
            Some(c.users),
            "D{day} {name} users: {got}"
        );
        assert_eq!(
            got[name]["returned"].as_u64(),
            Some(c.returned),
            "D{day} {name} returned: {got}"
        );
    }
    let (n1, n2) = (celebrated.users as f64, holdout.users as f64);
    let (p1, p2) = (
        celebrated.returned as f64 / n1,
        holdout.returned as f64 / n2,
    );
    let close = |field: &str, want: f64| {
        let v = got[field]
            .as_f64()
            .unwrap_or_else(|| panic!("D{day} {field} missing: {got}"));
        assert!((v - want).abs() < 1e-9, "D{day} {field}: {v} != {want}");
    };
    close("difference", p1 - p2);
    let se = (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
    // The standard normal's 97.5th and 80th percentiles.
    let (z, zb) = (1.959_963_984_540_054, 0.841_621_233_572_914_3);
    close("ci_low", p1 - p2 - z * se);
    close("ci_high", p1 - p2 + z * se);
    let pooled = (celebrated.returned + holdout.returned) as f64 / (n1 + n2);
    close(
        "mde",
        (z + zb) * (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt(),
    );
    let enough = [celebrated, holdout]
        .iter()
        .all(|c| c.users >= 30 && c.returned >= 5 && c.users - c.returned >= 5);
    let lo = p1 - p2 - z * se;
    let hi = p1 - p2 + z * se;
    let verdict = if !enough {
        "not_enough_users"
    } else if lo > 0.0 {
        "celebrated_retain_better"
    } else if hi < 0.0 {
        "celebrated_retain_worse"
    } else {
        "no_detectable_difference"
    };
    assert_eq!(got["verdict"], verdict, "D{day}: {got}");
}

#[test]
fn impact_numbers_equal_an_independent_computation() {
    let app = App::start("console-impact").unwrap();
    let project = app.create_project("Impact");
    let key = format!("Bearer {}", project["secret_key"].as_str().unwrap());
    // Events carry idempotency keys, so a 503 (the local runtime restarting mid-request under
    // the other tests' load) is sent again after its Retry-After, as a client would.
    let server = |method: &str, path: &str, body: &str, content_type: &str| {
        app.retrying(&key, method, path, body, content_type)
    };
    let toml = "version = 1\n[[metrics]]\nkey = \"task\"\nname = \"tasks\"\n\
                [[metrics]]\nkey = \"view\"\nname = \"views\"\n\
                [[ladders]]\nkey = \"tasks\"\nmetric = \"task\"\nthresholds = [1]\nname = \"{count} tasks\"\n\
                [holdout]\npercent = 40\n";
    let put = server("PUT", "/v1/definitions", toml, "application/toml");
    assert_eq!(put.status, 200, "{}", put.body);

    // 300 users reach their first task 40 days ago at noon (UTC); some return on day 1, 7 and
    // 30, by a pattern the test knows. 40 more reached it 3 days ago: day 1 has passed for them,
    // day 7 not yet (the fixed horizon). One more user's task is imported history.
    let now = jiff::Timestamp::now();
    let noon = |days_ago: i64| {
        let day = now.to_zoned(jiff::tz::TimeZone::UTC).date() - jiff::Span::new().days(days_ago);
        day.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp()
            + jiff::SignedDuration::from_hours(12)
    };
    let returns = |i: usize| {
        [
            i.is_multiple_of(2),
            i.is_multiple_of(3),
            i.is_multiple_of(5),
        ]
    };
    let mut users: Vec<(String, i64)> = (0..300).map(|i| (format!("u{i}"), 40)).collect();
    users.extend((0..40).map(|i| (format!("r{i}"), 3)));
    // 25 more start 20 days ago with a view, and reach their first task h hours later (the
    // time to first milestone); they never return.
    let late_hours = |i: usize| ((i * 37) % 61) as i64;
    let mut events = Vec::new();
    for i in 0..25 {
        let user = format!("t{i}");
        let start = noon(20);
        let task = start + jiff::SignedDuration::from_hours(late_hours(i));
        events.push(json!({ "user_id": user, "event": "view", "timestamp": start.to_string(), "idempotency_key": format!("{user}-v") }));
        events.push(json!({ "user_id": user, "event": "task", "timestamp": task.to_string(), "idempotency_key": format!("{user}-t") }));
    }
    for (i, (user, ago)) in users.iter().enumerate() {
        let start = noon(*ago);
        events.push(json!({ "user_id": user, "event": "task", "timestamp": start.to_string(), "idempotency_key": format!("{user}-0") }));
        for (back, n) in returns(i).into_iter().zip([1i64, 7, 30]) {
            let at = start + jiff::SignedDuration::from_hours(24 * n);
            if back && at < now {
                events.push(json!({ "user_id": user, "event": "task", "timestamp": at.to_string(), "idempotency_key": format!("{user}-{n}") }));
            }
        }
    }
    for chunk in events.chunks(900) {
        let reply = server(
            "POST",
            "/v1/events",
            &json!({ "events": chunk }).to_string(),
            "application/json",
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let history = json!({ "events": [
        { "user_id": "old", "event": "task", "timestamp": noon(60).to_string(), "idempotency_key": "old-1" },
        { "user_id": "old", "event": "task", "timestamp": noon(59).to_string(), "idempotency_key": "old-2" },
    ]});
    let imported = server(
        "POST",
        "/v1/import",
        &history.to_string(),
        "application/json",
    );
    assert_eq!(imported.status, 200, "{}", imported.body);

    // Which arm each user is in: the ledger's holdout flag (the engine's deterministic draw).
    let mut holdout: BTreeMap<String, bool> = BTreeMap::new();
    let ledger = until("every award in the ledger", || {
        app.ledger(&key)
            .filter(|rows| rows.len() == users.len() + 25 + 1)
    });
    for row in &ledger {
        holdout.insert(
            row["subject_id"].as_str().unwrap().to_owned(),
            row["holdout"] == true,
        );
    }
    let held = holdout.values().filter(|h| **h).count();
    assert!((80..=190).contains(&held), "about 40 % held out: {held}");

    // Expected counts per day (index 0, 1, 2 for D1, D7, D30) and arm.
    let mut want = [[Counts::default(); 2]; 3];
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    for i in 0..25 {
        let task = noon(20) + jiff::SignedDuration::from_hours(late_hours(i));
        let ago = i64::from((today - task.to_zoned(jiff::tz::TimeZone::UTC).date()).get_days());
        let arm = usize::from(!holdout[&format!("t{i}")]);
        for (d, n) in [1i64, 7, 30].into_iter().enumerate() {
            if ago >= n + 2 {
                want[d][arm].users += 1;
            }
        }
    }
    for (i, (user, ago)) in users.iter().enumerate() {
        let arm = usize::from(!holdout[user]); // 1: celebrated, 0: holdout
        for (d, (n, back)) in [1i64, 7, 30].into_iter().zip(returns(i)).enumerate() {
            // The horizon: the award's UTC day is at least n + 2 days before today.
            if *ago >= n + 2 {
                want[d][arm].users += 1;
                want[d][arm].returned += u64::from(back);
            }
        }
    }
    let report = until("every return counted", || {
        let r = app
            .request(
                "GET",
                "/v1/analytics/impact",
                &[("authorization", &key)],
                None,
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        let r = r.json();
        let first = r["milestones"]
            .as_array()?
            .iter()
            .find(|m| m["milestone_key"] == "*")?
            .clone();
        let returned: u64 = first["retention"]
            .as_array()?
            .iter()
            .map(|c| {
                c["celebrated"]["returned"].as_u64().unwrap()
                    + c["holdout"]["returned"].as_u64().unwrap()
            })
            .sum();
        let counted: u64 = first["retention"]
            .as_array()?
            .iter()
            .map(|c| {
                c["celebrated"]["users"].as_u64().unwrap() + c["holdout"]["users"].as_u64().unwrap()
            })
            .sum();
        let expected: u64 = want.iter().flatten().map(|c| c.returned).sum();
        let expected_users: u64 = want.iter().flatten().map(|c| c.users).sum();
        (returned == expected && counted == expected_users).then_some(r)
    });
    let milestones = report["milestones"].as_array().unwrap();
    assert_eq!(
        milestones.len(),
        2,
        "the overall comparison and the one milestone: {report}"
    );
    assert_eq!(milestones[0]["milestone_key"], "*");
    assert_eq!(milestones[1]["milestone_key"], "tasks.1");
    assert_eq!(milestones[1]["milestone_name"], "1 tasks");
    for m in milestones {
        let retention = m["retention"].as_array().unwrap();
        assert_eq!(
            retention
                .iter()
                .map(|c| c["day"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [1, 7, 30]
        );
        for (d, got) in retention.iter().enumerate() {
            check_comparison(got, want[d][1], want[d][0]);
        }
    }
    // The same numbers for one milestone, and from a console session.
    let one = app
        .request(
            "GET",
            "/v1/analytics/impact?milestone=tasks.1",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    assert_eq!(one["milestones"], report["milestones"]);

    // Time to first milestone by signup week, nearest-rank quantiles computed here again; and
    // the tiers (every award here is the one early step, history included).
    let progress = app
        .request(
            "GET",
            "/v1/analytics/progress",
            &[("authorization", &key)],
            None,
        )
        .unwrap();
    assert_eq!(progress.status, 200, "{}", progress.body);
    let progress = progress.json();
    let week_of = |ago: i64| {
        let d = noon(ago).to_zoned(jiff::tz::TimeZone::UTC).date();
        (d - jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset()))).to_string()
    };
    let mut by_week: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (_, ago) in &users {
        by_week.entry(week_of(*ago)).or_default().push(0);
    }
    for i in 0..25 {
        by_week
            .entry(week_of(20))
            .or_default()
            .push(late_hours(i) as u64);
    }
    let rank = |v: &mut Vec<u64>, q: f64| {
        v.sort_unstable();
        v[((q * v.len() as f64).ceil() as usize).max(1) - 1]
    };
    let got = progress["time_to_first"].as_array().unwrap();
    assert_eq!(got.len(), by_week.len(), "{progress}");
    for (w, (week, hours)) in got.iter().zip(by_week.iter_mut()) {
        assert_eq!(w["signup_week"], week.as_str());
        assert_eq!(w["users"].as_u64().unwrap() as usize, hours.len());
        assert_eq!(w["p50_hours"].as_u64().unwrap(), rank(hours, 0.5), "{w}");
        assert_eq!(w["p75_hours"].as_u64().unwrap(), rank(hours, 0.75), "{w}");
        assert_eq!(w["p90_hours"].as_u64().unwrap(), rank(hours, 0.9), "{w}");
    }
    let all = users.len() as u64 + 25 + 1;
    assert_eq!(progress["users"].as_u64(), Some(all));
    assert_eq!(
        progress["tiers"],
        json!([{ "tier": "early", "users": all, "share": 1.0 }])
    );
    assert_eq!(
        app.request("GET", "/v1/analytics/impact", &[], None)
            .unwrap()
            .status,
        401
    );
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn a_csm_and_a_viewer_use_the_console_in_a_browser() {
    let app = App::start("console-browser").unwrap();
    // A seeded history (the one `cargo xtask dev --history` makes, smaller): accounts with
    // their context, users over 45 days, a holdout.
    let plan = xtask::history::Plan {
        users: 500,
        days: 45,
        accounts: 40,
        holdout: 30,
        ..Default::default()
    };
    let seeded = xtask::history::seed(app.base(), &plan).unwrap();
    let key = format!("Bearer {}", seeded.secret_key);
    let feed = |q: &str| {
        app.request(
            "GET",
            &format!("/v1/console/feed?{q}"),
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json()
    };
    until("the history in the feed", || {
        (feed("limit=200")["items"].as_array().unwrap().len() == 200).then_some(())
    });
    let link = |email: &str, role: &str| {
        invite(&app, &key, json!({ "email": email, "role": role })).json()["sign_in_url"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let csm = link("cass@example.com", "csm");
    let viewer = link("vic@example.com", "viewer");
    let owner = link("own@example.com", "owner");
    let seen = app
        .browser_with(
            "console.mjs",
            &[
                ("CSM_LINK", &csm),
                ("VIEWER_LINK", &viewer),
                ("OWNER_LINK", &owner),
            ],
        )
        .unwrap();
    eprintln!("browser observed: {seen:#}");

    // Signed in by the link, which left the address bar at once.
    assert!(
        seen["csp"]
            .as_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{}",
        seen["csp"]
    );
    assert_eq!(seen["address"], format!("{}/console/", app.base()));
    let rows = seen["rows"].as_array().unwrap();
    assert!(rows.len() >= 50, "{}", rows.len());
    // Every row names its customer with the account's context.
    assert!(
        rows.iter()
            .all(|r| r[2].as_str().unwrap().contains(" · ARR USD ")
                && r[2].as_str().unwrap().contains(" · health ")),
        "{rows:?}"
    );
    assert!(
        seen["accountRows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r[1].as_str().unwrap().starts_with("account "))
    );
    assert!(!seen["accountRows"].as_array().unwrap().is_empty());
    assert!(
        seen["userRows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r[1].as_str().unwrap().starts_with("user "))
    );
    assert!(
        !seen["suggestions"].as_array().unwrap().is_empty(),
        "suggested recognition shown"
    );
    assert!(
        seen["celebrated"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "gift · console:cass@example.com")
    );
    // …and recorded in the ledger like any other celebration.
    let who = seen["celebratedWho"].as_str().unwrap();
    let subject = who.replacen(' ', ":", 1);
    let row = app
        .request(
            "GET",
            "/v1/milestones?celebrated=true",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json()["milestones"][0]
        .clone();
    assert_eq!(
        format!(
            "{}:{}",
            row["subject_type"].as_str().unwrap(),
            row["subject_id"].as_str().unwrap()
        ),
        subject
    );
    assert_eq!(row["milestone_name"], seen["celebratedWhat"]);
    assert_eq!(
        (row["celebration_type"].as_str(), row["notes"].as_str()),
        (Some("gift"), Some("Sent a hoodie"))
    );

    // Case studies: the marketer's list, a status recorded, the CSV export parsed.
    let studies = &seen["caseStudies"];
    assert!(studies["rows"].as_u64().unwrap() >= 10, "{studies}");
    assert!(
        studies["status"]
            .as_str()
            .unwrap()
            .contains("console:cass@example.com"),
        "{studies}"
    );
    let csv_text = studies["csv"].as_str().unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as u64, studies["rows"].as_u64().unwrap());
    assert!(
        records.iter().any(|r| r.iter().any(|f| f == "agreed")),
        "{csv_text}"
    );

    // The impact page: every chart is an image with a title, beside its table.
    let impact = &seen["impact"];
    assert_eq!(impact["current"], "Impact");
    let charts = impact["charts"].as_array().unwrap();
    assert!(charts.len() >= 2, "{impact}");
    assert!(charts.iter().all(|c| c["labelled"] == true), "{impact}");
    let titles: Vec<&str> = charts
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    let retention = titles
        .iter()
        .filter(|t| t.starts_with("Retention of celebrated and holdout users"))
        .count();
    assert!(retention >= 2, "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Median hours to the first milestone by signup week: ")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Users reaching each tier, of ")),
        "{titles:?}"
    );
    for prefix in [
        "Call-to-action click-through by tier: ",
        "Users at each step of the funnel: started ",
    ] {
        assert!(
            titles.iter().any(|t| t.starts_with(prefix)),
            "{prefix}: {titles:?}"
        );
    }
    // Time to first, tiers, click-through, the funnel.
    assert_eq!(retention + 4, charts.len());
    // Each chart's table, and the per-milestone calls to action and shares.
    assert_eq!(
        impact["tables"].as_u64().unwrap() as usize,
        charts.len() + 1
    );
    assert_eq!(impact["sections"][0], "Each user's first milestone");
    let sections: Vec<&str> = impact["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        sections.contains(&"Time to first milestone")
            && sections.contains(&"Progression through tiers")
            && sections.contains(&"Calls to action and sharing")
            && sections.contains(&"Setup → activation → habit"),
        "{sections:?}"
    );
    assert_eq!(impact["verdicts"].as_array().unwrap().len(), 3, "{impact}");

    // The calls to action and shares the history recorded, as the API counts them.
    let api = app
        .request(
            "GET",
            "/v1/analytics/impact",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    let rows = seen["engagement"].as_array().unwrap();
    let shown: u64 = rows
        .iter()
        .map(|r| r[2].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    let api_shown: u64 = api["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["cta"]["views"].as_u64())
        .sum();
    assert_eq!(shown, api_shown, "{rows:?}");
    assert!(shown > 0, "the history shows calls to action");
    let shared: u64 = rows
        .iter()
        .map(|r| r[6].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(shared > 0, "the history shares badges: {rows:?}");

    // The ladder simulator shows the API's numbers for the thresholds typed in.
    let ladder = &seen["ladder"];
    let want = app
        .request(
            "GET",
            "/v1/analytics/ladder?metric=project_created&thresholds=1,3,11",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    let typed = ladder["typed"].as_array().unwrap();
    for (row, sim) in typed.iter().zip(want["simulated"].as_array().unwrap()) {
        assert_eq!(row[0], sim["threshold"].to_string());
        let words = if sim["exact"] == true {
            format!(
                "{} ({:.1} %)",
                sim["reached"],
                sim["share"].as_f64().unwrap() * 100.0
            )
        } else {
            format!("between {} and {}", sim["reached_min"], sim["reached"])
        };
        assert_eq!(row[1].as_str().unwrap(), words, "{ladder}");
    }
    assert!(
        typed[2][1].as_str().unwrap().starts_with("between"),
        "11 is off the grid"
    );
    assert_eq!(
        ladder["input"], "1, 10, 50, 100, 500, 1000",
        "the live ladder first"
    );
    assert_eq!(ladder["live"].as_array().unwrap().len(), 6);
    let suggested = want["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["threshold"].to_string())
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(ladder["suggested"], suggested.as_str());
    assert_eq!(ladder["used"], suggested.as_str());
    assert!(
        ladder["charts"][0]
            .as_str()
            .unwrap()
            .starts_with("Users whose projects created total reached each value"),
        "{ladder}"
    );

    // The definitions editor: the engine's messages in the page are the server's, word for word.
    let defs = &seen["definitions"];
    let rejected = app
        .request(
            "PUT",
            "/v1/definitions",
            &[
                ("authorization", &key),
                ("content-type", "application/toml"),
            ],
            Some(defs["text"].as_str().unwrap()),
        )
        .unwrap();
    assert_eq!(rejected.status, 422, "{}", rejected.body);
    let server: Vec<String> = rejected.json()["error"]["details"]
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
    let page: Vec<String> = defs["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page, server);
    assert!(
        page.contains(&"holdout.percent: must be between 0 and 50".to_owned()),
        "{page:?}"
    );
    assert_eq!(
        defs["publishDisabled"], true,
        "an invalid draft cannot be published"
    );
    assert!(
        defs["diff"]
            .as_str()
            .unwrap()
            .contains("+thresholds = [1, 5, 10, 50, 100, 500, 1000]"),
        "{defs}"
    );
    assert_eq!(defs["published"], "Published version 2.");
    assert_eq!(defs["rolledBack"], "Version 1 is live again, as version 3.");
    let versions = app
        .request(
            "GET",
            "/v1/definitions/versions",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    let v: Vec<(i64, String, bool)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["created_by"].as_str().unwrap_or_default().to_owned(),
                v["live"] == true,
            )
        })
        .collect();
    assert_eq!(
        v[0],
        (
            3,
            "rollback to 1 by console:own@example.com".to_owned(),
            true
        )
    );
    assert_eq!(v[1], (2, "console:own@example.com".to_owned(), false));
    let live = app
        .request("GET", "/v1/definitions", &[("authorization", &key)], None)
        .unwrap()
        .json();
    let first = app
        .request(
            "GET",
            "/v1/definitions?version=1",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    assert_eq!(
        live["definitions"], first["definitions"],
        "version 3 is version 1 again"
    );
    assert_eq!(live["source"], first["source"]);
    // A CSM may not publish: the server says so.
    assert_eq!(
        as_member(
            &app,
            &signed_in(&app, &link("late@example.com", "csm")),
            "POST",
            "/v1/definitions/rollback",
            Some(&json!({ "version": 2 }))
        )
        .status,
        403
    );

    assert_eq!(seen["afterSignOut"], 401);
    assert!(
        seen["replay"].as_str().unwrap().contains("already used"),
        "{}",
        seen["replay"]
    );
    assert_eq!(seen["viewerDisabled"], true);
    assert_eq!(seen["viewerCall"]["status"], 403, "{}", seen["viewerCall"]);
    for state in seen["axe"].as_array().unwrap() {
        assert_eq!(
            state["serious"],
            json!([]),
            "axe in {}: {state}",
            state["state"]
        );
    }
    assert_eq!(seen["axe"].as_array().unwrap().len(), 8);
    for key in [
        "csmViolations",
        "viewerViolations",
        "csmErrors",
        "viewerErrors",
    ] {
        assert_eq!(seen[key], json!([]), "{key}");
    }
    for shot in [
        "console-feed.png",
        "console-celebrate.png",
        "console-impact.png",
        "console-case-studies.png",
        "console-ladder.png",
        "console-definitions.png",
    ] {
        assert!(app.dir().join(shot).is_file(), "{shot}");
    }
}

#[test]
fn an_invitation_is_emailed_through_loops_with_the_link_sealed_at_rest() {
    use cairn_e2e::receiver::{Answer, Receiver};
    let app = App::start_with("console-invite", 10_000).unwrap();
    let loops = Receiver::start();
    loops.answer(|_| Answer::json(200, &json!({ "success": true })));
    let integrations = json!({ "loops": {
        "api_key": "loops-key", "api_url": format!("{}/api", loops.url),
        "transactional_ids": { "console_invite": "tx_invite" },
    }});
    let put = app
        .server("PUT", "/v1/integrations", Some(&integrations.to_string()))
        .unwrap();
    assert_eq!(put.status, 200, "{}", put.body);
    let invitation = invite(
        &app,
        &sk(),
        json!({ "email": "dana@acme.example", "role": "csm" }),
    );
    assert_eq!(invitation.status, 201, "{}", invitation.body);
    let invitation = invitation.json();
    assert_eq!(invitation["emailed"], true);
    let sent = loops.until(Duration::from_secs(60), |got| !got.is_empty());
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.url, "/api/v1/transactional");
    assert_eq!(r.header("authorization"), Some("Bearer loops-key"));
    assert!(
        r.header("idempotency-key")
            .is_some_and(|k| k.starts_with("invite_")),
        "{r:?}"
    );
    let body = r.json();
    assert_eq!(body["transactionalId"], "tx_invite");
    assert_eq!(body["email"], "dana@acme.example");
    assert_eq!(
        body["dataVariables"]["signInUrl"],
        invitation["sign_in_url"]
    );
    assert_eq!(body["dataVariables"]["role"], "csm");
    assert_eq!(body["dataVariables"]["project"], "Acme Projects (demo)");
    // The emailed link signs in (once); the delivery log never shows it.
    let token = token_of(&invitation);
    let deliveries = app.server("GET", "/v1/deliveries", None).unwrap();
    assert_eq!(deliveries.status, 200, "{}", deliveries.body);
    assert!(deliveries.body.contains("invite_"), "{}", deliveries.body);
    assert!(
        !deliveries.body.contains(&token),
        "the link is sealed at rest"
    );
    let (cookie, signed) = sign_in(&app, &token);
    assert_eq!((signed.status, cookie.is_some()), (200, true));
    // Without the email configured, the answer says it was not sent.
    let put = app
        .server("PUT", "/v1/integrations", Some(r#"{"loops": null}"#))
        .unwrap();
    assert_eq!(put.status, 200, "{}", put.body);
    let plain = invite(
        &app,
        &sk(),
        json!({ "email": "eli@acme.example", "role": "viewer" }),
    )
    .json();
    assert_eq!(plain["emailed"], false);
}
