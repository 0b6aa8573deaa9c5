//! `POST /v1/segment`: Segment-spec calls feed Cairn with no code, with the exactness of
//! `POST /v1/events` (a replayed `messageId` counts once).

use base64::Engine;
use cairn_e2e::{App, DEMO_SECRET_KEY};
use serde_json::{Value, json};

fn statuses(reply: &Value) -> Vec<String> {
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn segment_calls_count_once_and_set_traits_and_accounts() {
    let app = App::start("segment").unwrap();
    let toml = std::fs::read_to_string(xtask::root().join("examples/acme/cairn.toml")).unwrap()
        + "\n[intake.events]\n\"Project Created\" = \"project_created\"\n\"Payment Succeeded\" = { metric = \"payment_processed\", value = \"amount_cents\" }\n";
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

    let batch = json!({ "batch": [
        { "type": "group", "userId": "ann", "groupId": "hooli", "traits": { "name": "Hooli", "plan": "enterprise", "createdAt": "2024-03-01T00:00:00Z" } },
        { "type": "identify", "userId": "ann", "traits": { "createdAt": "2024-06-01T00:00:00Z" }, "context": { "timezone": "Europe/Paris" } },
        { "type": "track", "userId": "ann", "event": "Project Created", "messageId": "m-1", "timestamp": "2026-11-30T10:00:00Z" },
        { "type": "track", "userId": "ann", "event": "Project Created", "messageId": "m-1", "timestamp": "2026-11-30T10:00:00Z" },
        { "type": "track", "userId": "ben", "event": "Project Created", "messageId": "m-2", "context": { "groupId": "hooli" } },
        { "type": "track", "userId": "ann", "event": "Payment Succeeded", "messageId": "m-3", "properties": { "amount_cents": 1250 } },
        { "type": "track", "userId": "ann", "event": "Page Liked", "messageId": "m-4" },
        { "type": "page", "userId": "ann", "name": "Home" },
        { "type": "track", "anonymousId": "x1", "event": "Project Created" },
        { "type": "track", "userId": "ann", "event": "Payment Succeeded", "properties": { "amount_cents": "lots" } },
    ]});
    // Basic auth with the key as user name, as pipelines send a write key.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_SECRET_KEY}:"))
    );
    let reply = app
        .request(
            "POST",
            "/v1/segment",
            &[
                ("authorization", &basic),
                ("content-type", "application/json"),
            ],
            Some(&batch.to_string()),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.json();
    assert_eq!(
        statuses(&answer),
        [
            "accepted",
            "accepted",
            "accepted",
            "duplicate",
            "accepted",
            "accepted",
            "ignored",
            "ignored",
            "rejected",
            "rejected"
        ],
        "{answer:#}"
    );
    // The replay answers the original total; ann's project counts for hooli (her group call).
    assert_eq!(answer["results"][2]["result"]["total"], 1);
    assert_eq!(answer["results"][3]["result"]["total"], 1);
    assert_eq!(
        answer["results"][2]["result"]["account_total"], 1,
        "{answer:#}"
    );
    assert_eq!(
        answer["results"][4]["result"]["account_total"], 2,
        "{answer:#}"
    );
    assert_eq!(answer["results"][5]["result"]["total"], 1250);
    assert_eq!(
        answer["results"][8]["result"]["error"]["code"],
        "invalid_user_id"
    );
    assert_eq!(
        answer["results"][9]["result"]["error"]["code"],
        "invalid_value"
    );

    // Sent again, the whole batch counts nothing twice.
    let again = app
        .request(
            "POST",
            "/v1/segment",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(&batch.to_string()),
        )
        .unwrap()
        .json();
    assert_eq!(again["results"][2]["status"], "duplicate");
    assert_eq!(again["results"][4]["status"], "duplicate");
    assert_eq!(again["results"][5]["result"]["total"], 1250);

    // identify set ann's sign-up (more than a year ago): her anniversary is awarded.
    let user = app.server("GET", "/v1/users/ann", None).unwrap();
    assert_eq!(user.status, 200, "{}", user.body);
    let keys: Vec<String> = user.json()["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["milestone"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(keys.iter().any(|k| k == "anniversary.1"), "{keys:?}");

    // group stored the account's traits.
    let account = app
        .server("GET", "/v1/accounts/hooli", None)
        .unwrap()
        .json();
    assert_eq!(account["traits"]["name"], "Hooli");
    assert_eq!(account["traits"]["plan"], "enterprise");
    assert_eq!(account["traits"]["customer_since"], "2024-03-01T00:00:00Z");

    // A single malformed call is a 4xx with the one error shape; no key is a 401.
    let reply = app
        .server(
            "POST",
            "/v1/segment",
            Some(r#"{"type":"track","event":"Project Created"}"#),
        )
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "invalid_user_id");
    let reply = app
        .request("POST", "/v1/segment", &[], Some(r#"{"type":"page"}"#))
        .unwrap();
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
