//! The API fuzzed from its own description: schemathesis (PyPI) generates requests for every
//! operation of `/openapi.json` — valid and invalid — and checks that no answer is a server
//! error and that every answer (status, content type, headers, body) is what the document says.

use std::process::Command;

use cairn_e2e::{
    App, DEMO_IDENTITY_SECRET, DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, DEV_ADMIN_TOKEN,
};

/// What schemathesis checks of every answer.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

/// Seconds each pass may take (fuzzing repeats until they are spent).
fn seconds() -> String {
    std::env::var("CAIRN_FUZZ_SECS").unwrap_or_else(|_| "20".into())
}

/// Runs schemathesis on the operations whose path matches `paths`, sending `headers`.
fn pass(app: &App, name: &str, paths: &str, headers: &[String]) {
    let report = app.dir().join(format!("schemathesis-{name}.txt"));
    let mut command = Command::new(xtask::setup::python_bin("schemathesis"));
    command
        .arg("run")
        .arg(format!("{}/openapi.json", app.base()))
        .args(["--include-path-regex", paths])
        .args(["--checks", CHECKS])
        .args(["--max-time", &seconds()])
        // One worker: Hypothesis's caches are not thread-safe (a KeyError in
        // `hypothesis/internal/cache.py` was seen with two).
        .args(["--workers", "1", "--seed", "7"])
        .args(["--request-timeout", "20"])
        // Its cache of findings stays with this test's other artifacts, out of the repository.
        .current_dir(app.dir())
        .env("NO_COLOR", "1");
    for header in headers {
        command.args(["-H", header]);
    }
    let out = command
        .output()
        .expect("schemathesis runs (cargo xtask setup installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&report, &text).unwrap();
    assert!(
        out.status.success(),
        "schemathesis found problems in the {name} pass (all of it in {}):\n{}",
        report.display(),
        text.lines()
            .rev()
            .take(120)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let tested = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .unwrap_or("0");
    eprintln!("schemathesis {name}: {tested} operations, passed");
    assert_ne!(tested, "0", "the {name} pass tested no operation:\n{text}");
}

#[test]
fn schemathesis_finds_no_server_error_and_no_drift() {
    let app = App::start("fuzz").unwrap();
    let now = cairn_e2e::now_secs();
    let claims = cairn_core::wire::UserClaims {
        sub: "fuzzer".into(),
        exp: now + 3600,
        iat: Some(now),
        acct: Some("fuzz-team".into()),
        traits: None,
    };
    let token = cairn_e2e::sign(DEMO_IDENTITY_SECRET, &claims);
    let bearer = |t: &str| format!("Authorization: Bearer {t}");
    // Browser calls: the publishable key and a user token.
    pass(
        &app,
        "client",
        "^/v1/client/",
        &[
            bearer(&token),
            format!("X-Cairn-Key: {DEMO_PUBLISHABLE_KEY}"),
        ],
    );
    // Server calls that leave the project's keys and definitions as they are.
    pass(
        &app,
        "server",
        "^/v1/(events|import|milestones|users|webhooks|accounts|integrations|slack|segment|deliveries|shares|attributions|brand|issuer|console|analytics)",
        &[bearer(DEMO_SECRET_KEY)],
    );
    // Definitions (generated documents may replace the demo's), then the admin's and the
    // public routes, and last the key rotation (it retires the key the passes use). Not
    // `/v1/admin/fanout`: it exists for `cargo xtask bench load` only, and each generated call
    // creates up to 1,000 objects, which makes the local runtime restart mid-request.
    pass(
        &app,
        "definitions",
        "^/v1/definitions",
        &[bearer(DEMO_SECRET_KEY)],
    );
    pass(
        &app,
        "admin-and-public",
        "^/(openapi\\.json|s/|issuers/|v1/(health|projects|admin/isolate|demo/))",
        &[bearer(DEV_ADMIN_TOKEN)],
    );
    pass(&app, "keys", "^/v1/keys/", &[bearer(DEMO_SECRET_KEY)]);
}
