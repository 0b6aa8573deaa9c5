//! The product's analytics tools hear every milestone: PostHog and Intercom, each a real HTTP
//! receiver on 127.0.0.1 reached through the URL the integration names.

use std::time::Duration;

use cairn_e2e::App;
use cairn_e2e::receiver::{Answer, Receiver};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn posthog_and_intercom_receive_each_milestone_once() {
    let app = App::start_with("analytics", 10_000).unwrap();
    let posthog = Receiver::start();
    posthog.answer(|_| Answer::json(200, &json!({ "status": 1 })));
    let intercom = Receiver::start();
    intercom.answer(|_| Answer::json(202, &json!({})));
    let integrations = json!({
        "posthog": { "api_key": "phc_test_key", "host": posthog.url },
        "intercom": { "access_token": "ic-test-token", "api_url": intercom.url },
    });
    let reply = app
        .server("PUT", "/v1/integrations", Some(&integrations.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!reply.body.contains("phc_test_key") && !reply.body.contains("ic-test-token"));

    let events = json!({ "events": [
        { "user_id": "pat", "event": "project_created", "value": 10, "account_id": "globex" },
        { "user_id": "quinn", "event": "project_created", "account_id": "globex" },
    ]});
    let reply = app
        .server("POST", "/v1/events", Some(&events.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);

    // pat: projects.1 and projects.10; quinn: projects.1; globex: its first teammate.
    let got = posthog.until(WAIT, |got| got.len() == 4);
    for r in &got {
        assert_eq!(r.url, "/i/v0/e/");
        let e = r.json();
        assert_eq!(e["api_key"], "phc_test_key");
        assert_eq!(e["event"], "milestone_achieved");
        assert!(e["uuid"].as_str().is_some_and(|u| u.len() == 36), "{e}");
        for key in ["milestone", "tier", "kind", "value", "holdout"] {
            assert!(!e["properties"][key].is_null(), "{key} in {e}");
        }
    }
    let team = got
        .iter()
        .map(|r| r.json())
        .find(|e| e["distinct_id"] == "account:globex")
        .expect("the account's milestone");
    assert_eq!(team["properties"]["$groups"]["account"], "globex");
    let ten = got
        .iter()
        .map(|r| r.json())
        .find(|e| e["properties"]["milestone"] == "projects.10")
        .unwrap();
    assert_eq!(ten["distinct_id"], "pat");
    let list = ten["properties"]["$set"]["cairn_milestones"]
        .as_array()
        .unwrap();
    assert!(list.contains(&json!("projects.10")), "{ten}");

    // Intercom: people only, flat metadata, the token as a bearer.
    let got = intercom.until(WAIT, |got| got.len() == 3);
    for r in &got {
        assert_eq!(r.url, "/events");
        assert_eq!(r.header("authorization"), Some("Bearer ic-test-token"));
        let e = r.json();
        assert_eq!(e["event_name"], "milestone-achieved");
        assert!(
            e["created_at"].as_i64().is_some_and(|t| t > 1_700_000_000),
            "{e}"
        );
        assert!(
            ["pat", "quinn"].contains(&e["user_id"].as_str().unwrap()),
            "{e}"
        );
        assert!(
            e["metadata"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| !v.is_object() && !v.is_array()),
            "{e}"
        );
    }
    assert!(posthog.drain().is_empty() && intercom.drain().is_empty());
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
