//! The dispatch task: the thin async shell that owns the sans-IO dispatch
//! core ([`crate::acd::Engine`]).
//!
//! Calls feed it their events through one bounded channel; it turns the
//! core's actions into [`CallInput`]s for the calls concerned, and the
//! notices that concern a record into record events for them. Offers whose
//! call is gone are reported back as failed at once.
//!
//! Agents of desk phones work by registration: an agent with a queue
//! assignment is logged in to the project of those queues, Available, when
//! their extension has a registered contact, and logged out when the last
//! contact goes (unregistered or expired). An agent who is not registered is
//! therefore never offered a call.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::acd::{self, AgentId, Category, Engine, Millis, Notice, StatusId};
use crate::cdr::CallEvent;
use crate::sip::core::unix_ms;
use crate::sip::location::Location;
use crate::sip::registrar::RegistrationChange;

use super::routing::RoutingHandle;
use super::{CallInput, Registry};

/// What the dispatch task takes.
#[derive(Debug)]
pub enum DispatchInput {
    /// An event for the dispatch core.
    Acd(acd::Event),
    /// An extension's registered contacts changed.
    Registration(RegistrationChange),
    /// The stored configuration changed: the new queue, project, status and
    /// result-code settings, applied without a restart.
    Reconfigure(acd::Config),
}

/// How many inputs may wait for the dispatch task.
pub const CAPACITY: usize = 64 * 1024;

/// The dispatch task's state.
pub struct Dispatch {
    engine: Engine,
    registry: Arc<Registry>,
    routing: Arc<RoutingHandle>,
    location: Arc<Location>,
    available: StatusId,
    logged_in: HashSet<AgentId>,
}

fn now() -> Millis {
    Millis(unix_ms())
}

/// The Available status agents start in: the system one (id 1) if present.
fn available_status(config: &acd::Config) -> StatusId {
    config
        .statuses
        .iter()
        .find(|s| s.id == StatusId(1) && s.category == Category::Available)
        .or_else(|| {
            config
                .statuses
                .iter()
                .find(|s| s.category == Category::Available)
        })
        .map(|s| s.id)
        .unwrap_or(StatusId(1))
}

impl Dispatch {
    pub fn new(
        config: acd::Config,
        registry: Arc<Registry>,
        routing: Arc<RoutingHandle>,
        location: Arc<Location>,
    ) -> Result<Dispatch, acd::AcdError> {
        let available = available_status(&config);
        Ok(Dispatch {
            engine: Engine::try_new(config)?,
            registry,
            routing,
            location,
            available,
            logged_in: HashSet::new(),
        })
    }

    /// Runs until every sender is gone.
    pub async fn run(mut self, mut inputs: mpsc::Receiver<DispatchInput>) {
        self.login_registered();
        self.drain();
        let mut batch = Vec::with_capacity(256);
        loop {
            let deadline = self.engine.poll_timeout().map(|at| {
                let wait = at.0.saturating_sub(unix_ms());
                Instant::now() + std::time::Duration::from_millis(wait)
            });
            tokio::select! {
                n = inputs.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        break;
                    }
                    for input in batch.drain(..) {
                        self.on_input(input);
                    }
                }
                _ = sleep_until(deadline) => self.engine.handle_timeout(now()),
            }
            self.drain();
        }
    }

    fn on_input(&mut self, input: DispatchInput) {
        match input {
            DispatchInput::Acd(event) => self.apply(event),
            DispatchInput::Registration(change) => {
                self.on_registration(&change.aor, change.contacts)
            }
            DispatchInput::Reconfigure(config) => self.reconfigure(config),
        }
    }

    fn apply(&mut self, event: acd::Event) {
        if let Err(e) = self.engine.handle(now(), event.clone()) {
            tracing::debug!(error = %e, ?event, "dispatch refused an event");
        }
    }

    /// Logs in every assigned agent who is registered now (at start-up).
    fn login_registered(&mut self) {
        let routing = self.routing.get();
        let now_ms = unix_ms();
        let registered: Vec<String> = routing
            .agents()
            .filter(|(_, aor)| !self.location.lookup(aor, now_ms).is_empty())
            .map(|(_, aor)| aor.to_owned())
            .collect();
        for aor in registered {
            self.on_registration(&aor, 1);
        }
    }

    fn on_registration(&mut self, aor: &str, contacts: usize) {
        let routing = self.routing.get();
        let Some(agent) = routing.agent_of(aor) else {
            return;
        };
        if contacts > 0 && !self.logged_in.contains(&agent) {
            let Some((project, queues)) = routing.assignment(agent) else {
                return;
            };
            match self.log_in(agent, project, queues) {
                Ok(()) => tracing::info!(%agent, aor, "agent registered: logged in, Available"),
                Err(e) => tracing::warn!(%agent, error = %e, "agent could not be logged in"),
            }
        } else if contacts == 0 && self.logged_in.remove(&agent) {
            tracing::info!(%agent, aor, "agent unregistered: logged out");
            self.apply(acd::Event::AgentLogout { agent });
        }
    }

    /// Applies changed settings: every queue, project, status and result
    /// code is re-sent; agents whose assignments changed log in again.
    fn reconfigure(&mut self, config: acd::Config) {
        self.available = available_status(&config);
        for p in config.projects {
            self.apply(acd::Event::ProjectConfigured(p));
        }
        for s in config.statuses {
            self.apply(acd::Event::StatusConfigured(s));
        }
        for q in config.queues {
            self.apply(acd::Event::QueueConfigured(q));
        }
        for r in config.result_codes {
            self.apply(acd::Event::ResultCodeConfigured(r));
        }
        let routing = self.routing.get();
        let now_ms = unix_ms();
        let agents: Vec<(AgentId, String)> = routing
            .agents()
            .map(|(a, aor)| (a, aor.to_owned()))
            .collect();
        for (agent, aor) in agents {
            let registered = !self.location.lookup(&aor, now_ms).is_empty();
            if !registered {
                continue;
            }
            if let Some((project, queues)) = routing.assignment(agent) {
                if self.logged_in.contains(&agent) {
                    // Joining again is harmless; calls in progress run on.
                    for queue in queues {
                        self.apply(acd::Event::AgentJoinQueue { agent, queue });
                    }
                } else if let Err(e) = self.log_in(agent, project, queues) {
                    tracing::warn!(%agent, error = %e, "agent could not be logged in");
                }
            }
        }
    }

    /// Logs `agent` in to `project`, Available, in `queues`.
    fn log_in(
        &mut self,
        agent: AgentId,
        project: acd::ProjectId,
        queues: Vec<acd::QueueId>,
    ) -> Result<(), acd::AcdError> {
        let login = acd::Event::AgentLogin {
            agent,
            project,
            status: self.available,
            queues,
        };
        self.engine.handle(now(), login)?;
        self.logged_in.insert(agent);
        Ok(())
    }

    /// Hands out everything the core produced, until it has nothing more.
    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            // Notices first: a call hears how it left its queue before it is
            // told where to go next.
            while let Some(notice) = self.engine.poll_notice() {
                progressed = true;
                self.on_notice(notice);
            }
            while let Some(action) = self.engine.poll_action() {
                progressed = true;
                self.on_action(action);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_notice(&mut self, notice: Notice) {
        if let Some((id, event)) = CallEvent::from_notice(&notice) {
            self.registry
                .tell(acd::CallId(id.0), CallInput::Record(event));
            return;
        }
        match notice {
            Notice::AgentPresence {
                agent, presence, ..
            } => tracing::debug!(%agent, ?presence, "agent presence"),
            Notice::MovedForMissedOffers { agent, status } => {
                tracing::info!(%agent, %status, "agent moved after missing offers")
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: acd::Action) {
        match action {
            acd::Action::Offer {
                call,
                agent,
                ring_for,
                auto_answer,
            } => {
                let Some(tx) = self.registry.call(call) else {
                    // The call's task has ended: it is over for dispatch too.
                    self.apply(acd::Event::Hangup { call });
                    return;
                };
                let aor = self.routing.get().aor_of(agent).map(str::to_owned);
                let told = aor.is_some_and(|aor| {
                    tx.try_send(CallInput::Offer {
                        agent,
                        aor,
                        ring_for,
                        auto_answer,
                    })
                    .is_ok()
                });
                if !told {
                    self.apply(acd::Event::OfferFailed { call, agent });
                }
            }
            acd::Action::CancelOffer { call, agent } => {
                self.registry.tell(call, CallInput::CancelOffer { agent });
            }
            acd::Action::Announce {
                call,
                position,
                estimated_wait,
                queue_exit,
            } => {
                self.registry.tell(
                    call,
                    CallInput::Announce {
                        position,
                        estimated_wait,
                        queue_exit,
                    },
                );
            }
            acd::Action::Redirect { call, target } => {
                if !self.registry.tell(call, CallInput::Redirect { target }) {
                    self.apply(acd::Event::Hangup { call });
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
