//! What the console's pages show, as plain data: filters to query strings, numbers to words,
//! comparisons to chart geometry. No DOM, no fetch: tested natively (`cargo test -p
//! cairn-console`).

use cairn_wire::{CtaStats, MilestoneImpact, RetentionComparison, Role, SimulatedRung, Verdict};

/// The feed's filters, as the page's controls hold them (empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilters {
    pub scope: String,
    pub tier: String,
    pub kind: String,
    /// `""`, `"true"` or `"false"`.
    pub celebrated: String,
    pub account: String,
    pub csm: String,
    /// `YYYY-MM-DD` (inclusive) or empty.
    pub since: String,
    /// `YYYY-MM-DD` (inclusive) or empty.
    pub until: String,
}

impl FeedFilters {
    /// The query string of `GET /v1/console/feed` (without `?`), values percent-encoded.
    pub fn query(&self, limit: u32) -> String {
        let mut parts = vec![format!("limit={limit}")];
        let mut add = |name: &str, value: &str| {
            let value = value.trim();
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        };
        add("scope", &self.scope);
        add("tier", &self.tier);
        add("kind", &self.kind);
        add("celebrated", &self.celebrated);
        add("account", &self.account);
        add("csm", &self.csm);
        if is_date(self.since.trim()) {
            add("since", &format!("{}T00:00:00Z", self.since.trim()));
        }
        if let Some(next) = day_after(self.until.trim()) {
            add("until", &format!("{next}T00:00:00Z"));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_date(s: &str) -> bool {
    parse_date(s).is_some()
}

fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    (s.len() == 10 && (1..=12).contains(&m) && d >= 1 && d <= days_in(y, m)).then_some((y, m, d))
}

fn days_in(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date after `YYYY-MM-DD`.
fn day_after(s: &str) -> Option<String> {
    let (mut y, mut m, mut d) = parse_date(s)?;
    d += 1;
    if d > days_in(y, m) {
        d = 1;
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// What a role may do in the console.
pub fn can_celebrate(role: Role) -> bool {
    role >= Role::Csm
}

/// A rate as a percentage with one decimal: `0.3127` → `31.3 %`.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

/// A difference in percentage points, signed: `0.052` → `+5.2 pts`.
pub fn points(diff: Option<f64>) -> String {
    diff.map_or_else(
        || "–".to_owned(),
        |d| {
            let p = d * 100.0;
            // Never "-0.0": a difference that rounds to zero is zero.
            let p = if p.abs() < 0.05 { 0.0 } else { p };
            format!("{p:+.1} pts")
        },
    )
}

/// The interval, in points: `[+1.0, +9.4] pts`.
pub fn interval(c: &RetentionComparison) -> String {
    match (c.ci_low, c.ci_high) {
        (Some(l), Some(h)) => format!("[{:+.1}, {:+.1}] pts", l * 100.0, h * 100.0),
        _ => "–".to_owned(),
    }
}

/// The comparison's verdict in plain words.
pub fn verdict_words(c: &RetentionComparison) -> String {
    let day = c.day;
    comparison_words(
        c,
        &format!("day {day}"),
        "return",
        &format!("on day {day}"),
        "returned",
    )
}

/// A conversion comparison's verdict in plain words (`day` is the window, 14 days).
pub fn conversion_words(c: &RetentionComparison) -> String {
    let days = c.day;
    comparison_words(
        c,
        &format!("conversion within {days} days"),
        "convert",
        &format!("within {days} days"),
        "converted",
    )
}

/// A verdict about `topic`: celebrated users `verb` more or less `when`; the arms need
/// users who `did` and who did not.
fn comparison_words(
    c: &RetentionComparison,
    topic: &str,
    verb: &str,
    when: &str,
    did: &str,
) -> String {
    match c.verdict {
        Verdict::NotEnoughUsers => format!(
            "Not enough users yet for {topic}: {} celebrated and {} held out so far (each arm needs 30, with at least 5 who {did} and 5 who did not).",
            c.celebrated.users, c.holdout.users
        ),
        Verdict::CelebratedRetainBetter => format!(
            "Celebrated users {verb} more {when}: {} (95 % interval {}).",
            points(c.difference),
            interval(c)
        ),
        Verdict::CelebratedRetainWorse => format!(
            "Celebrated users {verb} less {when}: {} (95 % interval {}).",
            points(c.difference),
            interval(c)
        ),
        Verdict::NoDetectableDifference => format!(
            "No detectable difference {when}: {} (95 % interval {}); these samples detect a difference of {} or more.",
            points(c.difference),
            interval(c),
            points(c.mde).trim_start_matches('+')
        ),
    }
}

/// Calls to action summed per tier, in the order tiers first appear (`*` left out).
pub fn cta_by_tier(milestones: &[MilestoneImpact]) -> Vec<(String, CtaStats)> {
    let mut out: Vec<(String, CtaStats)> = Vec::new();
    for m in milestones {
        let Some(c) = m.cta else { continue };
        match out.iter_mut().find(|(t, _)| *t == m.tier) {
            Some((_, t)) => {
                t.views += c.views;
                t.clicks += c.clicks;
            }
            None => out.push((m.tier.clone(), c)),
        }
    }
    for (_, t) in &mut out {
        t.click_through = (t.views > 0).then(|| t.clicks as f64 / t.views as f64);
    }
    out
}

/// `GET /v1/analytics/ladder`'s query for a metric and the thresholds as typed (spaces
/// dropped; the server checks them).
pub fn ladder_query(metric: &str, thresholds: &str) -> String {
    let t: String = thresholds.chars().filter(|c| !c.is_whitespace()).collect();
    let mut q = format!("/v1/analytics/ladder?metric={}", encode(metric));
    if !t.is_empty() {
        q.push_str("&thresholds=");
        q.push_str(&encode(&t));
    }
    q
}

/// How many would have reached a simulated rung, in words: exact on the grid, else the
/// bounds the grid gives.
pub fn reached_words(r: &SimulatedRung) -> String {
    if r.exact || r.reached == r.reached_min {
        format!("{} ({})", r.reached, percent(Some(r.share)))
    } else {
        format!("between {} and {}", r.reached_min, r.reached)
    }
}

/// Days as a median and 90th percentile: `3 d (p90 12 d)`.
pub fn days_words(p50: Option<u64>, p90: Option<u64>) -> String {
    match (p50, p90) {
        (Some(a), Some(b)) => format!("{a} d (p90 {b} d)"),
        _ => "–".to_owned(),
    }
}

/// One bar of a retention chart, in the chart's own units (a 0–100 tall plot).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub height: f64,
    /// `celebrated` or `holdout` (the CSS class).
    pub arm: &'static str,
    pub label: String,
}

/// Width of one bar.
pub const BAR_WIDTH: f64 = 14.0;
/// Space between a day's group of two bars and the next.
pub const GROUP_GAP: f64 = 16.0;

/// The bars of a milestone's chart: for each day, celebrated then holdout.
pub fn bars(retention: &[RetentionComparison]) -> Vec<Bar> {
    let mut out = Vec::with_capacity(retention.len() * 2);
    for (i, c) in retention.iter().enumerate() {
        let x0 = i as f64 * (2.0 * BAR_WIDTH + GROUP_GAP) + GROUP_GAP / 2.0;
        for (j, (arm, a)) in [("celebrated", &c.celebrated), ("holdout", &c.holdout)]
            .into_iter()
            .enumerate()
        {
            out.push(Bar {
                x: x0 + j as f64 * BAR_WIDTH,
                height: a.rate.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0,
                arm,
                label: format!("D{} {arm}: {}", c.day, percent(a.rate)),
            });
        }
    }
    out
}

/// The chart's width for `days` groups.
pub fn chart_width(days: usize) -> f64 {
    days as f64 * (2.0 * BAR_WIDTH + GROUP_GAP)
}

/// Whole hours in words: under two days in hours, else in days with one decimal.
pub fn hours(h: u64) -> String {
    if h < 48 {
        format!("{h} h")
    } else {
        format!("{:.1} d", h as f64 / 24.0)
    }
}

/// One bar per value, as tall as its share of the largest (a 0–100 tall plot).
pub fn simple_bars(values: &[(String, f64)]) -> Vec<Bar> {
    let max = values.iter().map(|(_, v)| *v).fold(0.0f64, f64::max);
    let step = simple_step(values);
    values
        .iter()
        .enumerate()
        .map(|(i, (label, v))| Bar {
            x: i as f64 * step + (step - BAR_WIDTH) / 2.0,
            height: if max > 0.0 {
                (v / max).clamp(0.0, 1.0) * 100.0
            } else {
                0.0
            },
            arm: "celebrated",
            label: label.clone(),
        })
        .collect()
}

/// Width of one bar's slot: room for its label at the charts' 9-unit font (about 5 units a
/// character), never less than a bar and a gap.
fn simple_step(values: &[(String, f64)]) -> f64 {
    let longest = values
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    (BAR_WIDTH + GROUP_GAP / 2.0).max(longest as f64 * 5.2 + 4.0)
}

/// The width of [`simple_bars`]' chart for `values`; at least [`MIN_CHART_WIDTH`], so that a
/// chart of two bars is not drawn as tall as the page.
pub fn simple_width(values: &[(String, f64)]) -> f64 {
    (values.len() as f64 * simple_step(values)).max(MIN_CHART_WIDTH)
}

/// The narrowest plot (in the charts' units; the 0–100 plot is 124 tall).
pub const MIN_CHART_WIDTH: f64 = 140.0;

/// An amount of money, without decimals: `120000.0, "USD"` → `USD 120,000`.
pub fn money(amount: Option<f64>, currency: Option<&str>) -> String {
    let Some(amount) = amount else {
        return "–".to_owned();
    };
    let whole = amount.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if whole < 0 { "-" } else { "" };
    format!("{} {sign}{grouped}", currency.unwrap_or("USD"))
}

/// The date part of an RFC 3339 instant.
pub fn date(instant: &str) -> &str {
    instant.get(..10).unwrap_or(instant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuning_words_and_queries() {
        assert_eq!(
            ladder_query("projects", " 1, 5,20 "),
            "/v1/analytics/ladder?metric=projects&thresholds=1%2C5%2C20"
        );
        assert_eq!(ladder_query("a b", ""), "/v1/analytics/ladder?metric=a%20b");
        let rung = SimulatedRung {
            threshold: 11,
            reached: 30,
            reached_min: 20,
            exact: false,
            share: 0.3,
            days_p50: Some(2),
            days_p90: Some(9),
        };
        assert_eq!(reached_words(&rung), "between 20 and 30");
        assert_eq!(
            reached_words(&SimulatedRung {
                exact: true,
                ..rung
            }),
            "30 (30.0 %)"
        );
        assert_eq!(days_words(Some(2), Some(9)), "2 d (p90 9 d)");
        let m = |tier: &str, views, clicks| MilestoneImpact {
            milestone_key: "k".into(),
            milestone_name: "K".into(),
            tier: tier.into(),
            retention: vec![],
            conversion: None,
            cta: Some(CtaStats {
                views,
                clicks,
                click_through: None,
            }),
            shares: None,
        };
        let t = cta_by_tier(&[m("early", 10, 1), m("mid", 4, 2), m("early", 10, 3)]);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].1.views, t[0].1.clicks), (20, 4));
        assert_eq!(t[0].1.click_through, Some(0.2));
        assert_eq!(t[1].1.click_through, Some(0.5));
    }
    use cairn_wire::RetentionArm;

    fn arm(users: u64, returned: u64) -> RetentionArm {
        RetentionArm {
            users,
            returned,
            rate: (users > 0).then(|| returned as f64 / users as f64),
        }
    }

    #[test]
    fn filters_make_the_query_and_encode_what_they_carry() {
        let f = FeedFilters {
            tier: "advanced".into(),
            celebrated: "false".into(),
            account: "acme & co".into(),
            since: "2026-02-28".into(),
            until: "2026-02-28".into(),
            ..Default::default()
        };
        assert_eq!(
            f.query(50),
            "limit=50&tier=advanced&celebrated=false&account=acme%20%26%20co&since=2026-02-28T00%3A00%3A00Z&until=2026-03-01T00%3A00%3A00Z"
        );
        // Not a date: left out, not sent as is.
        let f = FeedFilters {
            since: "yesterday".into(),
            until: "2026-02-30".into(),
            ..Default::default()
        };
        assert_eq!(f.query(10), "limit=10");
        assert_eq!(day_after("2024-12-31").as_deref(), Some("2025-01-01"));
        assert_eq!(day_after("2024-02-28").as_deref(), Some("2024-02-29"));
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(percent(Some(0.3127)), "31.3 %");
        assert_eq!(percent(None), "–");
        assert_eq!(points(Some(0.052)), "+5.2 pts");
        assert_eq!(points(Some(-0.0001)), "+0.0 pts");
        assert_eq!(money(Some(1_234_567.4), Some("EUR")), "EUR 1,234,567");
        assert_eq!(money(Some(999.0), None), "USD 999");
        assert_eq!(date("2026-03-02T12:00:00Z"), "2026-03-02");
        assert!(!can_celebrate(Role::Viewer));
        assert!(can_celebrate(Role::Csm) && can_celebrate(Role::Owner));
    }

    #[test]
    fn verdicts_say_what_the_numbers_support() {
        let c = RetentionComparison {
            day: 7,
            celebrated: arm(10, 3),
            holdout: arm(4, 1),
            difference: Some(0.05),
            ci_low: Some(-0.4),
            ci_high: Some(0.5),
            mde: Some(0.6),
            verdict: Verdict::NotEnoughUsers,
        };
        let words = verdict_words(&c);
        assert!(
            words.starts_with("Not enough users yet for day 7: 10 celebrated and 4 held out"),
            "{words}"
        );
        let c = RetentionComparison {
            verdict: Verdict::NoDetectableDifference,
            ..c
        };
        assert!(verdict_words(&c).contains("detect a difference of 60.0 pts or more"));
        let c = RetentionComparison {
            day: 14,
            verdict: Verdict::CelebratedRetainBetter,
            ..c
        };
        assert_eq!(
            conversion_words(&c),
            "Celebrated users convert more within 14 days: +5.0 pts (95 % interval [-40.0, +50.0] pts)."
        );
    }

    #[test]
    fn durations_and_simple_bars() {
        assert_eq!(hours(5), "5 h");
        assert_eq!(hours(47), "47 h");
        assert_eq!(hours(60), "2.5 d");
        let b = simple_bars(&[("a".into(), 2.0), ("b".into(), 4.0), ("c".into(), 0.0)]);
        assert_eq!(
            b.iter().map(|b| b.height).collect::<Vec<_>>(),
            [50.0, 100.0, 0.0]
        );
        let three = [("a".into(), 2.0), ("b".into(), 4.0), ("c".into(), 0.0)];
        assert!(
            b.iter()
                .all(|bar| bar.x + BAR_WIDTH <= simple_width(&three))
        );
        // Long labels get room; few bars still make a chart of a sensible shape.
        let words = [("activation".to_owned(), 1.0), ("habit".to_owned(), 1.0)];
        let w = simple_bars(&words);
        assert!(w[1].x - w[0].x >= 10.0 * 5.2, "{w:?}");
        assert!(simple_width(&words) >= MIN_CHART_WIDTH);
        assert!(simple_bars(&[("z".into(), 0.0)])[0].height == 0.0);
    }

    #[test]
    fn bars_are_as_tall_as_their_rates() {
        let c = RetentionComparison {
            day: 1,
            celebrated: arm(100, 40),
            holdout: arm(50, 10),
            difference: None,
            ci_low: None,
            ci_high: None,
            mde: None,
            verdict: Verdict::NotEnoughUsers,
        };
        let b = bars(&[c.clone(), RetentionComparison { day: 7, ..c }]);
        assert_eq!(b.len(), 4);
        assert!((b[0].height - 40.0).abs() < 1e-9 && (b[1].height - 20.0).abs() < 1e-9);
        assert_eq!(b[1].x - b[0].x, BAR_WIDTH);
        assert_eq!(b[2].x - b[0].x, 2.0 * BAR_WIDTH + GROUP_GAP);
        assert_eq!(b[3].label, "D7 holdout: 20.0 %");
        assert!(b.iter().all(|bar| bar.x + BAR_WIDTH <= chart_width(2)));
    }
}
