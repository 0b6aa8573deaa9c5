//! The demo product's definitions are valid and use every kind.

use std::collections::BTreeSet;

use cairn_core::definitions::Kind;

#[test]
fn acme_uses_every_kind() {
    let defs = crate::acme();
    let kinds: BTreeSet<Kind> = defs.milestones().iter().map(|m| m.kind).collect();
    let all = BTreeSet::from([
        Kind::Usage,
        Kind::Value,
        Kind::Team,
        Kind::Time,
        Kind::Streak,
        Kind::Adoption,
        Kind::Custom,
    ]);
    assert_eq!(kinds, all);
    assert!(
        defs.milestones().iter().any(|m| m.after.is_some()),
        "phases"
    );
    assert!(
        defs.milestones().iter().any(|m| m.available.is_some()),
        "limited time"
    );
    assert!(defs.source().holdout.is_some());
    assert!(defs.source().messages.contains_key("fr"));
    let skeleton: Vec<(&str, &str)> = defs
        .milestones()
        .iter()
        .filter(|m| m.ladder.is_some())
        .take(2)
        .map(|m| (m.key.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(
        skeleton,
        [
            ("projects.1", "First project!"),
            ("projects.10", "{count} projects!")
        ]
    );
}
