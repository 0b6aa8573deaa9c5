//! Backfilling history: counted once even when interrupted and resumed, never celebrated.

use std::fmt::Write;

use cairn_cli::import::{Options, Summary, progress_path, run};
use cairn_e2e::{App, DEMO_SECRET_KEY};

#[test]
fn an_interrupted_import_resumes_and_counts_once() {
    let app = App::start("import").unwrap();
    // 2,500 events: 5 users × 500 projects, as JSON lines.
    let mut jsonl = String::new();
    for i in 0..2500 {
        writeln!(jsonl, r#"{{"user_id":"hist-{}","event":"project_created","timestamp":"2025-06-01T00:00:00Z"}}"#, i % 5).unwrap();
    }
    let file = app.dir().join("history.jsonl");
    std::fs::write(&file, jsonl).unwrap();
    let options = |stop| Options {
        file: file.clone(),
        base: app.base().to_owned(),
        secret_key: DEMO_SECRET_KEY.to_owned(),
        stop_after_batches: stop,
        progress_bar: false,
    };

    // Interrupted after the first batch.
    let first = run(&options(Some(1))).unwrap();
    assert_eq!(
        first,
        Summary {
            total: 2500,
            resumed_from: 0,
            accepted: 1000,
            duplicate: 0,
            rejected: 0
        }
    );
    assert_eq!(
        std::fs::read_to_string(progress_path(&file)).unwrap(),
        "1000"
    );
    // Resumed: the rest.
    let second = run(&options(None)).unwrap();
    assert_eq!(
        second,
        Summary {
            total: 2500,
            resumed_from: 1000,
            accepted: 1500,
            duplicate: 0,
            rejected: 0
        }
    );
    // Lost progress (a crash after sending, before writing it): everything again, all duplicates.
    std::fs::remove_file(progress_path(&file)).unwrap();
    let again = run(&options(None)).unwrap();
    assert_eq!((again.accepted, again.duplicate), (0, 2500));

    for user in 0..5 {
        let view = app
            .server("GET", &format!("/v1/users/hist-{user}"), None)
            .unwrap()
            .json();
        assert_eq!(
            view["totals"]["project_created"], 500,
            "hist-{user} counted each event once"
        );
        let awards = view["awards"].as_array().unwrap();
        assert_eq!(awards.len(), 5, "1, 10, 50, 100, 500");
        assert!(
            awards.iter().all(|a| a["celebrate"] == false),
            "history is never celebrated"
        );
    }

    // A CSV, and a bad file.
    let csv = app.dir().join("history.csv");
    std::fs::write(&csv, "user_id,event,value,timestamp,account_id,idempotency_key\ncsv-1,project_created,3,,,\ncsv-1,nope,,,,\n").unwrap();
    let from_csv = run(&Options {
        file: csv,
        ..options(None)
    })
    .unwrap();
    assert_eq!((from_csv.accepted, from_csv.rejected), (1, 1));
    let bad = app.dir().join("bad.jsonl");
    std::fs::write(&bad, "{\"user_id\": 3}\n").unwrap();
    let error = run(&Options {
        file: bad,
        ..options(None)
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("bad.jsonl:1"), "{error}");
}
