//! The source guard as the server shares it: one [`SourceGuard`] behind a
//! lock, read by every UDP receive loop and connection accept (before any
//! parsing), by the SIP core for each request and each probing answer, and
//! by the digest authenticator for each response that did not verify. The
//! clock is the process's monotonic one; every block is logged once here.

use std::fmt::Write;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use super::{Metered, Reason, Settings, SourceGuard, Verdict};
use crate::sip::net::Net;

pub struct SharedGuard {
    guard: Mutex<SourceGuard>,
    epoch: Instant,
}

impl SharedGuard {
    pub fn new(settings: Settings) -> SharedGuard {
        SharedGuard {
            guard: Mutex::new(SourceGuard::new(settings)),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SourceGuard> {
        // A panic elsewhere while holding it leaves consistent counters.
        self.guard.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// See [`SourceGuard::set_trusted`].
    pub fn set_trusted(&self, nets: Vec<Net>) {
        self.lock().set_trusted(nets);
    }

    /// Whether a datagram from `ip` is dropped unread.
    pub fn drop_datagram(&self, ip: IpAddr) -> bool {
        let now = self.now_ms();
        self.lock().drop_datagram(ip, now)
    }

    /// Whether a connection from `ip` is refused.
    pub fn refuse_connection(&self, ip: IpAddr) -> bool {
        let now = self.now_ms();
        let refused = self.lock().refuse_connection(ip, now);
        if refused {
            tracing::debug!(source = %ip, "connection from a blocked source refused");
        }
        refused
    }

    /// Judges one request; see [`SourceGuard::request`].
    pub fn request(&self, ip: IpAddr, method: Metered, user_agent: Option<&[u8]>) -> Verdict {
        let now = self.now_ms();
        let mut g = self.lock();
        let verdict = g.request(ip, now, method, user_agent);
        Self::log_blocks(&mut g, user_agent);
        verdict
    }

    /// Notes a probing answer sent to `ip`.
    pub fn probed(&self, ip: IpAddr) {
        let now = self.now_ms();
        let mut g = self.lock();
        g.probed(ip, now);
        Self::log_blocks(&mut g, None);
    }

    /// Forgets idle sources.
    pub fn sweep(&self) {
        let now = self.now_ms();
        self.lock().sweep(now);
    }

    fn log_blocks(g: &mut SourceGuard, user_agent: Option<&[u8]>) {
        while let Some(b) = g.poll_block() {
            let agent = user_agent
                .filter(|_| b.reason == Reason::Scanner)
                .map(|ua| String::from_utf8_lossy(&ua[..ua.len().min(80)]).into_owned());
            tracing::warn!(
                source = %b.source,
                reason = b.reason.as_str(),
                block_secs = b.for_ms.div_ceil(1000),
                offences = b.offences,
                user_agent = agent.as_deref().unwrap_or(""),
                "SIP source blocked: everything it sends is dropped until the block ends"
            );
        }
    }

    /// Appends the guard's gauges and counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let now = self.now_ms();
        let (tracked, blocked, c) = {
            let g = self.lock();
            (g.tracked(), g.blocked_count(now), g.counters())
        };
        let c_blocks = Reason::ALL.iter().zip(c.blocks);
        let _ = writeln!(
            out,
            "# HELP switchboard_sip_tracked_sources Source addresses the flood guard tracks.\n\
             # TYPE switchboard_sip_tracked_sources gauge\n\
             switchboard_sip_tracked_sources {tracked}\n\
             # HELP switchboard_sip_blocked_sources Source addresses blocked right now.\n\
             # TYPE switchboard_sip_blocked_sources gauge\n\
             switchboard_sip_blocked_sources {blocked}\n\
             # HELP switchboard_sip_blocks_total Blocks begun, by reason.\n\
             # TYPE switchboard_sip_blocks_total counter"
        );
        for (reason, n) in c_blocks {
            let _ = writeln!(
                out,
                "switchboard_sip_blocks_total{{reason=\"{}\"}} {n}",
                reason.as_str()
            );
        }
        let _ = writeln!(
            out,
            "# HELP switchboard_sip_dropped_total What blocked sources sent, dropped unanswered: \
             datagrams and requests (blocked), connections (connection).\n\
             # TYPE switchboard_sip_dropped_total counter\n\
             switchboard_sip_dropped_total{{reason=\"blocked\"}} {}\n\
             switchboard_sip_dropped_total{{reason=\"connection\"}} {}\n\
             # HELP switchboard_sip_rate_limited_total Requests refused with 503 for their source's rate.\n\
             # TYPE switchboard_sip_rate_limited_total counter\n\
             switchboard_sip_rate_limited_total{{method=\"INVITE\"}} {}\n\
             switchboard_sip_rate_limited_total{{method=\"REGISTER\"}} {}\n\
             # HELP switchboard_sip_sources_evicted_total Tracked sources forgotten to keep the table bounded.\n\
             # TYPE switchboard_sip_sources_evicted_total counter\n\
             switchboard_sip_sources_evicted_total {}",
            c.dropped_blocked, c.connections_refused, c.refused_invite, c.refused_register, c.evicted
        );
    }
}
