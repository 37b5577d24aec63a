//! When to poll a source next: the configured interval, adapted to how
//! often the source publishes and to what the server asks for, with
//! exponential back-off on errors and jitter so sources spread out.
//!
//! Pure functions of the last poll and the server's [`Hints`]; the daemon
//! and `poll` both store the result with the poll, so a restart resumes
//! the schedule.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::outcome::Outcome;

/// The bounds a source's schedule moves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// What the editor configured; the starting point.
    pub interval: Duration,
    /// The adaptive interval never goes below this…
    pub min_interval: Duration,
    /// …nor above this.
    pub max_interval: Duration,
    /// First retry after an error; doubled each further error…
    pub backoff_start: Duration,
    /// …up to this.
    pub backoff_max: Duration,
}

/// What the server said about when to come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// RSS `<ttl>`, `Cache-Control: max-age`, `Expires`: the content will
    /// not change before this.
    pub fresh_for: Option<Duration>,
    /// `Retry-After` on 429/503.
    pub retry_after: Option<Duration>,
}

/// What the last poll came to, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastPoll {
    pub outcome: Outcome,
    /// New entries it brought.
    pub new_entries: usize,
    /// Failures in a row, this one included (0 after a success).
    pub consecutive_failures: u32,
}

impl LastPoll {
    /// A successful poll that brought `new_entries`.
    pub fn succeeded(new_entries: usize) -> LastPoll {
        LastPoll {
            outcome: Outcome::Fetched,
            new_entries,
            consecutive_failures: 0,
        }
    }

    /// Failure number `consecutive_failures` in a row (1 for the first).
    pub fn failed(consecutive_failures: u32) -> LastPoll {
        LastPoll {
            outcome: Outcome::Failed,
            new_entries: 0,
            consecutive_failures,
        }
    }
}

/// The decision: the adaptive interval to remember and when to poll next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextPoll {
    pub interval: Duration,
    pub at: DateTime<Utc>,
}

/// A source that brought something new is polled a little sooner next
/// time, a quiet one a little later: multiplicative steps, within bounds.
const SHORTEN: f64 = 0.75;
const LENGTHEN: f64 = 1.25;
/// Jitter: up to ±10 % of the delay.
const JITTER: f64 = 0.10;

impl Policy {
    /// Keeps the bounds consistent with the configured interval.
    pub fn normalized(mut self) -> Policy {
        self.min_interval = self.min_interval.min(self.interval);
        self.max_interval = self.max_interval.max(self.interval);
        self.backoff_max = self.backoff_max.max(self.backoff_start);
        self
    }

    /// The longest this policy ever waits between polls (the longer of the
    /// most relaxed interval and the longest back-off, jitter included). A
    /// next poll further out than this was decided under another clock.
    pub fn longest_wait(&self) -> Duration {
        let policy = self.normalized();
        policy
            .max_interval
            .max(policy.backoff_max)
            .mul_f64(1.0 + JITTER)
    }

    /// The next poll after `last`, from the adaptive interval remembered
    /// from the previous poll (`None`: start from the configured one).
    /// `random` is uniform in [0, 1): the jitter's source, passed in so the
    /// function stays deterministic under test.
    pub fn next(
        &self,
        now: DateTime<Utc>,
        remembered: Option<Duration>,
        last: LastPoll,
        hints: Hints,
        random: f64,
    ) -> NextPoll {
        let policy = self.normalized();
        let current = remembered
            .unwrap_or(policy.interval)
            .clamp(policy.min_interval, policy.max_interval);
        let (interval, delay) = match last.outcome {
            Outcome::Fetched | Outcome::Unchanged | Outcome::NotModified => {
                let factor = if last.new_entries > 0 {
                    SHORTEN
                } else {
                    LENGTHEN
                };
                let interval = current
                    .mul_f64(factor)
                    .clamp(policy.min_interval, policy.max_interval);
                // The server's freshness hint is a floor: no point asking
                // before it says the content can change.
                let delay = match hints.fresh_for {
                    Some(fresh) => interval.max(fresh.min(policy.max_interval)),
                    None => interval,
                };
                (interval, delay)
            }
            Outcome::Failed => {
                let doublings = last.consecutive_failures.saturating_sub(1).min(20);
                let backoff = policy
                    .backoff_start
                    .saturating_mul(1u32 << doublings)
                    .min(policy.backoff_max);
                let delay = match hints.retry_after {
                    Some(wait) => backoff.max(wait.min(policy.backoff_max)),
                    None => backoff,
                };
                (current, delay)
            }
        };
        let jitter = 1.0 + JITTER * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        let delay = delay.mul_f64(jitter);
        NextPoll {
            interval,
            at: later_by(now, delay),
        }
    }
}

/// `now` + `wait`, or the last representable moment when that is beyond
/// it: a configured duration can be far larger than any date (chrono's
/// `DateTime + TimeDelta` panics on overflow).
pub fn later_by(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;

    fn policy() -> Policy {
        Policy {
            interval: Duration::from_secs(60 * MIN),
            min_interval: Duration::from_secs(15 * MIN),
            max_interval: Duration::from_secs(6 * 60 * MIN),
            backoff_start: Duration::from_secs(5 * MIN),
            backoff_max: Duration::from_secs(24 * 60 * MIN),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn delay(next: NextPoll) -> Duration {
        (next.at - now()).to_std().unwrap()
    }

    #[test]
    fn a_wait_beyond_the_calendar_ends_at_its_last_moment() {
        let far = Duration::from_secs(100_000_000_000 * 86_400);
        assert_eq!(later_by(now(), far), DateTime::<Utc>::MAX_UTC);
        let policy = Policy {
            interval: far,
            min_interval: far,
            max_interval: far,
            backoff_start: far,
            backoff_max: far,
        };
        let next = policy.next(now(), None, LastPoll::succeeded(0), Hints::default(), 0.5);
        assert_eq!(next.at, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn busy_sources_speed_up_and_quiet_ones_slow_down_within_bounds() {
        let busy = policy().next(now(), None, LastPoll::succeeded(3), Hints::default(), 0.5);
        assert_eq!(busy.interval, Duration::from_secs(45 * MIN));
        assert_eq!(delay(busy), Duration::from_secs(45 * MIN));
        let mut interval = None;
        for _ in 0..50 {
            interval = Some(
                policy()
                    .next(
                        now(),
                        interval,
                        LastPoll::succeeded(0),
                        Hints::default(),
                        0.5,
                    )
                    .interval,
            );
        }
        assert_eq!(interval, Some(Duration::from_secs(6 * 60 * MIN)));
        for _ in 0..50 {
            interval = Some(
                policy()
                    .next(
                        now(),
                        interval,
                        LastPoll::succeeded(1),
                        Hints::default(),
                        0.5,
                    )
                    .interval,
            );
        }
        assert_eq!(interval, Some(Duration::from_secs(15 * MIN)));
    }

    #[test]
    fn server_freshness_is_a_floor_capped_at_the_maximum() {
        let hints = Hints {
            fresh_for: Some(Duration::from_secs(3 * 60 * MIN)),
            retry_after: None,
        };
        let next = policy().next(now(), None, LastPoll::succeeded(1), hints, 0.5);
        assert_eq!(delay(next), Duration::from_secs(3 * 60 * MIN));
        assert_eq!(
            next.interval,
            Duration::from_secs(45 * MIN),
            "the hint does not change the adaptive interval"
        );
        let week = Hints {
            fresh_for: Some(Duration::from_secs(7 * 24 * 60 * MIN)),
            retry_after: None,
        };
        let next = policy().next(now(), None, LastPoll::succeeded(0), week, 0.5);
        assert_eq!(delay(next), Duration::from_secs(6 * 60 * MIN));
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let delays: Vec<u64> = (1..=12)
            .map(|n| {
                delay(policy().next(now(), None, LastPoll::failed(n), Hints::default(), 0.5))
                    .as_secs()
                    / MIN
            })
            .collect();
        assert_eq!(
            delays,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440, 1440]
        );
        let hints = Hints {
            fresh_for: None,
            retry_after: Some(Duration::from_secs(2 * 60 * MIN)),
        };
        let next = policy().next(now(), None, LastPoll::failed(1), hints, 0.5);
        assert_eq!(
            delay(next),
            Duration::from_secs(2 * 60 * MIN),
            "Retry-After is honoured"
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let early =
            delay(policy().next(now(), None, LastPoll::succeeded(1), Hints::default(), 0.0));
        let late = delay(policy().next(
            now(),
            None,
            LastPoll::succeeded(1),
            Hints::default(),
            0.999_999,
        ));
        assert_eq!(early.as_secs(), 45 * MIN * 9 / 10);
        assert!(late.as_secs() >= 45 * MIN * 11 / 10 - 1 && late.as_secs() <= 45 * MIN * 11 / 10);
    }
}
