use cairn_core::Definitions;

/// Validates `toml` and compares every problem, as `path: message` lines, with `expect`.
fn check(toml: &str, expect: &[&str]) {
    let problems: Vec<String> = match Definitions::from_toml(toml) {
        Ok(defs) => defs.validate().iter().map(ToString::to_string).collect(),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    };
    assert_eq!(problems, expect, "for:\n{toml}");
}

const HEAD: &str = "version = 1\n[[metrics]]\nkey = \"p\"\nname = \"projects\"\n[[metrics]]\nkey = \"s\"\nname = \"cents\"\naggregate = \"sum\"\n";

fn milestone(body: &str) -> String {
    format!("{HEAD}[[milestones]]\nkey = \"m\"\nname = \"M\"\n{body}\n")
}

fn ladder(body: &str) -> String {
    format!("{HEAD}[[ladders]]\nkey = \"l\"\nname = \"{{count}} {{name}}\"\n{body}\n")
}

#[test]
fn valid_definitions_have_no_problems() {
    check(&ladder("metric = \"p\"\nthresholds = [1, 10]"), &[]);
    check(
        &milestone("kind = \"usage\"\nmetric = \"p\"\nthreshold = 3"),
        &[],
    );
    check(
        &milestone("kind = \"value\"\nmetric = \"s\"\nthreshold = 3"),
        &[],
    );
    check(&milestone("kind = \"team\"\nmembers = 5"), &[]);
    check(
        &milestone("kind = \"time\"\nyears = 1\nof = \"account\""),
        &[],
    );
    check(
        &milestone("kind = \"streak\"\nmetric = \"p\"\nweeks = 4\nfreezes = 1"),
        &[],
    );
    check(
        &milestone("kind = \"adoption\"\nmetrics = [\"p\", \"s\"]"),
        &[],
    );
    check(&milestone("kind = \"custom\""), &[]);
}

#[test]
fn ladder_problems() {
    check(
        &ladder("metric = \"proj\"\nthresholds = [1]"),
        &["ladders[0].metric: unknown metric \"proj\""],
    );
    check(
        &ladder("metric = \"p\"\nthresholds = [10, 5]"),
        &["ladders[0].thresholds: must increase"],
    );
    check(
        &ladder("metric = \"p\"\nthresholds = [0, 5]"),
        &["ladders[0].thresholds: every threshold must be greater than 0"],
    );
    check(
        &ladder("metric = \"p\"\nthresholds = []"),
        &["ladders[0].thresholds: must not be empty"],
    );
    check(
        &ladder("metric = \"p\"\nthresholds = [1]\ntiers = [\"legendary\"]"),
        &["ladders[0].tiers[0]: unknown tier \"legendary\" (known: advanced, early, mid)"],
    );
}

#[test]
fn milestone_field_problems() {
    check(
        &milestone("kind = \"usage\"\nmetric = \"p\"\nthreshold = 0"),
        &["milestones[0].threshold: must be greater than 0"],
    );
    check(
        &milestone("kind = \"usage\"\nmetric = \"proj\"\nthreshold = 1"),
        &["milestones[0].metric: unknown metric \"proj\""],
    );
    check(
        &milestone("kind = \"usage\"\nthreshold = 1"),
        &["milestones[0].metric: required for kind usage"],
    );
    check(
        &milestone("kind = \"usage\"\nmetric = \"p\""),
        &["milestones[0].threshold: required"],
    );
    check(
        &milestone("metric = \"p\""),
        &[
            "milestones[0].kind: required: one of usage, value, team, time, streak, adoption, custom",
        ],
    );
    check(
        &milestone("kind = \"usage\"\nmetric = \"p\"\nthreshold = 1\ndays = 3"),
        &["milestones[0].days: does not apply to kind usage"],
    );
    check(
        &milestone("kind = \"value\"\nmetric = \"p\"\nthreshold = 1"),
        &["milestones[0].metric: metric \"p\" must have aggregate = \"sum\" for a value milestone"],
    );
    check(
        &milestone("kind = \"team\""),
        &["milestones[0].metric: required: metric + threshold, or members"],
    );
    check(
        &milestone("kind = \"team\"\nmembers = 0"),
        &["milestones[0].members: must be greater than 0"],
    );
    check(
        &milestone("kind = \"team\"\nmembers = 2\nmetric = \"p\"\nthreshold = 3"),
        &["milestones[0].members: give either metric + threshold or members, not both"],
    );
    check(
        &milestone("kind = \"time\""),
        &["milestones[0].years: give years or months, greater than 0"],
    );
    check(
        &milestone("kind = \"streak\"\nmetric = \"p\""),
        &["milestones[0].days: required: days or weeks"],
    );
    check(
        &milestone("kind = \"streak\"\nmetric = \"p\"\ndays = 3\nweeks = 2"),
        &["milestones[0].days: give days or weeks, not both"],
    );
    check(
        &milestone("kind = \"streak\"\nmetric = \"p\"\ndays = 1"),
        &["milestones[0].days: must be between 2 and 3660"],
    );
    check(
        &milestone("kind = \"streak\"\nmetric = \"p\"\ndays = 3\nfreezes = 3"),
        &["milestones[0].freezes: must be fewer than the streak's length"],
    );
    check(
        &milestone("kind = \"adoption\"\nmetrics = [\"p\", \"x\", \"p\"]"),
        &[
            "milestones[0].metrics[1]: unknown metric \"x\"",
            "milestones[0].metrics[2]: \"p\" is listed twice",
        ],
    );
    check(
        &milestone("kind = \"custom\"\ntier = \"gold\""),
        &["milestones[0].tier: unknown tier \"gold\" (known: advanced, early, mid)"],
    );
    check(
        &milestone("kind = \"custom\"\nbadge = { icon = \"unicorn\", alt = \"\" }"),
        &[
            "milestones[0].badge.icon: unknown icon \"unicorn\" (known: medal, flame, rocket, star, users, cake, trophy)",
            "milestones[0].badge.alt: must describe the badge for people who cannot see it",
        ],
    );
    check(
        &milestone("kind = \"custom\"\nbadge = { image = \"http://x/y.png\", alt = \"Y\" }"),
        &["milestones[0].badge.image: must be an https:// URL"],
    );
    check(
        &milestone(
            "kind = \"custom\"\ncta = { kind = \"upgrade\", label = \"Go\", url = \"javascript:alert(1)\" }",
        ),
        &["milestones[0].cta.url: must be a relative path or an https:// URL"],
    );
    check(
        &milestone(
            "kind = \"custom\"\navailable = { from = \"2026-02-01T00:00:00Z\", until = \"2026-01-01T00:00:00Z\" }",
        ),
        &["milestones[0].available: `from` must be before `until`"],
    );
    check(
        &milestone("kind = \"custom\"\nafter = \"nope\""),
        &["milestones[0].after: unknown milestone \"nope\""],
    );
}

#[test]
fn templates_and_locales() {
    check(
        &milestone("kind = \"custom\"\ndescription = \"{total} done\""),
        &[
            "milestones[0].description: unknown placeholder {total} (known: {count}, {name}, {next})",
        ],
    );
    check(
        &ladder("metric = \"p\"\nthresholds = [1]\nname_first = \"First {nme}\""),
        &["ladders[0].name_first: unknown placeholder {nme} (known: {count}, {name}, {next})"],
    );
    let with_messages =
        |body: &str| format!("{}[messages.fr]\n{body}\n", milestone("kind = \"custom\""));
    check(&with_messages("\"m.name\" = \"Le M\""), &[]);
    check(
        &with_messages(
            "\"m.alt\" = \"Un M\"\n\"m.cta\" = \"Allez\"\n\"p.label\" = \"projets\"\n\"early.cta\" = \"Essayez\"",
        ),
        &[],
    );
    check(
        &with_messages("\"p.cta\" = \"X\""),
        &[
            "messages.fr.\"p.cta\": must be \"<milestone>.name|description|alt|cta\", \"<ladder>.name|name_first|description\", \"<metric>.label\" or \"<tier>.cta\" of a defined one",
        ],
    );
    check(
        &with_messages("\"x.name\" = \"X\""),
        &[
            "messages.fr.\"x.name\": must be \"<milestone>.name|description|alt|cta\", \"<ladder>.name|name_first|description\", \"<metric>.label\" or \"<tier>.cta\" of a defined one",
        ],
    );
    check(
        &with_messages("\"m.name\" = \"{oops}\""),
        &["messages.fr.\"m.name\": unknown placeholder {oops} (known: {count}, {name}, {next})"],
    );
    check(
        &format!("{}[messages.French]\n", milestone("kind = \"custom\"")),
        &["messages.French: \"French\" is not a locale tag like \"fr\" or \"pt-BR\""],
    );
    check(
        &format!("{HEAD}[fallback]\nfr = \"de\"\nde = \"fr\"\n"),
        &[
            "fallback.de: fallback chain has a cycle through \"de\"",
            "fallback.fr: fallback chain has a cycle through \"fr\"",
        ],
    );
}

#[test]
fn project_settings() {
    check(
        &format!("time_zone = \"Mars/Olympus\"\n{HEAD}"),
        &["time_zone: unknown time zone \"Mars/Olympus\""],
    );
    check(
        &format!("{HEAD}[holdout]\npercent = 80\n"),
        &["holdout.percent: must be between 0 and 50"],
    );
    check(
        &format!("{HEAD}[tiers.gold]\nchannels = []\n"),
        &["tiers.gold.channels: must not be empty"],
    );
    check(
        &format!("{HEAD}[tiers.gold]\nchannels = [\"email\", \"email\"]\n"),
        &["tiers.gold.channels: lists a channel twice"],
    );
    check(
        "version = 2",
        &["version: unsupported version 2, expected 1"],
    );
}

#[test]
fn keys_and_duplicates() {
    check(
        &milestone(
            "kind = \"custom\"\n[[milestones]]\nkey = \"m\"\nname = \"again\"\nkind = \"custom\"",
        ),
        &["milestones[1].key: duplicate milestone \"m\""],
    );
    check(
        &ladder(
            "metric = \"p\"\nthresholds = [1]\n[[milestones]]\nkey = \"l.1\"\nname = \"clash\"\nkind = \"custom\"",
        ),
        &["milestones[0].key: duplicate milestone \"l.1\""],
    );
    check(
        &format!("{HEAD}[[metrics]]\nkey = \"p\"\nname = \"again\"\n"),
        &["metrics[2].key: duplicate metric \"p\""],
    );
    check(
        &format!("{HEAD}[[metrics]]\nkey = \"Bad Key\"\nname = \"x\"\n"),
        &["metrics[2].key: \"Bad Key\" must match [a-z0-9_.:-]{1,64}"],
    );
}

#[test]
fn phase_order_cycles_are_found() {
    let toml = format!(
        "{HEAD}[[milestones]]\nkey = \"setup\"\nname = \"S\"\nkind = \"adoption\"\nmetrics = [\"p\"]\nafter = \"habit\"\n\
         [[milestones]]\nkey = \"activation\"\nname = \"A\"\nkind = \"adoption\"\nmetrics = [\"s\"]\nafter = \"setup\"\n\
         [[milestones]]\nkey = \"habit\"\nname = \"H\"\nkind = \"streak\"\nmetric = \"p\"\ndays = 7\nafter = \"activation\"\n"
    );
    check(
        &toml,
        &[
            "milestones[0].after: phase order has a cycle through \"setup\"",
            "milestones[1].after: phase order has a cycle through \"activation\"",
            "milestones[2].after: phase order has a cycle through \"habit\"",
        ],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    check(
        &ladder("metric = \"nope\"\nthresholds = [5, 5]\ndescription = \"{x}\""),
        &[
            "ladders[0].metric: unknown metric \"nope\"",
            "ladders[0].thresholds: must increase",
            "ladders[0].description: unknown placeholder {x} (known: {count}, {name}, {next})",
        ],
    );
}

#[test]
fn syntax_errors_name_the_line() {
    check(
        "version = 1\nmetrics = 3",
        &[": line 2: invalid type: integer `3`, expected a sequence"],
    );
    check(
        "version = 1\nmystery = 3",
        &[
            ": line 2: unknown field `mystery`, expected one of `version`, `metrics`, `milestones`, `ladders`, `tiers`, `messages`, `fallback`, `holdout`, `time_zone`, `intake`, `suggestions`",
        ],
    );
    assert!(Definitions::from_json("{\"version\": 1, \"metrics\": 3}").is_err());
}

#[test]
fn json_and_toml_read_the_same() {
    let toml = Definitions::from_toml(crate::TEST_DEFS).unwrap();
    let json = serde_json::to_string(&toml).unwrap();
    assert_eq!(Definitions::from_json(&json).unwrap(), toml);
}

#[test]
fn intake_maps_pipeline_events_to_known_metrics() {
    let ok = format!(
        "{HEAD}[intake.events]\n\"Project Created\" = \"p\"\n\"Order Completed\" = {{ metric = \"s\", value = \"revenue_cents\" }}\n"
    );
    check(&ok, &[]);
    let defs = Definitions::compile_toml(&ok).unwrap();
    assert_eq!(defs.intake("Project Created"), Some(("p", None)));
    assert_eq!(
        defs.intake("Order Completed"),
        Some(("s", Some("revenue_cents")))
    );
    // A metric's own key maps to it; anything else is not counted.
    assert_eq!(defs.intake("p"), Some(("p", None)));
    assert_eq!(defs.intake("Page Viewed"), None);
    check(
        &format!("{HEAD}[intake.events]\n\"Signed Up\" = \"signup\"\n\"\" = \"p\"\n"),
        &[
            "intake.events.\"\": an event name is 1 to 256 bytes",
            "intake.events.\"Signed Up\": unknown metric \"signup\"",
        ],
    );
}
