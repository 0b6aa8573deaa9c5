//! Exactly-once under any arrival: the set of awards depends on the final totals only.

use std::collections::BTreeSet;

use cairn_core::{Event, SubjectState};
use jiff::Timestamp;
use proptest::prelude::*;

proptest! {
    #[test]
    fn awards_are_exactly_what_the_totals_imply(amounts in prop::collection::vec(1u64..300, 0..60)) {
        let defs = crate::acme();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut state = SubjectState::default();
        let mut seen = BTreeSet::new();
        for &amount in &amounts {
            let out = state
                .apply(&defs, "s", &Event { metric: "project_created", amount, at: now }, now)
                .unwrap();
            for award in out.awards {
                // (c) no award twice
                prop_assert!(seen.insert(award.milestone.clone()), "awarded twice: {}", award.milestone);
            }
        }
        // (a) totals are the sum
        let total: u64 = amounts.iter().sum();
        prop_assert_eq!(state.total("project_created"), total);
        // (b) awards are exactly the thresholds at or below the total
        let implied: BTreeSet<String> = defs
            .watching("project_created")
            .filter(|m| m.threshold <= total)
            .map(|m| m.key.clone())
            .collect();
        prop_assert_eq!(&seen, &implied);
        let earned: BTreeSet<String> = state.earned.keys().cloned().collect();
        prop_assert_eq!(earned, implied);
    }
}
