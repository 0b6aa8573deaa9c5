//! Case-study candidates: which customer accounts a marketer should ask first.
//!
//! An account's score adds what PRD-114's marketer looks for — advanced milestones (the
//! account's own and its users'), business value and health:
//!
//! ```text
//! score = 10 × advanced + 3 × mid + 5 × log10(1 + ARR / 1,000) + health / 10
//! ```
//!
//! so one advanced milestone outweighs three mid ones, a tenfold ARR is worth half an advanced
//! milestone, and a healthy account (90) gains about one advanced milestone over a struggling one
//! (0). Accounts that declined are listed last; ties go to the most recent milestone.

/// What the score is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    pub advanced: u64,
    pub mid: u64,
    /// Annual recurring revenue in the currency's major unit.
    pub arr: Option<f64>,
    /// 0 to 100.
    pub health: Option<f64>,
}

/// The account's score (see the module's formula); never negative.
pub fn score(f: Facts) -> f64 {
    let arr = f.arr.unwrap_or(0.0).max(0.0);
    let health = f.health.unwrap_or(0.0).clamp(0.0, 100.0);
    10.0 * f.advanced as f64
        + 3.0 * f.mid as f64
        + 5.0 * (1.0 + arr / 1000.0).log10()
        + health / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advanced_milestones_count_most_then_value_and_health() {
        let base = Facts {
            advanced: 1,
            mid: 0,
            arr: Some(50_000.0),
            health: Some(70.0),
        };
        let more_mid = Facts {
            advanced: 0,
            mid: 3,
            ..base
        };
        assert!(
            score(base) > score(more_mid),
            "one advanced outweighs three mid"
        );
        let richer = Facts {
            arr: Some(500_000.0),
            ..base
        };
        let delta = score(richer) - score(base);
        assert!((4.9..5.1).contains(&delta), "tenfold ARR ≈ +5: {delta}");
        let healthy = Facts {
            health: Some(90.0),
            ..base
        };
        assert!(score(healthy) > score(base));
        assert_eq!(score(Facts::default()), 0.0);
        assert!(
            score(Facts {
                arr: Some(-5.0),
                health: Some(400.0),
                ..Facts::default()
            }) <= 10.0
        );
    }
}
