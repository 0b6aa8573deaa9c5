//! Reading a user (and their account), acknowledging celebrations, erasure.

use cairn_e2e::{App, demo_token};
use serde_json::Value;

fn award<'a>(awards: &'a Value, key: &str) -> Option<&'a Value> {
    awards
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["milestone"] == key)
}

#[test]
fn accounts_acknowledgements_and_erasure() {
    let app = App::start("users").unwrap();
    let ann = demo_token("ann", Some("team-1"));
    let bob = demo_token("bob", Some("team-1"));
    let track = |token: &str| {
        let reply = app
            .client_with(
                "POST",
                "/v1/client/events",
                token,
                Some(r#"{"event":"project_created"}"#),
            )
            .unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    track(&ann);
    let second = track(&bob);
    // Bob, the second member, completes the account's "first teammate": it is delivered with his event.
    assert!(
        award(&second["awards"], "team.first-teammate").is_some(),
        "{second}"
    );

    // Both members see the account award in /me, not yet acknowledged.
    let me = |token: &str| {
        app.client_with("GET", "/v1/client/me", token, None)
            .unwrap()
            .json()
    };
    let ann_me = me(&ann);
    let team_award = award(&ann_me["account"]["awards"], "team.first-teammate")
        .expect("account award")
        .clone();
    assert_eq!(
        (
            ann_me["account"]["account_id"].as_str(),
            ann_me["account"]["members"].as_u64()
        ),
        (Some("team-1"), Some(2))
    );
    assert_eq!(team_award["seen"], false);
    assert_eq!(
        award(&ann_me["awards"], "projects.1").unwrap()["seen"],
        false
    );

    // Each member acknowledges for themselves.
    let id = team_award["id"].as_str().unwrap();
    let seen = app
        .client_with("POST", &format!("/v1/client/awards/{id}/seen"), &ann, None)
        .unwrap();
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(
        award(&me(&ann)["account"]["awards"], "team.first-teammate").unwrap()["seen"],
        true
    );
    assert_eq!(
        award(&me(&bob)["account"]["awards"], "team.first-teammate").unwrap()["seen"],
        false,
        "bob has not seen it"
    );
    let again = app
        .client_with("POST", &format!("/v1/client/awards/{id}/seen"), &ann, None)
        .unwrap();
    assert_eq!(again.status, 200, "acknowledging twice is fine");
    let bad = app
        .client_with("POST", "/v1/client/awards/not-an-id/seen", &ann, None)
        .unwrap();
    assert_eq!(
        (bad.status, bad.json()["error"]["code"].as_str()),
        (400, Some("invalid_award_id"))
    );
    // The ledger records the first time a member saw it (through the outbox, by alarm).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let ledger = app
            .server("GET", "/v1/milestones?subject=account:team-1", None)
            .unwrap()
            .json();
        if ledger["milestones"][0]["seen_at"].is_string() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "seen_at never recorded: {ledger}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // The server reads the same view.
    let server_view = app
        .server("GET", "/v1/users/ann?account_id=team-1", None)
        .unwrap()
        .json();
    assert_eq!(server_view["totals"]["project_created"], 1);
    assert_eq!(server_view["account"]["members"], 2);

    // Erasure: the user's state, ledger rows and membership go; the account keeps its aggregates.
    let erased = app.server("DELETE", "/v1/users/ann", None).unwrap();
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(erased.json()["accounts"], serde_json::json!(["team-1"]));
    let after = app
        .server("GET", "/v1/users/ann?account_id=team-1", None)
        .unwrap()
        .json();
    assert_eq!(
        after["totals"],
        serde_json::json!({}),
        "nothing left of ann: {after}"
    );
    assert_eq!(after["awards"], serde_json::json!([]));
    assert_eq!(after["account"]["members"], 1, "ann is no longer a member");
    assert_eq!(
        after["account"]["totals"]["project_created"], 2,
        "anonymous aggregates stay"
    );
    let rows = app
        .server("GET", "/v1/milestones?subject=user:ann", None)
        .unwrap()
        .json();
    assert_eq!(
        rows["milestones"],
        serde_json::json!([]),
        "ledger rows erased"
    );
    let bob_rows = app
        .server("GET", "/v1/milestones?subject=user:bob", None)
        .unwrap()
        .json();
    assert_eq!(
        bob_rows["milestones"].as_array().unwrap().len(),
        1,
        "others untouched"
    );
}
