//! Fuzz targets: the definitions parser and event handling never panic, whatever the input,
//! and a refused event changes nothing.
//!
//! Inputs are generated with proptest: arbitrary bytes, and — to get past the first syntax
//! error — the shipped `cairn.toml` with random edits (cut a range, insert bytes, repeat a
//! line, change a number). `cargo test` runs one round of each target; `cargo xtask fuzz`
//! runs rounds with new seeds until `CAIRN_FUZZ_SECS` have passed. What a run finds becomes a
//! case in [`regressions`].

use std::time::{Duration, Instant};

use cairn_core::definitions::Scope;
use cairn_core::engine::{Event, Subject, Traits};
use cairn_core::wire::ServerEvent;
use cairn_core::{Definitions, SubjectState};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const ACME: &str = include_str!("../../../../examples/acme/cairn.toml");

/// Runs `test` on `strategy`: one round of 256 cases, or rounds with fresh seeds for
/// `CAIRN_FUZZ_SECS` seconds.
fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let budget = std::env::var("CAIRN_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let started = Instant::now();
    let mut rounds = 0u64;
    loop {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&rounds.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let config = Config {
            failure_persistence: None,
            ..Config::with_cases(256)
        };
        let mut runner = TestRunner::new_with_rng(config, rng);
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}, round {rounds}: {e}");
        }
        rounds += 1;
        if budget.is_none_or(|b| started.elapsed() >= b) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {rounds} rounds of 256 cases in {:.1?}",
        started.elapsed()
    );
}

/// One random edit of `text`.
#[derive(Debug, Clone)]
enum Edit {
    Cut(usize, usize),
    Insert(usize, Vec<u8>),
    RepeatLine(usize),
    Number(usize, String),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 0usize..200).prop_map(|(at, len)| Edit::Cut(at, len)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (
            any::<usize>(),
            prop::sample::select(vec!["[", "]", "\"", "=", "\n", "{", "}", ",", "#", "'''"])
        )
            .prop_map(|(at, s)| Edit::Insert(at, s.as_bytes().to_vec())),
        any::<usize>().prop_map(Edit::RepeatLine),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "0",
                "-1",
                "18446744073709551616",
                "4294967296",
                "1e400",
                "nan",
                "99999999999",
            ])
        )
            .prop_map(|(at, n)| Edit::Number(at, n.to_owned())),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let n = bytes.len().max(1);
        match edit {
            Edit::Cut(at, len) => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Edit::Insert(at, new) => {
                let at = at % n;
                bytes.splice(
                    at.min(bytes.len())..at.min(bytes.len()),
                    new.iter().copied(),
                );
            }
            Edit::RepeatLine(at) => {
                let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                let line = lines[at % lines.len()].to_vec();
                let pos = at % n;
                let pos = pos.min(bytes.len());
                let mut insert = line;
                insert.push(b'\n');
                bytes.splice(pos..pos, insert);
            }
            Edit::Number(at, number) => {
                // Replace the first run of digits at or after `at`.
                let start = (at % n..bytes.len()).find(|&i| bytes[i].is_ascii_digit());
                if let Some(start) = start {
                    let end = (start..bytes.len())
                        .find(|&i| !bytes[i].is_ascii_digit())
                        .unwrap_or(bytes.len());
                    bytes.splice(start..end, number.bytes());
                }
            }
        }
    }
    bytes
}

/// Parse, validate and compile: any answer is fine, a panic is not.
fn definitions_survive(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for defs in [Definitions::from_toml(&text), Definitions::from_json(&text)]
        .into_iter()
        .flatten()
    {
        if defs.validate().is_empty() {
            let _ = defs.compile();
        }
    }
}

#[test]
fn the_definitions_parser_survives_arbitrary_bytes() {
    fuzz(
        "definitions (bytes)",
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| {
            definitions_survive(&bytes);
            Ok(())
        },
    );
}

#[test]
fn the_definitions_parser_survives_edits_of_a_real_file() {
    fuzz("definitions (edits of cairn.toml)", edits(), |edits| {
        definitions_survive(&apply(ACME, &edits));
        Ok(())
    });
}

/// Arbitrary JSON of an event's shape: the right field names with any types and values.
fn event_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[a-z_.:0-9-]{0,70}".prop_map(Value::String),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "project_created",
            "payment_processed",
            "task_completed",
            "Europe/Paris",
            "Mars/Base",
            "2026-01-01T00:00:00Z",
            "3000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "-009999-01-01T00:00:00Z",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let fields = [
        "user_id",
        "event",
        "value",
        "timestamp",
        "idempotency_key",
        "account_id",
        "user",
    ];
    prop::collection::btree_map(prop::sample::select(fields.to_vec()), scalar.clone(), 0..7)
        .prop_flat_map(move |map| {
            let traits = prop::collection::btree_map(
                prop::sample::select(vec!["created_at", "tz", "locale", "email"]),
                scalar.clone(),
                0..3,
            );
            (Just(map), traits).prop_map(|(map, traits)| {
                let mut object: serde_json::Map<String, Value> =
                    map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                if object.contains_key("user") {
                    object.insert(
                        "user".into(),
                        Value::Object(traits.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
                    );
                }
                Value::Object(object)
            })
        })
}

/// An event read as the worker reads it and applied as its object applies it: no panic, and a
/// refused event leaves the state as it was.
fn event_survives(defs: &cairn_core::Compiled, state: &mut SubjectState, json: serde_json::Value) {
    let Ok(e) = serde_json::from_value::<ServerEvent>(json) else {
        return;
    };
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let traits = e.user.as_ref().map(|t| Traits {
        created_at: t.created_at,
        tz: t.tz.clone(),
    });
    let event = Event {
        value: e.value,
        idempotency_key: e.idempotency_key.as_deref(),
        traits: traits.as_ref(),
        ..Event::new(&e.event, e.timestamp.unwrap_or(now))
    };
    let subject = Subject {
        project: "prj",
        scope: Scope::User,
        id: &e.user_id,
    };
    let before = state.clone();
    if state.apply(defs, subject, &event, now).is_err() {
        assert_eq!(*state, before, "a refused event changed the state");
    }
    let _ = state.next_due(defs, subject, now);
}

#[test]
fn events_of_any_shape_never_panic_and_refusals_change_nothing() {
    let defs = crate::acme();
    fuzz(
        "events",
        prop::collection::vec(event_json(), 1..12),
        |events| {
            let mut state = SubjectState::default();
            for json in events {
                event_survives(&defs, &mut state, json);
            }
            Ok(())
        },
    );
}

/// Inputs the fuzzers found once; each must stay harmless.
#[test]
fn regressions() {
    // No finding so far (three targets, 40 s each, about 280,000 cases): these are the
    // edge cases the targets start from.
    definitions_survive(b"");
    definitions_survive(b"version = 1\n[[milestones]]\n");
}
