//! When to try a delivery again, and when to stop: a pure function of the
//! attempt's outcome, the attempts made, the policy, the time and a jitter
//! draw, so every rule is checked on a virtual clock.
//!
//! - A 2xx is delivered; nothing else is.
//! - A refusal that will not change by itself (4xx but 408 Request Timeout,
//!   425 Too Early and 429 Too Many Requests; a target that cannot be used
//!   at all, such as a malformed address) fails at once: an administrator
//!   fixes the cause and retries it through the API.
//! - Anything else (5xx, 408, 429, no connection, a timeout) is tried again
//!   after `base * 2^(n-1)` (n the attempts made so far in this round),
//!   capped at `max_delay`, with "equal jitter": half of that delay, plus a
//!   random share of the other half, so receivers that came back are not hit
//!   by every sender at once. A `Retry-After` the receiver sent is honoured
//!   as a floor (never past `max_delay`).
//! - After `max_attempts` attempts in the round, it fails.

use std::time::Duration;

/// How a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt (before jitter).
    pub base: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
    /// Attempts in one round (a manual retry starts a new round).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(10),
            max_delay: Duration::from_secs(3600),
            max_attempts: 12,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with this status (HTTP, or an SMTP reply code
    /// mapped onto its meaning: see [`Outcome::smtp`]).
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: no connection, a timeout, a broken exchange.
    Unreachable,
    /// The delivery cannot be made as it stands (a malformed URL or address,
    /// an attachment that is gone): trying again changes nothing.
    Unusable,
}

impl Outcome {
    /// An SMTP reply: 2yz is accepted, 4yz transient, 5yz permanent.
    pub fn smtp(code: u16) -> Outcome {
        let status = match code {
            200..=299 => 200,
            400..=499 => 503,
            _ => 400,
        };
        Outcome::Answered {
            status,
            retry_after: None,
        }
    }
}

/// What to do with the delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again at this moment (milliseconds since the Unix epoch).
    RetryAt(u64),
    /// Stop: the delivery has failed.
    GiveUp,
}

/// Decides what follows an attempt. `attempts` counts the attempts made in
/// this round, the one just made included (so at least 1); `now` is in
/// milliseconds; `jitter` is a draw in `[0, 1)`.
pub fn next(policy: &RetryPolicy, attempts: u32, outcome: &Outcome, now: u64, jitter: f64) -> Next {
    let retry_after = match outcome {
        Outcome::Answered { status, .. } if (200..300).contains(status) => return Next::Delivered,
        Outcome::Answered { status, .. }
            if (400..500).contains(status) && !matches!(status, 408 | 425 | 429) =>
        {
            return Next::GiveUp
        }
        Outcome::Unusable => return Next::GiveUp,
        Outcome::Answered { retry_after, .. } => *retry_after,
        Outcome::Unreachable => None,
    };
    if attempts >= policy.max_attempts {
        return Next::GiveUp;
    }
    let delay = backoff(policy, attempts, jitter);
    let delay = match retry_after {
        Some(floor) => delay.max(floor.min(policy.max_delay)),
        None => delay,
    };
    Next::RetryAt(now.saturating_add(delay.as_millis() as u64))
}

/// The delay after the `attempts`-th failed attempt, with equal jitter.
fn backoff(policy: &RetryPolicy, attempts: u32, jitter: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(32);
    let full = policy
        .base
        .checked_mul(1u32 << doublings.min(31))
        .unwrap_or(policy.max_delay)
        .min(policy.max_delay);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    full / 2 + (full / 2).mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(10),
            max_delay: Duration::from_secs(300),
            max_attempts: 5,
        }
    }

    fn status(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
        }
    }

    const NOW: u64 = 1_000_000;

    #[test]
    fn a_2xx_is_delivered_and_nothing_else() {
        for s in [200, 201, 202, 204, 299] {
            assert_eq!(next(&policy(), 1, &status(s), NOW, 0.5), Next::Delivered);
        }
        for s in [100, 301, 302, 304, 500, 503] {
            assert!(matches!(
                next(&policy(), 1, &status(s), NOW, 0.5),
                Next::RetryAt(_)
            ));
        }
    }

    #[test]
    fn a_delivered_attempt_wins_even_past_the_limit() {
        assert_eq!(next(&policy(), 99, &status(200), NOW, 0.0), Next::Delivered);
    }

    #[test]
    fn permanent_refusals_give_up_at_once() {
        for s in [400, 401, 403, 404, 410, 413, 422] {
            assert_eq!(
                next(&policy(), 1, &status(s), NOW, 0.5),
                Next::GiveUp,
                "{s}"
            );
        }
        assert_eq!(
            next(&policy(), 1, &Outcome::Unusable, NOW, 0.5),
            Next::GiveUp
        );
    }

    #[test]
    fn transient_refusals_and_silence_are_retried() {
        for outcome in [
            status(408),
            status(425),
            status(429),
            status(500),
            status(502),
            Outcome::Unreachable,
        ] {
            assert!(
                matches!(next(&policy(), 1, &outcome, NOW, 0.5), Next::RetryAt(_)),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn the_delay_doubles_within_equal_jitter_and_is_capped() {
        let delays: Vec<(u64, u64)> = (1..5)
            .map(|n| {
                let at = |j| match next(&policy(), n, &Outcome::Unreachable, NOW, j) {
                    Next::RetryAt(t) => t - NOW,
                    other => panic!("{other:?}"),
                };
                (at(0.0), at(0.999_999))
            })
            .collect();
        // 10 s, 20 s, 40 s, 80 s: half of each, up to nearly all of it.
        assert_eq!(
            delays,
            [
                (5_000, 9_999),
                (10_000, 19_999),
                (20_000, 39_999),
                (40_000, 79_999)
            ]
        );
        let long = RetryPolicy {
            max_attempts: 100,
            ..policy()
        };
        for n in [6, 10, 40, 99] {
            let Next::RetryAt(t) = next(&long, n, &Outcome::Unreachable, NOW, 1.0) else {
                panic!()
            };
            assert_eq!(t - NOW, 300_000, "capped at max_delay after {n} attempts");
        }
    }

    #[test]
    fn gives_up_after_the_last_attempt_of_the_round() {
        assert!(matches!(
            next(&policy(), 4, &status(503), NOW, 0.0),
            Next::RetryAt(_)
        ));
        assert_eq!(next(&policy(), 5, &status(503), NOW, 0.0), Next::GiveUp);
        assert_eq!(
            next(&policy(), 6, &Outcome::Unreachable, NOW, 0.0),
            Next::GiveUp
        );
    }

    #[test]
    fn retry_after_is_a_floor_below_the_cap() {
        let asked = |secs| Outcome::Answered {
            status: 503,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            next(&policy(), 1, &asked(60), NOW, 0.0),
            Next::RetryAt(NOW + 60_000)
        );
        // Shorter than the backoff: the backoff stands.
        assert_eq!(
            next(&policy(), 3, &asked(1), NOW, 0.0),
            Next::RetryAt(NOW + 20_000)
        );
        // Longer than the cap: the cap.
        assert_eq!(
            next(&policy(), 1, &asked(86_400), NOW, 0.0),
            Next::RetryAt(NOW + 300_000)
        );
    }

    #[test]
    fn odd_jitter_draws_stay_in_range() {
        for j in [f64::NAN, -1.0, 2.0, f64::INFINITY] {
            let Next::RetryAt(t) = next(&policy(), 1, &Outcome::Unreachable, NOW, j) else {
                panic!()
            };
            assert!((5_000..=10_000).contains(&(t - NOW)), "{j}: {}", t - NOW);
        }
    }

    #[test]
    fn smtp_replies_map_onto_the_same_rules() {
        assert_eq!(
            next(&policy(), 1, &Outcome::smtp(250), NOW, 0.0),
            Next::Delivered
        );
        assert!(matches!(
            next(&policy(), 1, &Outcome::smtp(451), NOW, 0.0),
            Next::RetryAt(_)
        ));
        assert_eq!(
            next(&policy(), 1, &Outcome::smtp(550), NOW, 0.0),
            Next::GiveUp
        );
    }
}
