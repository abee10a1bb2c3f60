//! The limits on password guessing shared by SIP digest authentication and
//! the HTTP login, kept in memory and driven by the caller's clock.
//!
//! A failed login must never let a stranger keep the real user out, so there
//! is no lock that lasts until an administrator acts. Instead:
//!
//! - Per user and source address: after the configured number of failures
//!   in a row, that user is refused from that address for a back-off (one
//!   minute by default), doubled by each further failure up to a cap. A
//!   success from the address, or an administrator's password reset, ends it.
//!   The same user from another address is not affected.
//! - Per source address: past the configured failures within a minute (any
//!   usernames, known or not), every login from it is refused for the rest of
//!   that minute. Scanners are stopped here.
//! - Per user over every address: past the configured failures within a
//!   minute, the user is refused for the rest of that minute, except from an
//!   address it logged in from successfully within the last day. This caps
//!   guessing spread over many addresses without shutting out the real user.
//!
//! Usernames are keys here whether or not they exist, so an unknown name is
//! refused exactly like a known one. An attempt counts as a failure from the
//! moment it is admitted until it succeeds, so a burst of parallel attempts is
//! limited as well as a slow series.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// The limits; see the module documentation.
#[derive(Debug, Clone)]
pub struct GuardSettings {
    /// Failures in a row of one user from one address before its back-off.
    pub failures_before_backoff: u32,
    /// The first back-off; each further failure doubles it.
    pub backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub failures_per_source_per_minute: u32,
    pub failures_per_user_per_minute: u32,
}

/// Why an attempt is refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The source address failed too often.
    Source { retry_after_ms: u64 },
    /// This user failed too often (from this address, or from everywhere).
    User { retry_after_ms: u64 },
}

impl Refusal {
    pub fn retry_after_ms(self) -> u64 {
        match self {
            Refusal::Source { retry_after_ms } | Refusal::User { retry_after_ms } => retry_after_ms,
        }
    }

    /// Whole seconds for a Retry-After header, at least one.
    pub fn retry_after_secs(self) -> u64 {
        self.retry_after_ms().div_ceil(1000).max(1)
    }
}

/// A minute-long window of failures, opened by the first failure.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start_ms: u64,
    failures: u32,
}

impl Window {
    fn count(&mut self, now_ms: u64) -> u32 {
        if self.failures == 0 || now_ms.saturating_sub(self.start_ms) >= WINDOW_MS {
            *self = Window {
                start_ms: now_ms,
                failures: 0,
            };
        }
        self.failures += 1;
        self.failures
    }

    fn uncount(&mut self) {
        self.failures = self.failures.saturating_sub(1);
    }

    /// When the window ends, if it holds `limit` failures or more.
    fn full_until(&self, limit: u32, now_ms: u64) -> Option<u64> {
        let end = self.start_ms + WINDOW_MS;
        (self.failures >= limit && now_ms < end).then_some(end)
    }
}

/// One user from one address.
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    in_a_row: u32,
    refused_until_ms: u64,
    last_success_ms: Option<u64>,
    last_seen_ms: u64,
}

#[derive(Default)]
struct Tables {
    sources: HashMap<IpAddr, Window>,
    users: HashMap<String, Window>,
    pairs: HashMap<(String, IpAddr), Pair>,
}

pub struct LoginGuard {
    settings: GuardSettings,
    tables: Mutex<Tables>,
}

const WINDOW_MS: u64 = 60_000;
/// How long a successful address stays exempt from the per-user limit.
const TRUSTED_MS: u64 = 24 * 3600 * 1000;
/// Entries tracked in each table before the idle ones are dropped.
const TRACKED: usize = 100_000;

impl LoginGuard {
    pub fn new(settings: GuardSettings) -> LoginGuard {
        LoginGuard {
            settings,
            tables: Mutex::new(Tables::default()),
        }
    }

    /// Whether `source` is refused whatever the username: checked before any
    /// work is done on a request.
    pub fn source_refused(&self, source: IpAddr, now_ms: u64) -> Option<Refusal> {
        let t = self.tables.lock().expect("login guard lock");
        let end = t
            .sources
            .get(&source)?
            .full_until(self.settings.failures_per_source_per_minute, now_ms)?;
        Some(Refusal::Source {
            retry_after_ms: end - now_ms,
        })
    }

    /// Admits one attempt of `user` from `source`, counting it as a failure
    /// until [`LoginGuard::succeeded`] is called, or refuses it.
    pub fn admit(&self, user: &str, source: IpAddr, now_ms: u64) -> Result<(), Refusal> {
        let s = &self.settings;
        let mut guard = self.tables.lock().expect("login guard lock");
        let t = &mut *guard;
        if let Some(end) = t
            .sources
            .get(&source)
            .and_then(|w| w.full_until(s.failures_per_source_per_minute, now_ms))
        {
            return Err(Refusal::Source {
                retry_after_ms: end - now_ms,
            });
        }
        let key = (user.to_owned(), source);
        let pair = t.pairs.get(&key).copied().unwrap_or_default();
        if pair.refused_until_ms > now_ms {
            return Err(Refusal::User {
                retry_after_ms: pair.refused_until_ms - now_ms,
            });
        }
        let trusted = pair
            .last_success_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < TRUSTED_MS);
        if !trusted {
            if let Some(end) = t
                .users
                .get(user)
                .and_then(|w| w.full_until(s.failures_per_user_per_minute, now_ms))
            {
                return Err(Refusal::User {
                    retry_after_ms: end - now_ms,
                });
            }
        }
        Self::make_room(t, now_ms);
        let source_failures = t.sources.entry(source).or_default().count(now_ms);
        if source_failures == s.failures_per_source_per_minute {
            tracing::warn!(%source, "source refused until its minute ends: too many failed logins");
        }
        t.users.entry(user.to_owned()).or_default().count(now_ms);
        let pair = t.pairs.entry(key).or_default();
        pair.in_a_row += 1;
        pair.last_seen_ms = now_ms;
        if pair.in_a_row >= s.failures_before_backoff {
            let doublings = (pair.in_a_row - s.failures_before_backoff).min(20);
            let backoff = s
                .backoff_ms
                .saturating_mul(1 << doublings)
                .min(s.max_backoff_ms);
            // Counted now, refused once this attempt has been answered.
            pair.refused_until_ms = now_ms + backoff;
        }
        Ok(())
    }

    /// The admitted attempt of `user` from `source` succeeded: it is not a
    /// failure, and the run of failures from that address ends.
    pub fn succeeded(&self, user: &str, source: IpAddr, now_ms: u64) {
        let mut guard = self.tables.lock().expect("login guard lock");
        let t = &mut *guard;
        if let Some(w) = t.sources.get_mut(&source) {
            w.uncount();
        }
        if let Some(w) = t.users.get_mut(user) {
            w.uncount();
        }
        t.pairs.insert(
            (user.to_owned(), source),
            Pair {
                in_a_row: 0,
                refused_until_ms: 0,
                last_success_ms: Some(now_ms),
                last_seen_ms: now_ms,
            },
        );
    }

    /// Takes back an admitted attempt that was never judged (the server was
    /// too busy to check the password): it counts neither way.
    pub fn withdraw(&self, user: &str, source: IpAddr) {
        let mut guard = self.tables.lock().expect("login guard lock");
        let t = &mut *guard;
        if let Some(w) = t.sources.get_mut(&source) {
            w.uncount();
        }
        if let Some(w) = t.users.get_mut(user) {
            w.uncount();
        }
        if let Some(p) = t.pairs.get_mut(&(user.to_owned(), source)) {
            p.in_a_row = p.in_a_row.saturating_sub(1);
            if p.in_a_row < self.settings.failures_before_backoff {
                p.refused_until_ms = 0;
            }
        }
    }

    /// Whether `user` is in a back-off from `source` (after its attempt has
    /// been counted): the answer then says so instead of asking again.
    pub fn backing_off(&self, user: &str, source: IpAddr, now_ms: u64) -> bool {
        let t = self.tables.lock().expect("login guard lock");
        t.pairs
            .get(&(user.to_owned(), source))
            .is_some_and(|p| p.refused_until_ms > now_ms)
    }

    /// Forgets every failure of `user`: an administrator reset its password.
    pub fn forget_user(&self, user: &str) {
        let mut t = self.tables.lock().expect("login guard lock");
        t.users.remove(user);
        t.pairs.retain(|(u, _), _| u != user);
    }

    fn make_room(t: &mut Tables, now_ms: u64) {
        if t.sources.len() >= TRACKED {
            t.sources
                .retain(|_, w| now_ms.saturating_sub(w.start_ms) < WINDOW_MS);
        }
        if t.users.len() >= TRACKED {
            t.users
                .retain(|_, w| now_ms.saturating_sub(w.start_ms) < WINDOW_MS);
        }
        if t.pairs.len() >= TRACKED {
            t.pairs.retain(|_, p| {
                p.refused_until_ms > now_ms
                    || p.last_success_ms
                        .is_some_and(|at| now_ms.saturating_sub(at) < TRUSTED_MS)
            });
            if t.pairs.len() >= TRACKED {
                t.pairs.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const AGENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    fn guard() -> LoginGuard {
        LoginGuard::new(GuardSettings {
            failures_before_backoff: 3,
            backoff_ms: 1_000,
            max_backoff_ms: 4_000,
            failures_per_source_per_minute: 100,
            failures_per_user_per_minute: 10,
        })
    }

    fn fail(g: &LoginGuard, user: &str, source: IpAddr, now: u64) -> Result<(), Refusal> {
        g.admit(user, source, now)
    }

    #[test]
    fn failures_in_a_row_back_off_one_address_growing_and_capped() {
        let g = guard();
        for _ in 0..3 {
            assert_eq!(fail(&g, "ada", STRANGER, 0), Ok(()));
        }
        assert!(g.backing_off("ada", STRANGER, 0));
        assert_eq!(
            fail(&g, "ada", STRANGER, 500),
            Err(Refusal::User {
                retry_after_ms: 500
            })
        );
        // The real user elsewhere is not affected.
        assert_eq!(g.admit("ada", AGENT, 500), Ok(()));
        g.succeeded("ada", AGENT, 500);
        // Expired: the next failure doubles the back-off, up to the cap.
        assert_eq!(fail(&g, "ada", STRANGER, 1_000), Ok(()));
        assert_eq!(
            fail(&g, "ada", STRANGER, 1_000),
            Err(Refusal::User {
                retry_after_ms: 2_000
            })
        );
        assert_eq!(fail(&g, "ada", STRANGER, 3_000), Ok(()));
        assert_eq!(fail(&g, "ada", STRANGER, 7_000), Ok(()));
        assert_eq!(
            fail(&g, "ada", STRANGER, 7_000),
            Err(Refusal::User {
                retry_after_ms: 4_000
            })
        );
    }

    #[test]
    fn a_success_ends_the_run_and_a_reset_ends_the_back_off() {
        let g = guard();
        for _ in 0..2 {
            fail(&g, "ada", AGENT, 0).unwrap();
        }
        g.admit("ada", AGENT, 0).unwrap();
        g.succeeded("ada", AGENT, 0);
        for _ in 0..2 {
            fail(&g, "ada", AGENT, 0).unwrap();
        }
        assert!(!g.backing_off("ada", AGENT, 0));
        fail(&g, "ada", AGENT, 0).unwrap();
        assert!(g.backing_off("ada", AGENT, 0));
        g.forget_user("ada");
        assert_eq!(g.admit("ada", AGENT, 0), Ok(()));
    }

    #[test]
    fn a_source_guessing_names_is_refused_until_its_minute_ends() {
        let g = LoginGuard::new(GuardSettings {
            failures_per_source_per_minute: 3,
            ..guard().settings
        });
        for name in ["x1", "x2", "x3"] {
            fail(&g, name, STRANGER, 1_000).unwrap();
        }
        assert_eq!(
            g.source_refused(STRANGER, 2_000),
            Some(Refusal::Source {
                retry_after_ms: 59_000
            })
        );
        assert!(g.admit("ada", STRANGER, 2_000).is_err());
        assert_eq!(g.admit("ada", AGENT, 2_000), Ok(()));
        assert_eq!(g.admit("ada", STRANGER, 61_000), Ok(()));
    }

    #[test]
    fn many_addresses_are_capped_per_user_but_not_where_the_user_logged_in() {
        let g = guard();
        g.admit("ada", AGENT, 0).unwrap();
        g.succeeded("ada", AGENT, 0);
        for i in 0..10u8 {
            let source = IpAddr::V4(Ipv4Addr::new(203, 0, 113, i));
            fail(&g, "ada", source, 1_000).unwrap();
        }
        let next = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 200));
        assert_eq!(
            g.admit("ada", next, 2_000),
            Err(Refusal::User {
                retry_after_ms: 59_000
            })
        );
        assert_eq!(g.admit("ada", AGENT, 2_000), Ok(()));
    }

    #[test]
    fn refusals_round_up_to_whole_seconds() {
        assert_eq!(Refusal::User { retry_after_ms: 1 }.retry_after_secs(), 1);
        assert_eq!(
            Refusal::Source {
                retry_after_ms: 1_001
            }
            .retry_after_secs(),
            2
        );
    }
}
