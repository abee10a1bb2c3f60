//! Where each registering trunk's registration to its carrier stands, as the
//! server's registration tasks report it, for the trunks resource (`GET
//! /api/trunks/{id}` shows `registration`) and `/metrics`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::store::admin::trunks::{RegistrationStatus, TrunkEntry};

/// The registrations of the running server, by trunk id.
#[derive(Debug, Default)]
pub struct RegistrationBoard {
    states: Mutex<HashMap<i64, RegistrationStatus>>,
    /// REGISTER requests sent.
    pub requests: AtomicU64,
    /// Registrations (and refreshes) the carrier accepted.
    pub accepted: AtomicU64,
    /// Attempts that failed (refusals, no answer).
    pub failures: AtomicU64,
}

impl RegistrationBoard {
    fn states(&self) -> std::sync::MutexGuard<'_, HashMap<i64, RegistrationStatus>> {
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records where the registration of `trunk` stands.
    pub fn set(&self, trunk: i64, status: RegistrationStatus) {
        self.states().insert(trunk, status);
    }

    /// Forgets `trunk` (it no longer registers).
    pub fn remove(&self, trunk: i64) {
        self.states().remove(&trunk);
    }

    /// What the API shows of `trunk`'s registration: none unless it is an
    /// enabled trunk that registers; `registering` until its task reports.
    pub fn status(&self, trunk: &TrunkEntry) -> Option<RegistrationStatus> {
        if !trunk.register || !trunk.enabled {
            return None;
        }
        Some(
            self.states()
                .get(&trunk.id)
                .cloned()
                .unwrap_or(RegistrationStatus {
                    state: "registering".into(),
                    expires_at: None,
                    last_error: None,
                }),
        )
    }

    /// The counters and how many registrations are in each state, in the
    /// Prometheus text format.
    pub fn render(&self, out: &mut String) {
        for (name, value) in [
            ("trunk_register_requests_total", &self.requests),
            ("trunk_registrations_accepted_total", &self.accepted),
            ("trunk_registration_failures_total", &self.failures),
        ] {
            let _ = writeln!(out, "switchboard_{name} {}", value.load(Ordering::Relaxed));
        }
        let states = self.states();
        for state in ["registering", "registered", "retrying", "failed"] {
            let n = states.values().filter(|s| s.state == state).count();
            let _ = writeln!(
                out,
                "switchboard_trunk_registrations{{state=\"{state}\"}} {n}"
            );
        }
    }
}
