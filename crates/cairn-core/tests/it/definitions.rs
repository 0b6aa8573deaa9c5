use cairn_core::Definitions;

/// Validates `toml` and compares every problem, as `path: message` lines, with `expect`.
fn check(toml: &str, expect: &[&str]) {
    let defs = Definitions::from_toml(toml).expect("syntax");
    let problems: Vec<String> = defs.validate().iter().map(ToString::to_string).collect();
    assert_eq!(problems, expect, "for:\n{toml}");
}

const METRIC: &str = "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n";

fn ladder(body: &str) -> String {
    format!("{METRIC}[[ladders]]\n{body}\n")
}

#[test]
fn valid_definitions_have_no_problems() {
    check(
        &ladder("key = \"l\"\nmetric = \"p\"\nthresholds = [1, 10]\ntitle = \"{count} {name}\""),
        &[],
    );
}

#[test]
fn each_problem_is_reported_with_its_path() {
    check(
        "version = 2",
        &["version: unsupported version 2, expected 1"],
    );
    check(
        &ladder("key = \"l\"\nmetric = \"proj\"\nthresholds = [1]\ntitle = \"x\""),
        &["ladders[0].metric: unknown metric \"proj\""],
    );
    check(
        &ladder("key = \"l\"\nmetric = \"p\"\nthresholds = [10, 5]\ntitle = \"x\""),
        &["ladders[0].thresholds: must increase"],
    );
    check(
        &ladder("key = \"l\"\nmetric = \"p\"\nthresholds = [0, 5]\ntitle = \"x\""),
        &["ladders[0].thresholds: every threshold must be greater than 0"],
    );
    check(
        &ladder("key = \"l\"\nmetric = \"p\"\nthresholds = []\ntitle = \"x\""),
        &["ladders[0].thresholds: must not be empty"],
    );
    check(
        &ladder("key = \"l\"\nmetric = \"p\"\nthresholds = [1]\ntitle = \"{total}\""),
        &["ladders[0].title: unknown placeholder {total}"],
    );
    check(
        &ladder("key = \"Bad Key\"\nmetric = \"p\"\nthresholds = [1]\ntitle = \"x\""),
        &["ladders[0].key: \"Bad Key\" must match [a-z0-9_.:-]{1,64}"],
    );
    check(
        &format!("{METRIC}[[metrics]]\nkey = \"p\"\nname = \"again\"\n"),
        &["metrics[1].key: duplicate metric \"p\""],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    check(
        &ladder("key = \"l\"\nmetric = \"nope\"\nthresholds = [5, 5]\ntitle = \"{x}\""),
        &[
            "ladders[0].metric: unknown metric \"nope\"",
            "ladders[0].thresholds: must increase",
            "ladders[0].title: unknown placeholder {x}",
        ],
    );
}

#[test]
fn syntax_errors_and_unknown_fields_are_rejected() {
    assert!(Definitions::from_toml("version = ").is_err());
    assert!(Definitions::from_toml("version = 1\nmystery = 3").is_err());
    assert!(Definitions::from_json("{\"version\": 1, \"metrics\": 3}").is_err());
}

#[test]
fn ladders_expand_into_titled_milestones() {
    let defs = crate::acme();
    let got: Vec<(String, u64, String)> = defs
        .watching("project_created")
        .map(|m| (m.key.clone(), m.threshold, m.title.clone()))
        .collect();
    assert_eq!(got[0], ("projects.1".into(), 1, "First project!".into()));
    assert_eq!(got[1], ("projects.10".into(), 10, "10 projects!".into()));
    assert_eq!(got.len(), 6);
    assert_eq!(defs.watching("unknown").count(), 0);
}
