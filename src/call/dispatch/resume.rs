//! What a rebuilt dispatch core is given back after the dispatch task failed
//! ([`super::supervisor`]).
//!
//! Nothing is kept from the core that failed: its state may be half changed.
//! Each piece comes from the owner that already holds it:
//! - the configuration from the store, read as at start-up;
//! - the agents: registered ones from the location service (as at start-up);
//!   panel agents, their queues, their status and the call they are on from
//!   the agent hub, which the old core's notices kept up to date;
//! - the calls from their own tasks ([`CallInput::Resume`]): a waiting
//!   caller re-enters its queue with its arrival time, oldest first, so it
//!   keeps its place; a caller with an agent stays with them, and the agent
//!   is busy until that call ends (as for a transfer: no after-call work);
//! - the callbacks waiting in their queues from the store, by request time.
//!
//! What is lost: an offer ringing at the failure (the caller stops ringing
//! and is offered afresh), after-call work in progress (the agent is free at
//! once; the record is written after its grace), the queues' day counters,
//! and a break's time since it began. The inputs the failed task had taken
//! from the channel with the one it failed on are not replayed: what they
//! changed is read again from the owners (a call's hang-up or answer from
//! its task, a registration from the location service, a configuration
//! change from the store); only a panel request among them goes unanswered.

use std::time::Duration;

use crate::acd::{self, AgentId, CallId, Millis, ProjectId, QueueId, StatusId};
use crate::call::agents::AgentView;
use crate::call::flow::Resumed;
use crate::call::{CallInput, Registry};
use crate::store::Store;

use super::Dispatch;
use crate::call::{now, staffing};

/// How long the call tasks have to say where they stand.
pub const ASK_CALLS_FOR: Duration = Duration::from_secs(2);

/// What was live when the dispatch task failed.
#[derive(Debug, Default)]
pub struct Live {
    /// Every call task's answer, one per call id.
    pub calls: Vec<(CallId, Resumed)>,
    /// Callbacks waiting in their queues: their arrival events, oldest first.
    pub callbacks: Vec<acd::Event>,
    /// The agents the hub showed logged in.
    pub agents: Vec<AgentView>,
    /// Panel agents, with how many panel clients each has open.
    pub panel: Vec<(AgentId, usize)>,
}

impl Live {
    /// Asks every call task, the store and the agent hub.
    pub async fn gather(
        registry: &Registry,
        hub: &crate::call::agents::AgentHub,
        store: &Store,
    ) -> Live {
        let mut asked = Vec::new();
        for sender in registry.live_calls() {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if sender.try_send(CallInput::Resume { reply }).is_ok() {
                asked.push(answer);
            }
        }
        let answers = futures_util::future::join_all(asked.into_iter().map(|answer| async move {
            tokio::time::timeout(ASK_CALLS_FOR, answer)
                .await
                .ok()
                .and_then(Result::ok)
        }))
        .await;
        let mut calls: Vec<(CallId, Resumed)> = answers.into_iter().flatten().collect();
        calls.sort_by_key(|(call, _)| *call);
        calls.dedup_by_key(|(call, _)| *call);
        let callbacks = match store.waiting_callback_requests().await {
            Ok(requests) => requests
                .iter()
                // A callback an attempt task holds is being offered or dialled.
                .filter(|r| r.call().is_some_and(|c| registry.call(c).is_none()))
                .filter_map(|r| r.arrival())
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "waiting callbacks not read: they stay out of dispatch");
                Vec::new()
            }
        };
        let t = now();
        Live {
            calls,
            callbacks,
            agents: hub.logged_in(t),
            panel: hub.panel_agents(),
        }
    }
}

/// A waiting entry to put back, ordered by arrival.
struct Entry {
    arrived: Millis,
    event: acd::Event,
}

impl Dispatch {
    /// Gives the fresh core what was live (after the registered agents have
    /// been logged in). Order matters: agents first, then the calls they are
    /// on (so nobody busy is offered anything), then their statuses, then
    /// the waiting entries oldest first.
    pub(super) fn resume(&mut self, live: Live) {
        let t = now();
        let views: std::collections::HashMap<AgentId, &AgentView> =
            live.agents.iter().map(|v| (v.agent, v)).collect();
        for (agent, open) in &live.panel {
            let Some(view) = views.get(agent) else {
                continue;
            };
            let Some(project) = view.project else {
                continue;
            };
            let queues: Vec<QueueId> = view.queues.iter().map(|(q, _)| *q).collect();
            self.resume_panel_agent(*agent, project, queues, *open);
        }
        self.login_registered();
        for view in &live.agents {
            if let Some(offer) = &view.offer {
                self.hub.offer_cancelled(view.agent, offer.call);
            }
        }
        let mut entries = Vec::new();
        let mut kept = 0usize;
        for (call, state) in &live.calls {
            match *state {
                Resumed::WithAgent { agent } => {
                    let event = acd::Event::TransferStarted { call: *call, agent };
                    match self.engine.handle(t, event) {
                        Ok(()) => {
                            kept += 1;
                            self.resumed.insert((*call, agent));
                        }
                        Err(e) => {
                            tracing::warn!(%call, %agent, error = %e, "call with an agent not given back to dispatch")
                        }
                    }
                }
                Resumed::Waiting { queue, arrived } => entries.push(Entry {
                    arrived,
                    event: acd::Event::CallResumed {
                        call: *call,
                        queue,
                        arrived,
                    },
                }),
            }
        }
        for view in &live.agents {
            if let Some(status) = view.status.filter(|s| *s != self.available) {
                self.resume_status(view.agent, status);
            }
        }
        for event in live.callbacks {
            if let acd::Event::CallbackArrived { requested, .. } = &event {
                entries.push(Entry {
                    arrived: *requested,
                    event,
                });
            }
        }
        // Stable: callbacks asked for at the same moment keep the store's order.
        entries.sort_by_key(|e| e.arrived);
        let waiting = entries.len();
        for entry in entries {
            self.apply(entry.event);
        }
        tracing::info!(
            with_agents = kept,
            waiting,
            "dispatch rebuilt: calls given back"
        );
    }

    fn resume_panel_agent(
        &mut self,
        agent: AgentId,
        project: ProjectId,
        queues: Vec<QueueId>,
        open: usize,
    ) {
        let login = acd::Event::AgentLogin {
            agent,
            project,
            status: self.available,
            queues,
        };
        if let Err(e) = self.engine.handle(now(), login) {
            tracing::warn!(%agent, error = %e, "panel agent not logged in again");
            self.hub.set_panel(agent, false);
            return;
        }
        self.restore_break(agent, project);
        let t = now();
        self.staffing
            .handle(t, staffing::Input::PanelLogin { agent });
        for _ in 0..open {
            self.staffing
                .handle(t, staffing::Input::Socket { agent, open: true });
        }
    }

    fn resume_status(&mut self, agent: AgentId, status: StatusId) {
        if let Err(e) = self
            .engine
            .handle(now(), acd::Event::AgentStatus { agent, status })
        {
            tracing::info!(%agent, %status, error = %e, "status not given back");
        }
    }
}
