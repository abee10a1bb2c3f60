//! Gauges of the panels' open WebSockets (agent and supervisor), for
//! `/metrics`: each socket holds an [`Open`] for as long as its task runs, so
//! the figure falls back when the browser goes, however the socket ended.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct SocketGauges {
    panels: AtomicU64,
    supervisors: AtomicU64,
}

/// One open socket, counted until dropped.
#[must_use = "the socket is counted only while this is held"]
pub struct Open<'a>(&'a AtomicU64);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn open(gauge: &AtomicU64) -> Open<'_> {
    gauge.fetch_add(1, Ordering::Relaxed);
    Open(gauge)
}

impl SocketGauges {
    /// An agent panel's socket opened.
    pub fn panel(&self) -> Open<'_> {
        open(&self.panels)
    }

    /// A supervisor panel's socket opened.
    pub fn supervisor(&self) -> Open<'_> {
        open(&self.supervisors)
    }

    /// Appends the gauges in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        use crate::sip::metrics::gauge;
        gauge(
            out,
            "agent_panel_sockets",
            "Agent panel WebSockets open.",
            self.panels.load(Ordering::Relaxed),
        );
        gauge(
            out,
            "supervisor_sockets",
            "Supervisor panel WebSockets open.",
            self.supervisors.load(Ordering::Relaxed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_counts_until_its_guard_drops() {
        let g = SocketGauges::default();
        let a = g.panel();
        let b = g.panel();
        let s = g.supervisor();
        let mut out = String::new();
        g.render(&mut out);
        assert!(out.contains("switchboard_agent_panel_sockets 2\n"));
        assert!(out.contains("switchboard_supervisor_sockets 1\n"));
        drop((a, b, s));
        out.clear();
        g.render(&mut out);
        assert!(out.contains("switchboard_agent_panel_sockets 0\n"));
        assert!(out.contains("switchboard_supervisor_sockets 0\n"));
    }
}
