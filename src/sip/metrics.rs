//! Counters of the SIP core: what it received, answered, refused and dropped.
//! Every refusal of bad input is counted here as well as logged, so an
//! operator can see scanners and broken peers without reading logs.

/// Declares a struct of monotonic counters with a Prometheus renderer; each
/// counter is `switchboard_<prefix>_<name>_total`. Call control uses it too.
macro_rules! counters {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, { $($field:ident => $help:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        pub struct $name {
            $(#[doc = $help] pub $field: std::sync::atomic::AtomicU64,)*
        }

        impl $name {
            /// Appends the counters in the Prometheus text format.
            pub fn render(&self, out: &mut String) {
                use std::fmt::Write;
                $(
                    let _ = writeln!(out, "# HELP switchboard_{}_{}_total {}", $prefix, stringify!($field), $help);
                    let _ = writeln!(out, "# TYPE switchboard_{}_{}_total counter", $prefix, stringify!($field));
                    let _ = writeln!(out, "switchboard_{}_{}_total {}", $prefix, stringify!($field),
                                     self.$field.load(std::sync::atomic::Ordering::Relaxed));
                )*
            }

            pub fn bump(counter: &std::sync::atomic::AtomicU64) {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    };
}

pub(crate) use counters;

counters!(
    /// The SIP core's counters; all monotonic.
    SipMetrics,
    "sip",
    {
    requests => "Requests that started a server transaction.",
    responses_received => "Responses received.",
    malformed_answered => "Unparseable requests answered with an error response.",
    malformed_dropped => "Unparseable messages dropped (no response could be formed).",
    rejected => "Requests answered with a 4xx/5xx before reaching their handler.",
    auth_challenges => "Digest challenges sent.",
    auth_failures => "Digest responses that did not verify.",
    auth_stale => "Digest responses with a stale nonce (re-challenged).",
    auth_rate_limited => "Requests refused because their source failed too often.",
    auth_backoffs => "Back-offs begun: a user refused from one address after failures in a row.",
    registrations => "REGISTER requests that changed or refreshed bindings.",
    bindings_expired => "Bindings removed because they expired.",
    bindings_connection_closed => "Bindings removed because the only connection that reached them closed.",
    bindings_unusable => "Bindings removed because their contact cannot take our calls (a WebSocket client that refused an INVITE without SDP).",
    persist_failures => "Binding batches that could not be written to the store.",
    overload => "Requests refused with 503 because the core was full.",
    calls_refused_overload => "INVITEs refused with 503 because call control was saturated.",
    call_events_dropped => "Events for a call task dropped because it was too far behind.",
    }
);

/// Gauges of what the SIP core holds now, published by its task after every
/// turn of its loop. Under steady traffic they stay level; once the traffic
/// stops they fall back to zero (a soak run checks both).
#[derive(Debug, Default)]
pub struct SipGauges {
    /// Live server transactions.
    pub server_transactions: std::sync::atomic::AtomicU64,
    /// Live client transactions.
    pub client_transactions: std::sync::atomic::AtomicU64,
    /// Entries of the transaction layer's lookup indexes.
    pub transaction_index_entries: std::sync::atomic::AtomicU64,
    /// Transactions and dialogs routed to a call task.
    pub call_routes: std::sync::atomic::AtomicU64,
}

impl SipGauges {
    /// Appends the gauges in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        use std::sync::atomic::Ordering;
        for (name, help, value) in [
            (
                "sip_server_transactions",
                "Live server transactions.",
                &self.server_transactions,
            ),
            (
                "sip_client_transactions",
                "Live client transactions.",
                &self.client_transactions,
            ),
            (
                "sip_transaction_index_entries",
                "Entries of the transaction layer's lookup indexes.",
                &self.transaction_index_entries,
            ),
            (
                "sip_call_routes",
                "Transactions and dialogs routed to a call task.",
                &self.call_routes,
            ),
        ] {
            gauge(out, name, help, value.load(Ordering::Relaxed));
        }
    }
}

/// Appends one gauge `switchboard_<name>` in the Prometheus text format.
pub fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    use std::fmt::Write;
    let _ = writeln!(out, "# HELP switchboard_{name} {help}");
    let _ = writeln!(out, "# TYPE switchboard_{name} gauge");
    let _ = writeln!(out, "switchboard_{name} {value}");
}
