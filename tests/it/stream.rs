//! Real time: awards pushed over the WebSocket the moment they happen.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use cairn_e2e::{App, DEMO_PUBLISHABLE_KEY, demo_token};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(app: &App, token: &str) -> Socket {
    let url = format!(
        "{}/v1/client/stream?key={DEMO_PUBLISHABLE_KEY}&token={token}",
        app.base().replace("http://", "ws://")
    );
    let (socket, response) = tungstenite::connect(url).expect("websocket connects");
    assert_eq!(response.status().as_u16(), 101);
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    socket
}

/// The next award pushed on `socket` within `within`.
fn next_award(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match socket.read() {
            Ok(Message::Text(text)) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(message["type"], "award", "{message}");
                return Some(message["award"].clone());
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("stream failed: {e}"),
        }
    }
    None
}

#[test]
fn awards_are_pushed_the_moment_they_happen() {
    let app = App::start("stream").unwrap();
    let mut ann = connect(&app, &demo_token("ann", Some("team-s")));
    let mut bob = connect(&app, &demo_token("bob", Some("team-s")));

    // A server-side event for ann reaches ann's open page within a second.
    let started = Instant::now();
    let reply = app
        .server(
            "POST",
            "/v1/events",
            Some(
                &json!({"user_id": "ann", "event": "project_created", "account_id": "team-s"})
                    .to_string(),
            ),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let award = next_award(&mut ann, Duration::from_secs(1)).expect("pushed within 1 s");
    eprintln!("pushed after {:?}", started.elapsed());
    assert_eq!(
        (award["milestone"].as_str(), award["title"].as_str()),
        (Some("projects.1"), Some("First project!"))
    );
    assert!(
        next_award(&mut bob, Duration::from_millis(300)).is_none(),
        "bob's page gets nothing of ann's"
    );

    // An account award reaches every member's page.
    app.server(
        "POST",
        "/v1/events",
        Some(
            &json!({"user_id": "bob", "event": "task_completed", "account_id": "team-s"})
                .to_string(),
        ),
    )
    .unwrap();
    let to_bob = next_award(&mut bob, Duration::from_secs(2)).expect("bob gets the team award");
    let to_ann = next_award(&mut ann, Duration::from_secs(2)).expect("ann gets the team award");
    assert_eq!(
        (to_bob["milestone"].as_str(), to_bob["scope"].as_str()),
        (Some("team.first-teammate"), Some("account"))
    );
    assert_eq!(
        to_ann["id"], to_bob["id"],
        "one award, delivered to every member"
    );

    // Bad credentials never open a stream; plain HTTP is refused.
    let bad = format!(
        "{}/v1/client/stream?key={DEMO_PUBLISHABLE_KEY}&token=forged",
        app.base().replace("http://", "ws://")
    );
    assert!(tungstenite::connect(bad).is_err());
    let plain = app
        .request(
            "GET",
            &format!(
                "/v1/client/stream?key={DEMO_PUBLISHABLE_KEY}&token={}",
                demo_token("ann", None)
            ),
            &[],
            None,
        )
        .unwrap();
    assert_eq!(
        (plain.status, plain.json()["error"]["code"].as_str()),
        (400, Some("websocket_required"))
    );
}

#[test]
fn pushes_speak_each_connection_s_language() {
    let app = App::start("stream-locale").unwrap();
    let now = cairn_e2e::now_secs();
    let token = |user: &str, locale: &str| {
        let claims = cairn_core::wire::UserClaims {
            sub: user.into(),
            exp: now + 600,
            iat: Some(now),
            acct: Some("team-fr".into()),
            traits: Some(cairn_core::wire::UserTraits {
                locale: Some(locale.into()),
                ..Default::default()
            }),
        };
        cairn_e2e::sign(cairn_e2e::DEMO_IDENTITY_SECRET, &claims)
    };
    let mut fleur = connect(&app, &token("fleur", "fr"));
    let mut ahmed = connect(&app, &token("ahmed", "ar"));
    // A server-side call, in no language: each page hears it in its own.
    let reply = app
        .server(
            "POST",
            "/v1/events",
            Some(
                &json!({"user_id": "fleur", "event": "project_created", "account_id": "team-fr"})
                    .to_string(),
            ),
        )
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let own = next_award(&mut fleur, Duration::from_secs(2)).expect("fleur's award");
    assert_eq!(own["title"], "Premier projet !");
    // The account's award, to both members, each in theirs.
    app.server(
        "POST",
        "/v1/events",
        Some(
            &json!({"user_id": "ahmed", "event": "project_created", "account_id": "team-fr"})
                .to_string(),
        ),
    )
    .unwrap();
    let team = |socket: &mut Socket| loop {
        let award = next_award(socket, Duration::from_secs(3)).expect("the team award");
        if award["scope"] == "account" {
            return award;
        }
    };
    let to_fleur = team(&mut fleur);
    let to_ahmed = team(&mut ahmed);
    assert_eq!(to_fleur["id"], to_ahmed["id"]);
    // Its badge's default alt text is Cairn's own words, in each member's language.
    assert_ne!(
        to_fleur["badge"]["alt"], to_ahmed["badge"]["alt"],
        "one award, two languages: {to_fleur} / {to_ahmed}"
    );
    let errors = app.internal_errors();
    assert!(
        errors.is_empty(),
        "internal errors in the logs: {errors:#?}"
    );
}
