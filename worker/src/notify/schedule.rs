//! When a delivery is tried again, and when it gives up: pure, so it is tested natively.
//!
//! The schedule is Svix's (what Standard Webhooks receivers expect): the first attempt at once,
//! then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure — eight attempts over
//! about 27.6 hours. A `2xx` is success; `410 Gone` disables the endpoint; `429` and any
//! `Retry-After` push the next attempt later (never earlier); an endpoint that has failed
//! without a single success for five days is disabled and says so.
//!
//! For local testing the schedule (and the five days) can be compressed by
//! `CAIRN_DEV_NOTIFY_SCALE`, and only for targets on loopback addresses, which a deployment on
//! Cloudflare's network cannot reach anyway (see [`super::Settings`]).

/// Delays before attempts 2, 3, …: after the first, second, … failure, in milliseconds.
pub const RETRY_DELAYS_MS: [i64; 7] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
];

/// Attempts in one round (the first and every retry).
pub const ATTEMPTS: i64 = RETRY_DELAYS_MS.len() as i64 + 1;

/// An endpoint that fails this long without a success is disabled.
pub const DISABLE_AFTER_MS: i64 = 5 * 86_400_000;

/// Success means a `2xx` within this long.
pub const TIMEOUT_MS: i64 = 15_000;

/// The longest wait a `Retry-After` can impose (a queue message waits at most 12 h).
pub const MAX_RETRY_AFTER_MS: i64 = 12 * 3_600_000;

/// What one attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP status, with the `Retry-After` it carried (in ms from now), if any.
    Status {
        status: u16,
        retry_after_ms: Option<i64>,
    },
    /// No answer: a connection error or the timeout.
    NoAnswer,
}

/// What happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this instant (ms since the epoch).
    Retry {
        at_ms: i64,
    },
    /// The job has used its attempts.
    Failed {
        reason: String,
    },
    /// The endpoint is disabled (the job fails with it).
    Disable {
        reason: String,
    },
}

/// The verdict after attempt `attempt` (1-based, counted within its round) got `answer` at
/// `now_ms`, for an endpoint failing since `failing_since_ms` (before this attempt), with
/// time compressed by `scale` (1 outside development).
pub fn verdict(
    attempt: i64,
    answer: &Answer,
    now_ms: i64,
    failing_since_ms: Option<i64>,
    scale: i64,
) -> Verdict {
    let scale = scale.max(1);
    let retry_after = match answer {
        Answer::Status { status, .. } if (200..300).contains(status) => return Verdict::Delivered,
        Answer::Status { status: 410, .. } => {
            return Verdict::Disable {
                reason: "the endpoint answered 410 Gone".into(),
            };
        }
        Answer::Status { retry_after_ms, .. } => *retry_after_ms,
        Answer::NoAnswer => None,
    };
    let since = failing_since_ms.unwrap_or(now_ms);
    if now_ms - since >= DISABLE_AFTER_MS / scale {
        return Verdict::Disable {
            reason: "every delivery failed for 5 days".into(),
        };
    }
    let Some(delay) = usize::try_from(attempt - 1)
        .ok()
        .and_then(|i| RETRY_DELAYS_MS.get(i))
    else {
        return Verdict::Failed {
            reason: format!(
                "no success after {ATTEMPTS} attempts ({})",
                describe(answer)
            ),
        };
    };
    let wait = (delay / scale).max(retry_after.unwrap_or(0).clamp(0, MAX_RETRY_AFTER_MS));
    Verdict::Retry {
        at_ms: now_ms + wait,
    }
}

/// A `Retry-After` header (seconds, or an HTTP date) as milliseconds from `now_ms`.
pub fn retry_after_ms(header: &str, now_ms: i64) -> Option<i64> {
    let header = header.trim();
    if let Ok(secs) = header.parse::<i64>() {
        return Some(secs.max(0).saturating_mul(1000));
    }
    let at = jiff::fmt::rfc2822::parse(header).ok()?.timestamp();
    Some((at.as_millisecond() - now_ms).max(0))
}

/// The attempt's outcome in words, for the log.
pub fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Status { status, .. } => format!("last answer HTTP {status}"),
        Answer::NoAnswer => "no answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn status(status: u16) -> Answer {
        Answer::Status {
            status,
            retry_after_ms: None,
        }
    }

    #[test]
    fn success_is_any_2xx() {
        for s in [200, 201, 204, 299] {
            assert_eq!(verdict(1, &status(s), NOW, None, 1), Verdict::Delivered);
        }
        assert!(matches!(
            verdict(1, &status(300), NOW, None, 1),
            Verdict::Retry { .. }
        ));
    }

    /// Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then failed.
    #[test]
    fn the_schedule_is_svixs() {
        let waits: Vec<i64> = (1..=7)
            .map(|a| match verdict(a, &status(500), NOW, Some(NOW), 1) {
                Verdict::Retry { at_ms } => (at_ms - NOW) / 1000,
                other => panic!("attempt {a}: {other:?}"),
            })
            .collect();
        assert_eq!(waits, [5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
        assert!(matches!(
            verdict(8, &Answer::NoAnswer, NOW, Some(NOW), 1),
            Verdict::Failed { .. }
        ));
        assert_eq!(ATTEMPTS, 8);
    }

    #[test]
    fn gone_disables_at_once() {
        assert!(matches!(
            verdict(1, &status(410), NOW, None, 1),
            Verdict::Disable { .. }
        ));
    }

    #[test]
    fn retry_after_only_ever_delays() {
        let answer = Answer::Status {
            status: 429,
            retry_after_ms: Some(60_000),
        };
        assert_eq!(
            verdict(1, &answer, NOW, None, 1),
            Verdict::Retry {
                at_ms: NOW + 60_000
            }
        );
        let short = Answer::Status {
            status: 503,
            retry_after_ms: Some(1_000),
        };
        assert_eq!(
            verdict(2, &short, NOW, None, 1),
            Verdict::Retry {
                at_ms: NOW + 300_000
            }
        );
        let huge = Answer::Status {
            status: 429,
            retry_after_ms: Some(i64::MAX),
        };
        assert_eq!(
            verdict(1, &huge, NOW, None, 1),
            Verdict::Retry {
                at_ms: NOW + MAX_RETRY_AFTER_MS
            }
        );
    }

    #[test]
    fn five_days_of_failure_disable() {
        let since = NOW - DISABLE_AFTER_MS;
        assert!(matches!(
            verdict(1, &status(500), NOW, Some(since), 1),
            Verdict::Disable { .. }
        ));
        assert!(matches!(
            verdict(1, &status(500), NOW, Some(since + 1), 1),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn development_compresses_the_schedule() {
        assert_eq!(
            verdict(7, &status(500), NOW, Some(NOW), 10_000),
            Verdict::Retry { at_ms: NOW + 3_600 }
        );
        assert!(matches!(
            verdict(
                1,
                &status(500),
                NOW,
                Some(NOW - DISABLE_AFTER_MS / 10_000),
                10_000
            ),
            Verdict::Disable { .. }
        ));
    }

    #[test]
    fn retry_after_headers() {
        assert_eq!(retry_after_ms("120", NOW), Some(120_000));
        assert_eq!(retry_after_ms(" 0 ", NOW), Some(0));
        assert_eq!(retry_after_ms("-5", NOW), Some(0));
        assert_eq!(retry_after_ms("soon", NOW), None);
        let later = jiff::Timestamp::from_millisecond(NOW + 30_000).unwrap();
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&later)
            .unwrap();
        assert_eq!(retry_after_ms(&date, NOW), Some(30_000));
    }
}
