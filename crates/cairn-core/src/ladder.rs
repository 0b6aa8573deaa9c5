//! Ladder tuning: how far users' totals go, how fast, and the ladder other thresholds would
//! have made.
//!
//! The host keeps, per (metric, grid value, days), the number of users whose total crossed
//! that value that many days after their first event — counters on a fixed logarithmic grid
//! (1–9, then 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90 in each decade), never a row per
//! user. [`crossed`] says which grid values an event's total moved past; [`report`] turns the
//! counters into the distribution, the simulation of any thresholds and suggested ones.
//! A threshold on the grid (1, 10, 50, 100, 1,000 …) is simulated exactly; one between two
//! grid values gets the bounds the two give.

use crate::impact::nearest_rank;
use crate::wire::{LadderRung, SimulatedRung, SuggestedRung};

/// The metric key of "any event" (a user's first event, for the funnel's `started`).
pub const ANY: &str = "*";

/// Days are counted up to this; later crossings count as this many days.
pub const MAX_DAYS: u32 = 365;

/// The grid's mantissas in each decade from 10 on (× 10^(k−1)).
const MANTISSAS: [u64; 12] = [10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90];

/// Most thresholds simulated in one request.
pub const MAX_THRESHOLDS: usize = 24;

/// The shares of a metric's users the suggested rungs aim at, first to last.
pub const TARGETS: [f64; 5] = [0.9, 0.5, 0.25, 0.1, 0.02];

/// Every grid value, increasing.
pub fn grid() -> impl Iterator<Item = u64> {
    (1..10).chain((0..18u32).flat_map(|k| {
        let scale = 10u64.pow(k);
        MANTISSAS.iter().filter_map(move |m| m.checked_mul(scale))
    }))
}

/// The grid values in `(from, to]`: those a total moving from `from` to `to` crossed.
pub fn crossed(from: u64, to: u64) -> Vec<u64> {
    grid()
        .skip_while(|&g| g <= from)
        .take_while(|&g| g <= to)
        .collect()
}

/// The largest grid value at or below `v` (none for 0).
pub fn floor(v: u64) -> Option<u64> {
    grid().take_while(|&g| g <= v).last()
}

/// The smallest grid value at or above `v`.
pub fn ceil(v: u64) -> Option<u64> {
    grid().find(|&g| g >= v)
}

/// One counter: users who crossed `value` `days` after their first event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub value: u64,
    pub days: u32,
    pub users: u64,
}

/// What [`report`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Users with at least one event of the metric.
    pub users: u64,
    pub rungs: Vec<LadderRung>,
    pub simulated: Vec<SimulatedRung>,
    pub suggested: Vec<SuggestedRung>,
}

/// How [`report`] suggests thresholds, in words.
pub const SUGGESTION_RULE: &str = "For each target share of the metric's users (90 %, 50 %, 25 %, 10 %, 2 %), the highest grid value that at least that share reached; values repeated by a flat distribution are kept once.";

/// The distribution of `cells` (any order), the simulation of `thresholds`, and suggestions.
pub fn report(cells: &[Cell], thresholds: &[u64]) -> Report {
    let mut values: Vec<u64> = cells
        .iter()
        .filter(|c| c.users > 0)
        .map(|c| c.value)
        .collect();
    values.sort_unstable();
    values.dedup();
    let reached = |v: u64| -> u64 { cells.iter().filter(|c| c.value == v).map(|c| c.users).sum() };
    let days = |v: u64, q: f64| -> Option<u64> {
        let mut h: Vec<(u64, u64)> = cells
            .iter()
            .filter(|c| c.value == v && c.users > 0)
            .map(|c| (u64::from(c.days.min(MAX_DAYS)), c.users))
            .collect();
        h.sort_unstable();
        nearest_rank(&h, q)
    };
    // Users with an event of the metric: those who reached 1 (at least as many as reached
    // any value, unless totals began before the histogram did: then the most who reached one).
    let users = values.iter().map(|&v| reached(v)).max().unwrap_or(0);
    let share = |n: u64| {
        if users == 0 {
            0.0
        } else {
            n as f64 / users as f64
        }
    };
    let top = values.last().copied().unwrap_or(0);
    let rungs: Vec<LadderRung> = grid()
        .take_while(|&g| g <= top)
        .map(|g| {
            let n = reached(g);
            let next = grid().find(|&x| x > g).map_or(0, reached);
            LadderRung {
                value: g,
                reached: n,
                share: share(n),
                at_total: n.saturating_sub(next),
                days_p50: days(g, 0.5),
                days_p90: days(g, 0.9),
            }
        })
        .collect();
    let simulated = thresholds
        .iter()
        .map(|&t| {
            let low = floor(t).unwrap_or(1);
            let high = ceil(t).unwrap_or(low);
            let n = reached(low);
            SimulatedRung {
                threshold: t,
                reached: n,
                reached_min: reached(high),
                exact: low == t,
                share: share(n),
                days_p50: days(low, 0.5),
                days_p90: days(low, 0.9),
            }
        })
        .collect();
    let mut suggested: Vec<SuggestedRung> = Vec::new();
    if users > 0 {
        for target in TARGETS {
            let Some(rung) = rungs
                .iter()
                .rev()
                .find(|r| r.reached as f64 >= target * users as f64)
            else {
                continue;
            };
            if suggested.last().is_some_and(|s| s.threshold >= rung.value) {
                continue;
            }
            suggested.push(SuggestedRung {
                threshold: rung.value,
                target,
                share: rung.share,
            });
        }
    }
    Report {
        users,
        rungs,
        simulated,
        suggested,
    }
}

/// Parses `?thresholds=1,5,20`: positive integers, at most [`MAX_THRESHOLDS`], kept in
/// increasing order without repeats.
pub fn parse_thresholds(text: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u64>() {
            Ok(v) if v > 0 => out.push(v),
            _ => {
                return Err(format!(
                    "thresholds must be positive whole numbers separated by commas; \"{part}\" is not one"
                ));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.len() > MAX_THRESHOLDS {
        return Err(format!("at most {MAX_THRESHOLDS} thresholds at a time"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_grid_is_logarithmic_and_covers_u64() {
        let g: Vec<u64> = grid().take(25).collect();
        assert_eq!(
            g,
            [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100,
                120, 150, 200
            ]
        );
        assert!(grid().zip(grid().skip(1)).all(|(a, b)| a < b));
        assert_eq!(grid().last(), Some(9 * 10u64.pow(18)));
        assert_eq!(crossed(0, 12), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
        assert_eq!(crossed(9, 11), [10]);
        assert!(crossed(10, 11).is_empty());
        assert_eq!(floor(0), None);
        assert_eq!((floor(13), ceil(13)), (Some(12), Some(15)));
        assert_eq!((floor(1000), ceil(1000)), (Some(1000), Some(1000)));
    }

    /// Users with these (total, days-to-each-value) walk through the grid; the report says
    /// what counting them one by one says.
    #[test]
    fn the_report_equals_counting_each_user() {
        // Five users: totals 1, 3, 10, 12, 40; each crossed value v on day v / 2.
        let totals = [1u64, 3, 10, 12, 40];
        let mut cells: Vec<Cell> = Vec::new();
        for t in totals {
            for v in crossed(0, t) {
                let days = u32::try_from(v / 2).unwrap();
                match cells.iter_mut().find(|c| c.value == v && c.days == days) {
                    Some(c) => c.users += 1,
                    None => cells.push(Cell {
                        value: v,
                        days,
                        users: 1,
                    }),
                }
            }
        }
        let r = report(&cells, &[1, 10, 11, 50]);
        assert_eq!(r.users, 5);
        let rung = |v: u64| r.rungs.iter().find(|x| x.value == v).unwrap();
        assert_eq!(rung(10).reached, 3);
        assert_eq!(rung(10).at_total, 1); // total 10 (12 reached 12)
        assert_eq!(rung(40).at_total, 1);
        assert_eq!(rung(3).days_p50, Some(1));
        assert_eq!(r.rungs.last().unwrap().value, 40);
        // 11 is between 10 and 12: three reached 10, two reached 12.
        let s11 = r.simulated[2];
        assert_eq!((s11.reached, s11.reached_min, s11.exact), (3, 2, false));
        assert_eq!(r.simulated[0].share, 1.0);
        assert!(r.simulated[1].exact);
        assert_eq!(r.simulated[3].reached, 0);
        // 90 %: 1 (all five); 50 %: 10 (three of five); 25 %: 12 (two); 10 %, 2 %: 40.
        let t: Vec<u64> = r.suggested.iter().map(|s| s.threshold).collect();
        assert_eq!(t, [1, 10, 12, 40]);
    }

    #[test]
    fn thresholds_are_parsed_with_clear_errors() {
        assert_eq!(parse_thresholds("20, 5,5,1"), Ok(vec![1, 5, 20]));
        assert_eq!(parse_thresholds(""), Ok(vec![]));
        assert!(parse_thresholds("0").unwrap_err().contains("\"0\""));
        assert!(parse_thresholds("1,x").unwrap_err().contains("\"x\""));
        let many: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
        assert!(parse_thresholds(&many.join(",")).is_err());
    }

    proptest! {
        /// Crossing in one step or in two counts the same grid values once.
        #[test]
        fn crossings_compose(a in 0u64..1_000_000, b in 0u64..1_000_000, c in 0u64..1_000_000) {
            let mut v = [a, b, c];
            v.sort_unstable();
            let mut two = crossed(v[0], v[1]);
            two.extend(crossed(v[1], v[2]));
            prop_assert_eq!(crossed(v[0], v[2]), two);
            if let Some(f) = floor(v[2]) {
                prop_assert!(f <= v[2] && ceil(f) == Some(f));
            }
        }
    }
}
