//! Timer values of RFC 3261 section 17.1.1.1 and table 4, and the small
//! retransmission-timer type the four state machines share.
//!
//! T1 is the round-trip estimate, T2 the cap on non-INVITE and response
//! retransmission intervals, T4 the time a message may linger in the network.
//! Every other timer (A to K, and L and M of RFC 6026) is derived from them.

use std::time::{Duration, Instant};

/// The base timer values. Defaults are the RFC's: T1 500 ms, T2 4 s, T4 5 s.
///
/// `c` bounds how long an INVITE client transaction may stay in Proceeding
/// without a final response (the proxy Timer C of RFC 3261 section 16.6, used
/// here as a backstop for a UAC whose far end rings forever): when it fires the
/// layer cancels the INVITE itself. Default 3 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub t1: Duration,
    pub t2: Duration,
    pub t4: Duration,
    pub c: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            c: Duration::from_secs(180),
        }
    }
}

impl Timers {
    /// 64*T1: Timers B, F, H, J and the RFC 6026 Timers L and M.
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: "at least 32 seconds" on unreliable transports. With a T1 above
    /// 500 ms we keep it at 64*T1 so it always outlives the server's Timer H.
    pub fn timer_d(&self) -> Duration {
        Duration::from_secs(32).max(self.t1x64())
    }
}

/// A retransmission timer: fires at `at`, then again after an interval that
/// doubles each time, optionally capped (Timer A has no cap; E and G stop
/// growing at T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub at: Instant,
    pub interval: Duration,
    pub cap: Option<Duration>,
}

impl Backoff {
    pub fn start(now: Instant, first: Duration, cap: Option<Duration>) -> Backoff {
        Backoff {
            at: now + first,
            interval: first,
            cap,
        }
    }

    /// Moves to the next firing, measured from the one that just happened so
    /// that a late wake-up does not stretch the schedule.
    pub fn advance(&mut self) {
        let mut next = self.interval * 2;
        if let Some(cap) = self.cap {
            next = next.min(cap);
        }
        self.interval = next;
        self.at += next;
    }

    /// Moves to the next firing after a fixed interval (Timer E in Proceeding
    /// is reset to T2, not doubled).
    pub fn advance_by(&mut self, interval: Duration) {
        self.interval = interval;
        self.at += interval;
    }
}

/// The earliest of a few optional instants.
pub(crate) fn earliest<const N: usize>(times: [Option<Instant>; N]) -> Option<Instant> {
    times.into_iter().flatten().min()
}
