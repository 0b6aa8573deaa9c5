//! Whether celebrations retain users: celebrated against holdout users, per milestone.
//!
//! The engine marks an award *eligible* when it was reached live (so it is celebrated unless
//! the subject is in the holdout) and reports each return on [`RETURN_DAYS`](crate::engine::RETURN_DAYS);
//! the host counts them per arm. This module turns two arms' counts into the comparison the
//! console shows: the difference of the two proportions with its 95 % confidence interval
//! (unpooled normal approximation), and the minimum detectable effect at 80 % power (two-sided
//! 5 % test, pooled rate). It gives no verdict while the normal approximation does not hold.
//!
//! The analysis is at a fixed horizon: an award counts for day *n* only once day *n* has
//! passed for it, and the host never stops early; so the numbers only grow, and a verdict is
//! not the luck of a good day.

use crate::wire::{CtaStats, FunnelStep, RetentionArm, RetentionComparison, Verdict};

/// The standard normal's 97.5th percentile (two-sided 95 %).
pub const Z_975: f64 = 1.959_963_984_540_054;
/// The standard normal's 80th percentile (80 % power).
pub const Z_80: f64 = 0.841_621_233_572_914_3;
/// Fewest users in each arm for a verdict.
pub const MIN_USERS: u64 = 30;
/// Fewest returns, and non-returns, in each arm for a verdict (the normal approximation's
/// usual condition).
pub const MIN_OUTCOMES: u64 = 5;

/// An arm from its counts (`returned` is capped at `users`).
pub fn arm(users: u64, returned: u64) -> RetentionArm {
    let returned = returned.min(users);
    RetentionArm {
        users,
        returned,
        rate: (users > 0).then(|| returned as f64 / users as f64),
    }
}

/// Compares the celebrated arm with the holdout on `day`.
pub fn compare(day: u32, celebrated: RetentionArm, holdout: RetentionArm) -> RetentionComparison {
    let (Some(p1), Some(p2)) = (celebrated.rate, holdout.rate) else {
        return RetentionComparison {
            day,
            celebrated,
            holdout,
            difference: None,
            ci_low: None,
            ci_high: None,
            mde: None,
            verdict: Verdict::NotEnoughUsers,
        };
    };
    let (n1, n2) = (celebrated.users as f64, holdout.users as f64);
    let difference = p1 - p2;
    let se = (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
    let (ci_low, ci_high) = (difference - Z_975 * se, difference + Z_975 * se);
    let pooled = (celebrated.returned + holdout.returned) as f64 / (n1 + n2);
    let mde = (Z_975 + Z_80) * (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let enough = [celebrated, holdout].iter().all(|a| {
        a.users >= MIN_USERS && a.returned >= MIN_OUTCOMES && a.users - a.returned >= MIN_OUTCOMES
    });
    let verdict = if !enough {
        Verdict::NotEnoughUsers
    } else if ci_low > 0.0 {
        Verdict::CelebratedRetainBetter
    } else if ci_high < 0.0 {
        Verdict::CelebratedRetainWorse
    } else {
        Verdict::NoDetectableDifference
    };
    RetentionComparison {
        day,
        celebrated,
        holdout,
        difference: Some(difference),
        ci_low: Some(ci_low),
        ci_high: Some(ci_high),
        mde: Some(mde),
        verdict,
    }
}

/// The nearest-rank `q` quantile (0 < `q` ≤ 1) of a histogram of `(value, count)` sorted by
/// value: the smallest value whose cumulative count reaches `ceil(q × n)`. `None` when empty.
pub fn nearest_rank(histogram: &[(u64, u64)], q: f64) -> Option<u64> {
    let n: u64 = histogram.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (value, count) in histogram {
        seen += count;
        if seen >= rank {
            return Some(*value);
        }
    }
    histogram.last().map(|(v, _)| *v)
}

/// The funnel from `started` users (any event) through `stages` (each stage's users, in
/// funnel order): each step's conversion from the previous one and the users who have not
/// made it (yet). Steps with no users and none after them are kept: a funnel shows its ends.
pub fn funnel(started: u64, stages: &[(&str, u64)]) -> Vec<FunnelStep> {
    let mut out = vec![FunnelStep {
        step: "started".to_owned(),
        users: started,
        conversion: None,
        stalled: 0,
    }];
    let mut previous = started;
    for (stage, users) in stages {
        out.push(FunnelStep {
            step: (*stage).to_owned(),
            users: *users,
            conversion: (previous > 0).then(|| *users as f64 / previous as f64),
            stalled: previous.saturating_sub(*users),
        });
        previous = *users;
    }
    out
}

/// Clicks over views (capped: a click without a recorded view still counts as one).
pub fn cta(views: u64, clicks: u64) -> CtaStats {
    let views = views.max(clicks);
    CtaStats {
        views,
        clicks,
        click_through: (views > 0).then(|| clicks as f64 / views as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_funnel_says_who_made_each_step() {
        let f = funnel(200, &[("setup", 150), ("activation", 60), ("habit", 0)]);
        let steps: Vec<(&str, u64, u64)> = f
            .iter()
            .map(|s| (s.step.as_str(), s.users, s.stalled))
            .collect();
        assert_eq!(
            steps,
            [
                ("started", 200, 0),
                ("setup", 150, 50),
                ("activation", 60, 90),
                ("habit", 0, 60)
            ]
        );
        assert_eq!(f[1].conversion, Some(0.75));
        assert_eq!(f[2].conversion, Some(0.4));
        assert_eq!(funnel(0, &[("setup", 0)])[1].conversion, None);
        assert_eq!(cta(10, 3).click_through, Some(0.3));
        assert_eq!(cta(0, 2).views, 2);
        assert_eq!(cta(0, 0).click_through, None);
    }

    #[test]
    fn nearest_rank_quantiles_of_a_histogram() {
        // 1, 2, 2, 3, 10 (five users).
        let h = [(1, 1), (2, 2), (3, 1), (10, 1)];
        assert_eq!(nearest_rank(&h, 0.5), Some(2)); // rank 3
        assert_eq!(nearest_rank(&h, 0.75), Some(3)); // rank 4
        assert_eq!(nearest_rank(&h, 0.9), Some(10)); // rank 5
        assert_eq!(nearest_rank(&h, 0.2), Some(1)); // rank 1
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[(7, 3)], 0.99), Some(7));
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.unwrap();
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn a_textbook_two_proportion_interval() {
        // 60 / 200 against 30 / 150: 0.30 - 0.20 = 0.10,
        // se = sqrt(.3 * .7 / 200 + .2 * .8 / 150) = sqrt(0.00105 + 0.0010667) = 0.046007.
        let c = compare(7, arm(200, 60), arm(150, 30));
        close(c.difference, 0.10);
        let se = (0.3f64 * 0.7 / 200.0 + 0.2 * 0.8 / 150.0).sqrt();
        close(c.ci_low, 0.10 - 1.959_963_984_540_054 * se);
        close(c.ci_high, 0.10 + 1.959_963_984_540_054 * se);
        assert!(c.ci_low.unwrap() > 0.0);
        assert_eq!(c.verdict, Verdict::CelebratedRetainBetter);
        // Pooled 90 / 350.
        let p = 90.0f64 / 350.0;
        close(
            c.mde,
            (1.959_963_984_540_054 + 0.841_621_233_572_914_3)
                * (p * (1.0 - p) * (1.0 / 200.0 + 1.0 / 150.0)).sqrt(),
        );
    }

    #[test]
    fn small_or_degenerate_arms_get_no_verdict() {
        assert_eq!(
            compare(1, arm(0, 0), arm(10, 3)).verdict,
            Verdict::NotEnoughUsers
        );
        assert_eq!(
            compare(1, arm(29, 10), arm(300, 100)).verdict,
            Verdict::NotEnoughUsers
        );
        // Everyone returned in one arm: the approximation fails.
        assert_eq!(
            compare(1, arm(100, 98), arm(100, 50)).verdict,
            Verdict::NotEnoughUsers
        );
        assert_eq!(
            compare(1, arm(1000, 300), arm(1000, 295)).verdict,
            Verdict::NoDetectableDifference
        );
        assert_eq!(
            compare(1, arm(1000, 200), arm(1000, 300)).verdict,
            Verdict::CelebratedRetainWorse
        );
    }

    #[test]
    fn the_interval_always_contains_the_difference_and_the_mde_shrinks_with_users() {
        for n in [30u64, 100, 1000, 10_000] {
            for r in [5u64, n / 3, n / 2, n - 5] {
                let c = compare(30, arm(n, r), arm(n, n / 2));
                let d = c.difference.unwrap();
                assert!(c.ci_low.unwrap() <= d && d <= c.ci_high.unwrap());
            }
        }
        let small = compare(1, arm(100, 30), arm(100, 30)).mde.unwrap();
        let large = compare(1, arm(10_000, 3000), arm(10_000, 3000))
            .mde
            .unwrap();
        assert!(large < small / 9.0, "{large} vs {small}");
    }
}
