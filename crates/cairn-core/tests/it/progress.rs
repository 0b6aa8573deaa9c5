use cairn_core::engine::Event;
use cairn_core::wire::{LadderProgress, MeResponse};

use crate::{Run, acme, test_defs, ts};

const NOW: &str = "2026-03-02T12:00:00Z";

#[test]
fn ladders_locked_milestones_and_streaks() {
    let mut run = Run::user(test_defs());
    run.apply(
        &Event {
            value: Some(2),
            ..Event::new("a", ts(NOW))
        },
        ts(NOW),
    );
    run.ev("c", NOW);
    let subject = run.subject();
    let me = cairn_core::wire::me_view(&run.defs, subject, &run.state, ts(NOW), "en");
    let ladder = &me.progress[0];
    assert_eq!(
        (
            ladder.current,
            ladder.next,
            ladder.remaining,
            ladder.percent
        ),
        (2, Some(3), Some(1), 50)
    );
    let locked = |key: &str| {
        me.locked
            .iter()
            .find(|l| l.milestone == key)
            .unwrap_or_else(|| panic!("{key} locked"))
    };
    assert_eq!(locked("a.3").criteria, "3 apples");
    assert_eq!(locked("rev.100").criteria, "100 cents");
    assert_eq!(locked("adopt").criteria, "Use each of: apples and bananas");
    assert_eq!(
        (
            locked("adopt").current,
            locked("adopt").target,
            locked("adopt").percent
        ),
        (Some(1), Some(2), 50)
    );
    assert_eq!(
        locked("phase2").criteria,
        "Use each of: cherries, after earning \u{201c}Adopted\u{201d}"
    );
    assert_eq!(locked("streak3").criteria, "Apples on 3 days in a row");
    assert_eq!(
        locked("streak3f").criteria,
        "Bananas on 3 days in a row (1 missed day forgiven)"
    );
    assert_eq!(locked("weekly2").criteria, "Cherries on 2 weeks in a row");
    assert_eq!(locked("anniv1").criteria, "1 year since your start");
    assert_eq!(locked("vip").criteria, "Awarded by the team");
    assert_eq!(
        (locked("streak3").current, locked("streak3").target),
        (Some(1), Some(3))
    );
    assert!(
        me.locked.iter().all(|l| !l.milestone.starts_with("team.")),
        "account milestones are not a user's"
    );
    assert!(
        me.locked.iter().all(|l| l.milestone != "a.1"),
        "earned ones are not locked"
    );
    assert_eq!(
        me.awards
            .iter()
            .map(|a| a.title.as_str())
            .collect::<Vec<_>>(),
        ["1 apples"]
    );
    assert_eq!(
        me.streaks
            .iter()
            .find(|s| s.metric == "a")
            .map(|s| (s.current, s.best)),
        Some((1, 1))
    );
}

#[test]
fn titles_are_localized_with_fallbacks() {
    let defs = acme();
    let mut run = Run::user(defs);
    run.apply(
        &Event {
            value: Some(10),
            ..Event::new("project_created", ts(NOW))
        },
        ts(NOW),
    );
    let subject = run.subject();
    let title = |locale: &str| {
        cairn_core::wire::me_view(&run.defs, subject, &run.state, ts(NOW), locale)
            .awards
            .iter()
            .map(|a| a.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(title("en"), ["First project!", "10 projects!"]);
    assert_eq!(title("fr"), ["Premier projet !", "10 projets !"]);
    assert_eq!(
        title("fr-CA"),
        ["Premier projet !", "10 projets !"],
        "fr-CA falls back to fr"
    );
    assert_eq!(
        title("fr-BE"),
        ["Premier projet !", "10 projets !"],
        "a region falls back to its language"
    );
    assert_eq!(
        title("de"),
        ["First project!", "10 projects!"],
        "anything else falls back to en"
    );
    let me = cairn_core::wire::me_view(&run.defs, subject, &run.state, ts(NOW), "en");
    assert_eq!(me.awards[1].description, "Next stop: 50.");
    let fr = cairn_core::wire::me_view(&run.defs, subject, &run.state, ts(NOW), "fr");
    assert_eq!(fr.awards[1].description, "Prochaine étape : 50.");
    assert_eq!(
        me.awards[1].cta.as_ref().map(|c| c.label.as_str()),
        Some("Try the next feature")
    );
}

#[test]
fn where_a_total_stands_on_a_ladder() {
    let steps = [1, 10, 50, 100];
    let at = |current| {
        let p = LadderProgress::of("l", "m", &steps, current);
        (p.previous(), p.next, p.remaining)
    };
    assert_eq!(at(0), (0, Some(1), Some(1)));
    assert_eq!(at(7), (1, Some(10), Some(3)));
    assert_eq!(at(10), (10, Some(50), Some(40)));
    assert_eq!(at(500), (100, None, None));
    let empty = LadderProgress::of("l", "m", &[], 5);
    assert_eq!(
        (empty.previous(), empty.next, empty.remaining),
        (0, None, None)
    );
}

/// A user with one apple, under the test definitions followed by `extra` TOML.
fn one_apple_with(extra: &str) -> Run {
    let text = format!("{}\n{extra}\n", crate::TEST_DEFS);
    let mut run = Run::user(cairn_core::Definitions::compile_toml(&text).expect("valid"));
    run.ev("a", NOW);
    run
}

#[test]
fn criteria_labels_ctas_and_alts_are_localized() {
    let run = one_apple_with(
        "[messages.fr]\n\"a.label\" = \"pommes\"\n\"a.1.alt\" = \"Une pomme d\u{2019}or\"\n\"early.cta\" = \"Continuez\"",
    );
    let subject = run.subject();
    let me =
        |locale: &str| cairn_core::wire::me_view(&run.defs, subject, &run.state, ts(NOW), locale);
    let criteria = |me: &MeResponse, key: &str| {
        me.locked
            .iter()
            .find(|l| l.milestone == key)
            .map(|l| l.criteria.clone())
            .unwrap_or_else(|| panic!("{key} locked"))
    };
    let (fr, ar, de) = (me("fr"), me("ar"), me("de"));
    let nbsp = '\u{a0}';
    for (key, want) in [
        ("a.3", "3 pommes".to_owned()),
        ("rev.100", "100 cents".to_owned()),
        (
            "adopt",
            format!("Utiliser chacun de{nbsp}: pommes et bananas"),
        ),
        (
            "streak3f",
            format!("Bananas{nbsp}: 3 jours d\u{2019}affilée (1 jour de répit)"),
        ),
        (
            "weekly2",
            format!("Cherries{nbsp}: 2 semaines d\u{2019}affilée"),
        ),
        ("anniv1", "1 an depuis vos débuts".to_owned()),
        ("vip", "Décerné par l\u{2019}équipe".to_owned()),
        (
            "phase2",
            format!("Utiliser chacun de{nbsp}: cherries, après avoir obtenu «{nbsp}Adopted{nbsp}»"),
        ),
    ] {
        assert_eq!(criteria(&fr, key), want, "fr {key}");
    }
    assert_eq!(criteria(&ar, "anniv1"), "1 سنة منذ بدايتك");
    assert_eq!(criteria(&ar, "weekly2"), "Cherries: 2 أسابيع متتالية");
    assert_eq!(criteria(&ar, "vip"), "يمنحها الفريق");
    assert_eq!(criteria(&ar, "adopt"), "استخدم كلًّا من: apples وbananas");
    assert_eq!(
        criteria(&de, "anniv1"),
        "1 year since your start",
        "de falls back to en"
    );
    assert_eq!(criteria(&de, "adopt"), "Use each of: apples and bananas");

    // The ladder's label is the metric's, in the locale.
    assert_eq!(fr.progress[0].label, "pommes");
    assert_eq!(
        ar.progress[0].label, "apples",
        "no Arabic label: the metric's name"
    );

    // Alt texts and CTA labels: the project's words first, then Cairn's for its defaults.
    let first = |me: &MeResponse| me.awards[0].clone();
    assert_eq!(first(&fr).badge.alt, "Une pomme d\u{2019}or");
    assert_eq!(first(&ar).badge.alt, "ميدالية");
    assert_eq!(first(&de).badge.alt, "A medal");
    let label = |me: &MeResponse| first(me).cta.map(|c| c.label);
    assert_eq!(label(&fr).as_deref(), Some("Continuez"));
    assert_eq!(label(&ar).as_deref(), Some("جرّب الميزة التالية"));
    assert_eq!(label(&de).as_deref(), Some("Try the next feature"));
}

#[test]
fn a_projects_own_cta_label_is_kept() {
    let run = one_apple_with(
        "[tiers.early]\nchannels = [\"confetti\", \"badge\"]\ncta = { kind = \"next_feature\", label = \"Build another\" }",
    );
    let me = cairn_core::wire::me_view(&run.defs, run.subject(), &run.state, ts(NOW), "fr");
    assert_eq!(
        me.awards[0].cta.as_ref().map(|c| c.label.as_str()),
        Some("Build another"),
        "not one of Cairn's default labels: not translated by Cairn"
    );
}
