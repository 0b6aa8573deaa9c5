//! What the product team tunes with, on real workerd, against numbers the test computes again
//! from what it sent: conversions within 14 days of an award (celebrated against holdout),
//! calls to action shown and followed (once per award, only by the award's own user), shares
//! with their visits and signups, the setup → activation → habit funnel, and ladder tuning
//! (the distribution of totals, days to each value, a simulation of other thresholds and the
//! suggested ones).

use std::collections::BTreeMap;

use cairn_e2e::{App, Reply, until};
use serde_json::json;

/// Tasks user `i` completes.
fn tasks(i: usize) -> usize {
    (i * 7) % 23 + 1
}

/// Hours between user `i`'s tasks.
fn spacing(i: usize) -> i64 {
    12 + (i as i64 % 5) * 6
}

/// Whether user `i` upgrades, and how many hours after their first task.
fn upgrade(i: usize) -> Option<i64> {
    i.is_multiple_of(3).then(|| (i as i64 % 20) * 24 + 1)
}

const USERS: usize = 150;
const GRID: [u64; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20];

#[test]
fn tuning_numbers_equal_an_independent_computation() {
    let app = App::start("tuning").unwrap();
    let project = app.create_project("Tuning");
    let key = format!("Bearer {}", project["secret_key"].as_str().unwrap());
    let publishable = project["publishable_key"].as_str().unwrap().to_owned();
    let identity = project["identity_secret"].as_str().unwrap().to_owned();
    let server = |method: &str, path: &str, body: &str, content_type: &str| -> Reply {
        app.retrying(&key, method, path, body, content_type)
    };
    let toml = "version = 1\n\
                [[metrics]]\nkey = \"task\"\nname = \"tasks\"\n\
                [[metrics]]\nkey = \"upgrade\"\nname = \"upgrades\"\nconversion = true\n\
                [[ladders]]\nkey = \"tasks\"\nmetric = \"task\"\nthresholds = [1, 5, 20]\nname = \"{count} tasks\"\n\
                stages = [\"setup\", \"activation\", \"habit\"]\n\
                [holdout]\npercent = 40\n";
    let put = server("PUT", "/v1/definitions", toml, "application/toml");
    assert_eq!(put.status, 200, "{}", put.body);

    // Each user starts 40 days ago at noon (UTC) and completes tasks(i) tasks, spacing(i)
    // hours apart; a third upgrade once.
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let start = (today - jiff::Span::new().days(40))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        + jiff::SignedDuration::from_hours(12);
    let hours = |h: i64| start + jiff::SignedDuration::from_hours(h);
    let mut events = Vec::new();
    for i in 0..USERS {
        let user = format!("u{i}");
        for j in 0..tasks(i) {
            let at = hours(j as i64 * spacing(i));
            events.push(json!({ "user_id": user, "event": "task", "timestamp": at.to_string(), "idempotency_key": format!("{user}-{j}") }));
        }
        if let Some(h) = upgrade(i) {
            events.push(json!({ "user_id": user, "event": "upgrade", "timestamp": hours(h).to_string(), "idempotency_key": format!("{user}-up") }));
        }
    }
    events.sort_by_key(|e| e["timestamp"].as_str().unwrap().to_owned());
    for chunk in events.chunks(900) {
        let reply = server(
            "POST",
            "/v1/events",
            &json!({ "events": chunk }).to_string(),
            "application/json",
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    // The arms, from the ledger's holdout flag; every award's id.
    let awards_expected: usize = (0..USERS)
        .map(|i| [1, 5, 20].iter().filter(|&&t| tasks(i) >= t).count())
        .sum();
    let ledger = until("every award in the ledger", 60, || {
        app.ledger(&key)
            .filter(|rows| rows.len() == awards_expected)
    });
    let mut held: BTreeMap<String, bool> = BTreeMap::new();
    let mut award: BTreeMap<(String, String), String> = BTreeMap::new();
    for row in &ledger {
        let user = row["subject_id"].as_str().unwrap().to_owned();
        held.insert(user.clone(), row["holdout"] == true);
        award.insert(
            (user, row["milestone_key"].as_str().unwrap().to_owned()),
            row["id"].as_str().unwrap().to_owned(),
        );
    }

    // Calls to action: every fourth user is shown tasks.1's, every eighth follows it; shown
    // twice, it counts once; another user's call on someone's award counts for nobody.
    let token = |user: &str| {
        let t = cairn_e2e::now_secs();
        cairn_e2e::sign(
            &identity,
            &cairn_core::wire::UserClaims {
                sub: user.into(),
                exp: t + 3600,
                iat: Some(t),
                acct: None,
                traits: None,
            },
        )
    };
    let client = |user: &str, method: &str, path: &str, body: Option<&str>| -> Reply {
        let bearer = format!("Bearer {}", token(user));
        app.request(
            method,
            path,
            &[
                ("authorization", &bearer),
                ("x-cairn-key", &publishable),
                ("content-type", "application/json"),
            ],
            body,
        )
        .unwrap()
    };
    let cta = |user: &str, id: &str, action: &str| {
        client(
            user,
            "POST",
            &format!("/v1/client/awards/{id}/cta"),
            Some(&json!({ "action": action }).to_string()),
        )
    };
    let (mut views, mut clicks) = (0u64, 0u64);
    for i in (0..USERS).step_by(4) {
        let user = format!("u{i}");
        let id = &award[&(user.clone(), "tasks.1".to_owned())];
        let r = cta(&user, id, "view");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.json(),
            json!({ "id": id, "action": "view", "recorded": true })
        );
        assert_eq!(cta(&user, id, "view").status, 200);
        views += 1;
        if i.is_multiple_of(8) {
            assert_eq!(cta(&user, id, "click").status, 200);
            clicks += 1;
        }
    }
    let someone = &award[&("u1".to_owned(), "tasks.1".to_owned())];
    assert_eq!(
        cta("u2", someone, "click").status,
        200,
        "accepted, not counted"
    );
    let bad = cta("u1", someone, "hover");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        client(
            "u1",
            "POST",
            "/v1/client/awards/aw_1/cta",
            Some(r#"{"action":"view"}"#)
        )
        .status,
        400
    );

    // Shares: three users share tasks.1; each page is visited by distinct people, some of
    // whom sign up.
    let mut shared = (0u64, 0u64, 0u64);
    for (n, i) in [3usize, 6, 9].into_iter().enumerate() {
        let user = format!("u{i}");
        let id = &award[&(user.clone(), "tasks.1".to_owned())];
        let share = client(
            &user,
            "POST",
            "/v1/client/shares",
            Some(&json!({ "award_id": id, "message": "Done", "display_name": user }).to_string()),
        );
        assert_eq!(share.status, 201, "{}", share.body);
        let share_id = share.json()["share_id"].as_str().unwrap().to_owned();
        for v in 0..=n {
            let page = app
                .request(
                    "GET",
                    &format!("/s/{share_id}"),
                    &[("user-agent", &format!("Mozilla/5.0 (visitor {n}-{v})"))],
                    None,
                )
                .unwrap();
            assert_eq!(page.status, 200);
        }
        for s in 0..n {
            let r = server(
                "POST",
                "/v1/attributions",
                &json!({ "user_id": format!("new-{n}-{s}"), "ref": share_id }).to_string(),
                "application/json",
            );
            assert_eq!(r.status, 200, "{}", r.body);
        }
        shared = (shared.0 + 1, shared.1 + n as u64 + 1, shared.2 + n as u64);
    }

    // Conversions, computed here: an award converts when the user's upgrade is at or after
    // it and at most 14 days later; awards count once 14 days have passed everywhere (their
    // UTC day at least 16 days ago: the fixed horizon).
    let mut want: BTreeMap<&str, [(u64, u64); 2]> = BTreeMap::new();
    let horizon = today - jiff::Span::new().days(16);
    for i in 0..USERS {
        let arm = usize::from(!held[&format!("u{i}")]);
        for (key, t) in [
            ("*", 1usize),
            ("tasks.1", 1),
            ("tasks.5", 5),
            ("tasks.20", 20),
        ] {
            if tasks(i) < t {
                continue;
            }
            let at = (t as i64 - 1) * spacing(i);
            if hours(at).to_zoned(jiff::tz::TimeZone::UTC).date() > horizon {
                want.entry(key).or_default();
                continue;
            }
            let converted = upgrade(i).is_some_and(|u| u >= at && u - at <= 14 * 24);
            let cell = &mut want.entry(key).or_default()[arm];
            cell.0 += 1;
            cell.1 += u64::from(converted);
        }
    }
    let celebrated_tasks1 = (0..USERS).filter(|i| !held[&format!("u{i}")]).count() as u64;
    let report = until(
        "every conversion, call to action and share counted",
        60,
        || {
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
            let ms = r["milestones"].as_array()?;
            let done = ms.iter().all(|m| {
                let k = m["milestone_key"].as_str().unwrap();
                let c = &m["conversion"];
                want.get(k).is_some_and(|w| {
                    c["celebrated"]["returned"].as_u64() == Some(w[1].1)
                        && c["holdout"]["returned"].as_u64() == Some(w[0].1)
                })
            });
            let t1 = ms.iter().find(|m| m["milestone_key"] == "tasks.1")?;
            (done
                && ms.len() == 4
                && t1["cta"]["views"].as_u64() == Some(views)
                && t1["cta"]["clicks"].as_u64() == Some(clicks)
                && t1["shares"]["visits"].as_u64() == Some(shared.1)
                && t1["shares"]["signups"].as_u64() == Some(shared.2))
            .then_some(r)
        },
    );
    for m in report["milestones"].as_array().unwrap() {
        let k = m["milestone_key"].as_str().unwrap();
        let w = want[k];
        let c = &m["conversion"];
        assert_eq!(c["day"], 14);
        for (arm, (users, converted)) in [("holdout", w[0]), ("celebrated", w[1])] {
            assert_eq!(c[arm]["users"].as_u64(), Some(users), "{k} {arm}: {m}");
            assert_eq!(
                c[arm]["returned"].as_u64(),
                Some(converted),
                "{k} {arm}: {m}"
            );
        }
        if k == "*" {
            assert!(m.get("cta").is_none() && m.get("shares").is_none(), "{m}");
        }
    }
    let t1 = report["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["milestone_key"] == "tasks.1")
        .unwrap();
    let ctr = t1["cta"]["click_through"].as_f64().unwrap();
    assert!((ctr - clicks as f64 / views as f64).abs() < 1e-12, "{t1}");
    let s = &t1["shares"];
    assert_eq!(s["celebrated"].as_u64(), Some(celebrated_tasks1), "{s}");
    assert_eq!(s["shares"].as_u64(), Some(shared.0));
    let rate = s["share_rate"].as_f64().unwrap();
    assert!((rate - shared.0 as f64 / celebrated_tasks1 as f64).abs() < 1e-12);
    let conv = s["conversion_rate"].as_f64().unwrap();
    assert!((conv - shared.2 as f64 / shared.1 as f64).abs() < 1e-12);

    // The funnel: every user started and set up (tasks.1), activation is 5 tasks, habit 20.
    let reached = |t: usize| (0..USERS).filter(|&i| tasks(i) >= t).count() as u64;
    let progress = app
        .request(
            "GET",
            "/v1/analytics/progress",
            &[("authorization", &key)],
            None,
        )
        .unwrap()
        .json();
    let steps: Vec<(String, u64, u64)> = progress["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["users"].as_u64().unwrap(),
                s["stalled"].as_u64().unwrap(),
            )
        })
        .collect();
    let n = USERS as u64;
    assert_eq!(
        steps,
        [
            ("started".to_owned(), n, 0),
            ("setup".to_owned(), reached(1), n - reached(1)),
            ("activation".to_owned(), reached(5), reached(1) - reached(5)),
            ("habit".to_owned(), reached(20), reached(5) - reached(20)),
        ],
        "{progress}"
    );

    // Ladder tuning: each grid value's users and days (nearest rank), recomputed.
    let ladder = |q: &str| {
        app.request(
            "GET",
            &format!("/v1/analytics/ladder{q}"),
            &[("authorization", &key)],
            None,
        )
        .unwrap()
    };
    let got = ladder("?metric=task&thresholds=20,1,11,5").json();
    assert_eq!(got["users"].as_u64(), Some(n), "{got}");
    assert_eq!(got["current"], json!([1, 5, 20]));
    let days_of = |g: u64| {
        let mut d: Vec<u64> = (0..USERS)
            .filter(|&i| tasks(i) as u64 >= g)
            .map(|i| ((g as i64 - 1) * spacing(i) / 24) as u64)
            .collect();
        d.sort_unstable();
        d
    };
    let rank = |d: &[u64], q: f64| d[((q * d.len() as f64).ceil() as usize).max(1) - 1];
    let rungs = got["rungs"].as_array().unwrap();
    let top = (0..USERS).map(tasks).max().unwrap() as u64;
    let grid: Vec<u64> = GRID.iter().copied().filter(|&g| g <= top).collect();
    assert_eq!(
        rungs
            .iter()
            .map(|r| r["value"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        grid
    );
    for (i, r) in rungs.iter().enumerate() {
        let g = grid[i];
        let d = days_of(g);
        assert_eq!(r["reached"].as_u64(), Some(d.len() as u64), "{r}");
        let next = grid.get(i + 1).map_or(0, |&x| reached(x as usize));
        assert_eq!(r["at_total"].as_u64(), Some(d.len() as u64 - next), "{r}");
        assert_eq!(r["days_p50"].as_u64(), Some(rank(&d, 0.5)), "{r}");
        assert_eq!(r["days_p90"].as_u64(), Some(rank(&d, 0.9)), "{r}");
    }
    let sim: Vec<(u64, u64, u64, bool)> = got["simulated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["threshold"].as_u64().unwrap(),
                s["reached"].as_u64().unwrap(),
                s["reached_min"].as_u64().unwrap(),
                s["exact"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sim,
        [
            (1, reached(1), reached(1), true),
            (5, reached(5), reached(5), true),
            // 11 is between the grid's 10 and 12.
            (11, reached(10), reached(12), false),
            (20, reached(20), reached(20), true),
        ]
    );
    // Suggested: for each target share, the highest grid value at least that share reached.
    let mut want_suggested: Vec<u64> = Vec::new();
    for target in [0.9, 0.5, 0.25, 0.1, 0.02] {
        if let Some(&g) = grid
            .iter()
            .rev()
            .find(|&&g| reached(g as usize) as f64 >= target * n as f64)
            && want_suggested.last().is_none_or(|&l| l < g)
        {
            want_suggested.push(g);
        }
    }
    let suggested: Vec<u64> = got["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["threshold"].as_u64().unwrap())
        .collect();
    assert_eq!(suggested, want_suggested, "{got}");
    assert!(got["suggestion_rule"].as_str().unwrap().contains("90 %"));
    // Without thresholds: the live ones. Bad input: plain words, no data lost.
    assert_eq!(
        ladder("?metric=task").json()["simulated"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let zero = ladder("?metric=task&thresholds=0");
    assert_eq!(zero.status, 400, "{}", zero.body);
    assert!(zero.body.contains("\\\"0\\\""), "{}", zero.body);
    assert_eq!(ladder("?metric=nope").status, 422);
    assert_eq!(ladder("?colour=blue").status, 400);
    assert_eq!(
        app.request("GET", "/v1/analytics/ladder", &[], None)
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
