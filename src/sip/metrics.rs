//! Counters of the SIP core: what it received, answered, refused and dropped.
//! Every refusal of bad input is counted here as well as logged, so an
//! operator can see scanners and broken peers without reading logs.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($field:ident => $help:literal,)*) => {
        /// The SIP core's counters; all monotonic.
        #[derive(Debug, Default)]
        pub struct SipMetrics {
            $(#[doc = $help] pub $field: AtomicU64,)*
        }

        impl SipMetrics {
            /// Appends the counters in the Prometheus text format.
            pub fn render(&self, out: &mut String) {
                $(
                    let _ = writeln!(out, "# HELP switchboard_sip_{}_total {}", stringify!($field), $help);
                    let _ = writeln!(out, "# TYPE switchboard_sip_{}_total counter", stringify!($field));
                    let _ = writeln!(out, "switchboard_sip_{}_total {}", stringify!($field), self.$field.load(Ordering::Relaxed));
                )*
            }
        }
    };
}

counters! {
    requests => "Requests that started a server transaction.",
    responses_received => "Responses received.",
    malformed_answered => "Unparseable requests answered with an error response.",
    malformed_dropped => "Unparseable messages dropped (no response could be formed).",
    rejected => "Requests answered with a 4xx/5xx before reaching their handler.",
    auth_challenges => "Digest challenges sent.",
    auth_failures => "Digest responses that did not verify.",
    auth_stale => "Digest responses with a stale nonce (re-challenged).",
    auth_rate_limited => "Requests refused because their source failed too often.",
    users_locked => "Users locked after too many failures in a row.",
    registrations => "REGISTER requests that changed or refreshed bindings.",
    bindings_expired => "Bindings removed because they expired.",
    persist_failures => "Binding batches that could not be written to the store.",
    overload => "Requests refused with 503 because the core was full.",
    calls_refused_overload => "INVITEs refused with 503 because call control was saturated.",
    call_events_dropped => "Events for a call task dropped because it was too far behind.",
}

impl SipMetrics {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
