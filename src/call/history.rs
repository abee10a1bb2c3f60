//! The agents' history: the dispatch core's notices about agents (log-in and
//! log-out, queue membership, presence, offers and missed offers) become rows
//! of `agent_events`, which the reports read.
//!
//! The dispatch task must never wait on the database: [`AgentHistory::record`]
//! only tries to put the event in a bounded channel, and when the channel is
//! full the event is dropped and counted
//! (`switchboard_call_agent_events_dropped_total`). One writer task
//! ([`AgentHistory::start`]) takes what has gathered and writes it in one
//! transaction, so a burst costs few commits.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::metrics::CallMetrics;
use crate::acd::{Millis, Miss, Notice, Presence};
use crate::store::reports::agent_events::AgentEvent;
use crate::store::Store;

/// How many events may wait for the writer.
pub const CAPACITY: usize = 16 * 1024;

/// How many events one write takes at most.
const BATCH: usize = 1024;

/// The dispatch task's end of the history: cheap to call, never blocks.
#[derive(Clone, Debug)]
pub struct AgentHistory {
    tx: mpsc::Sender<AgentEvent>,
    metrics: Arc<CallMetrics>,
}

impl AgentHistory {
    /// Starts the writer task on `store`; the history ends when every
    /// [`AgentHistory`] is dropped.
    pub fn start(store: Store, metrics: Arc<CallMetrics>) -> AgentHistory {
        AgentHistory::with_capacity(store, metrics, CAPACITY)
    }

    pub fn with_capacity(store: Store, metrics: Arc<CallMetrics>, capacity: usize) -> AgentHistory {
        let (tx, rx) = mpsc::channel(capacity);
        tokio::spawn(write(store, rx, metrics.clone()));
        AgentHistory { tx, metrics }
    }

    /// Keeps `notice` if it concerns an agent's history; drops and counts it
    /// when the writer is too far behind.
    pub fn record(&self, notice: &Notice, now: Millis) {
        let Some(event) = event_of(notice, now.0 as i64) else {
            return;
        };
        if self.tx.try_send(event).is_err() {
            CallMetrics::bump(&self.metrics.agent_events_dropped);
        }
    }
}

fn presence_name(p: Presence) -> &'static str {
    match p {
        Presence::Offline => "offline",
        Presence::Available => "available",
        Presence::Break => "break",
        Presence::Ringing => "ringing",
        Presence::InCall => "in_call",
        Presence::AfterCallWork => "after_call_work",
    }
}

/// The history row of `notice`, if it is one the reports read.
pub fn event_of(notice: &Notice, at: i64) -> Option<AgentEvent> {
    let base = |agent: crate::acd::AgentId, kind: &'static str| AgentEvent {
        at,
        agent: agent.0 as i64,
        kind,
        project: None,
        queue: None,
        call: None,
        status: None,
        detail: None,
    };
    Some(match *notice {
        Notice::AgentLoggedIn { agent, project } => AgentEvent {
            project: Some(project.0 as i64),
            ..base(agent, "login")
        },
        Notice::AgentLoggedOut { agent } => base(agent, "logout"),
        Notice::AgentJoinedQueue { agent, queue } => AgentEvent {
            queue: Some(queue.0 as i64),
            ..base(agent, "join")
        },
        Notice::AgentLeftQueue { agent, queue } => AgentEvent {
            queue: Some(queue.0 as i64),
            ..base(agent, "leave")
        },
        Notice::AgentPresence {
            agent,
            status,
            presence,
        } => AgentEvent {
            status: Some(status.0 as i64),
            detail: Some(presence_name(presence)),
            ..base(agent, "presence")
        },
        Notice::Offered { call, agent } => AgentEvent {
            call: Some(call.0 as i64),
            ..base(agent, "offered")
        },
        Notice::OfferMissed { call, agent, miss } => AgentEvent {
            call: Some(call.0 as i64),
            detail: Some(match miss {
                Miss::Timeout => "timeout",
                Miss::Rejected => "rejected",
                Miss::Failed => "failed",
            }),
            ..base(agent, "missed")
        },
        _ => return None,
    })
}

/// The writer: waits for an event, takes what else has gathered (up to
/// [`BATCH`]) and writes it all at once.
async fn write(store: Store, mut rx: mpsc::Receiver<AgentEvent>, metrics: Arc<CallMetrics>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(e) = store.write_agent_events(&batch).await {
            tracing::warn!(error = %e, lost = batch.len(), "agent history not written");
            CallMetrics::bump(&metrics.agent_event_write_failures);
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::{AgentId, CallId, QueueId, StatusId};

    #[test]
    fn agent_notices_become_rows_and_call_notices_do_not() {
        let e = event_of(
            &Notice::AgentPresence {
                agent: AgentId(7),
                status: StatusId(3),
                presence: Presence::Break,
            },
            1000,
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.detail, e.status),
            ("presence", Some("break"), Some(3))
        );
        let e = event_of(
            &Notice::OfferMissed {
                call: CallId(9),
                agent: AgentId(7),
                miss: Miss::Timeout,
            },
            5,
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.call, e.detail),
            ("missed", Some(9), Some("timeout"))
        );
        let e = event_of(
            &Notice::AgentJoinedQueue {
                agent: AgentId(7),
                queue: QueueId(2),
            },
            5,
        )
        .unwrap();
        assert_eq!((e.kind, e.queue), ("join", Some(2)));
        assert!(event_of(
            &Notice::Queued {
                call: CallId(1),
                queue: QueueId(2),
                position: 1
            },
            0
        )
        .is_none());
    }

    #[tokio::test]
    async fn a_full_channel_drops_and_counts_instead_of_waiting() {
        let (store, _dir) = crate::store::test_support::temp_store().await;
        let metrics = Arc::new(CallMetrics::default());
        // The writer cannot run before this test yields: one fits, the rest drop.
        let history = AgentHistory::with_capacity(store.clone(), metrics.clone(), 1);
        let notice = Notice::AgentLoggedOut { agent: AgentId(4) };
        for _ in 0..5 {
            history.record(&notice, Millis(10));
        }
        use std::sync::atomic::Ordering;
        assert_eq!(metrics.agent_events_dropped.load(Ordering::Relaxed), 4);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let rows = store.agent_events_between(0, 100, Some(4)).await.unwrap();
            if rows.len() == 1 {
                assert_eq!(rows[0].kind, "logout");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{rows:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
