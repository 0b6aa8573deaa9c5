//! The `cairn` command line against real workerd: diff and push definitions, follow the
//! ledger, read the impact analysis; errors in plain words.

use std::time::{Duration, Instant};

use cairn_e2e::{App, DEMO_SECRET_KEY};
use serde_json::{Value, json};

/// Runs `cairn ARGS --host … --key …`; exit code and output.
fn cairn(app: &App, args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<String> = vec!["cairn".into()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all.extend([
        "--host".into(),
        app.base().to_owned(),
        "--key".into(),
        DEMO_SECRET_KEY.into(),
    ]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cairn_cli::run(all, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn the_cli_diffs_pushes_follows_and_reads_the_impact() {
    let app = App::start("cli").unwrap();
    let demo = xtask::root().join("examples/acme/cairn.toml");
    let (code, out, err) = cairn(&app, &["diff", demo.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("is the live version (1)"), "{out}");

    // A changed ladder: the diff shows it, exit 1; pushed, it is the live version 2.
    let text = std::fs::read_to_string(&demo).unwrap();
    let changed = text.replacen(
        "thresholds = [1, 10, 50, 100, 500, 1000]",
        "thresholds = [1, 5, 10, 50, 100, 500, 1000]",
        1,
    );
    assert_ne!(changed, text, "the demo's ladder moved: update this test");
    let file = app.dir().join("cairn.toml");
    std::fs::write(&file, changed).unwrap();
    let (code, out, _) = cairn(&app, &["diff", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("--- live (version 1)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.strip_prefix('+').is_some_and(|l| l.trim() == "5,")),
        "{out}"
    );
    let (code, out, err) = cairn(&app, &["push", file.to_str().unwrap()]);
    assert_eq!(
        (code, out.trim()),
        (0, format!("pushed {}: version 2", file.display()).as_str()),
        "{err}"
    );
    let (code, out, _) = cairn(&app, &["diff", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // An invalid file is never pushed.
    let bad = app.dir().join("bad.toml");
    std::fs::write(&bad, "version = 1\n[[ladders]]\nkey = \"x\"\nmetric = \"nope\"\nthresholds = [1]\nname = \"x\"\n").unwrap();
    let (code, _, err) = cairn(&app, &["push", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not valid, nothing pushed"), "{err}");

    // The ledger: what is there, then --follow prints the next milestone as it arrives.
    let events = json!({ "events": [{ "user_id": "cli-a", "event": "project_created" }] });
    assert_eq!(
        app.server("POST", "/v1/events", Some(&events.to_string()))
            .unwrap()
            .status,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let (code, out, _) = cairn(&app, &["milestones", "--json"]);
        assert_eq!(code, 0);
        if !out.is_empty() {
            break out;
        }
        assert!(Instant::now() < deadline, "the ledger stayed empty");
        std::thread::sleep(Duration::from_millis(200));
    };
    let rows: Vec<Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["subject_id"], "cli-a");
    let base = app.base().to_owned();
    let follower = std::thread::spawn(move || {
        let args = [
            "cairn",
            "milestones",
            "--follow",
            "--max",
            "2",
            "--host",
            &base,
            "--key",
            DEMO_SECRET_KEY,
        ];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = cairn_cli::run(
            args.iter().map(|a| (*a).to_owned()).collect(),
            &mut out,
            &mut err,
        );
        (code, String::from_utf8(out).unwrap())
    });
    let events = json!({ "events": [{ "user_id": "cli-b", "event": "project_created" }] });
    assert_eq!(
        app.server("POST", "/v1/events", Some(&events.to_string()))
            .unwrap()
            .status,
        200
    );
    let (code, followed) = follower.join().unwrap();
    assert_eq!(code, 0);
    let lines: Vec<&str> = followed.lines().collect();
    assert_eq!(lines.len(), 2, "{followed}");
    assert!(
        lines[0].contains("user:cli-a  First project!")
            && lines[1].contains("user:cli-b  First project!"),
        "{followed}"
    );

    // The impact analysis: the same numbers as the API, as JSON or a table.
    let (code, out, _) = cairn(&app, &["analytics", "impact", "--json"]);
    assert_eq!(code, 0);
    let cli: Value = serde_json::from_str(&out).unwrap();
    let api = app
        .server("GET", "/v1/analytics/impact", None)
        .unwrap()
        .json();
    assert_eq!(cli["milestones"], api["milestones"]);
    let (code, table, _) = cairn(&app, &["analytics", "impact", "--milestone", "projects.1"]);
    assert_eq!(code, 0);
    assert!(
        table.lines().nth(1).unwrap().starts_with("milestone"),
        "{table}"
    );
    assert!(
        table.contains("First project!") && table.contains("not enough users"),
        "{table}"
    );

    let (code, out, _) = cairn(&app, &["analytics", "progress", "--json"]);
    assert_eq!(code, 0);
    let cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        cli,
        app.server("GET", "/v1/analytics/progress", None)
            .unwrap()
            .json()
    );
    assert_eq!(cli["users"], 2, "cli-a and cli-b");
    assert_eq!(cli["funnel"][0]["step"], "started", "{cli}");

    // Ladder tuning: the API's answer as JSON, or as a table.
    let (code, out, _) = cairn(
        &app,
        &[
            "analytics",
            "ladder",
            "--metric",
            "project_created",
            "--thresholds",
            "1,3",
            "--json",
        ],
    );
    assert_eq!(code, 0);
    let cli: Value = serde_json::from_str(&out).unwrap();
    let api = app
        .server(
            "GET",
            "/v1/analytics/ladder?metric=project_created&thresholds=1,3",
            None,
        )
        .unwrap()
        .json();
    assert_eq!(cli, api);
    assert_eq!(cli["simulated"][0]["reached"], 2, "{cli}");
    let (code, table, _) = cairn(&app, &["analytics", "ladder", "--thresholds", "1,11"]);
    assert_eq!(code, 0);
    assert!(
        table.starts_with("2 users with projects created") && table.contains("suggested: 1"),
        "{table}"
    );
    let (code, _, err) = cairn(&app, &["analytics", "ladder", "--thresholds", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"0\""), "{err}");

    // Errors in plain words.
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = [
        "cairn",
        "milestones",
        "--host",
        app.base(),
        "--key",
        "sk_wrong",
    ];
    let code = cairn_cli::run(
        args.iter().map(|a| (*a).to_owned()).collect(),
        &mut out,
        &mut err,
    );
    assert_eq!(code, 2);
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("answered 401: unknown secret key"), "{err}");
}
