//! The dispatch task: the thin async shell that owns the sans-IO dispatch
//! core ([`crate::acd::Engine`]).
//!
//! Calls feed it their events through one bounded channel; it turns the
//! core's actions into [`CallInput`]s for the calls concerned, and the
//! notices that concern a record into record events for them. Offers whose
//! call is gone are reported back as failed at once.
//!
//! Who works is decided by the staffing policy ([`Staffing`]): registrations
//! log desk-phone agents in and out, the agent panel logs its agents in and
//! out, and a panel agent whose browser is gone is logged out after its grace
//! period. This task feeds it and carries out what it decides.
//!
//! Callback entries have no caller's task: their offers, and whatever else
//! concerns an id no call task holds, go to call control's callback service
//! ([`CallbackInput`]); without one, a callback offer fails like an offer
//! whose phone cannot be reached.
//!
//! The dispatch task also feeds the agent hub ([`AgentHub`]) every notice and
//! offer, and the queues' waiting counts every [`COUNTS_EVERY`]; the
//! wallboard's live figures go out on the same tick ([`LiveFeed`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::acd::{self, AcdError, AgentId, CallId, Category, Engine, Millis, Notice, StatusId};
use crate::cdr::{CallEvent, CallResult};
use crate::sip::core::unix_ms;
use crate::sip::location::Location;
use crate::sip::registrar::RegistrationChange;

use super::agents::AgentHub;
use super::day_turn::DayTurn;
use super::now;
use super::routing::RoutingHandle;
use super::staffing::{self, LogoutReason, Staffing};
use super::wallboard::{LiveFeed, Wallboard};
use super::{sleep_until, CallInput, CallbackInput, Registry};

/// How often the queues' waiting counts go to the agent hub (when changed).
pub const COUNTS_EVERY: Duration = Duration::from_millis(300);

/// What the agent panel asks of dispatch; each answers once it has been
/// applied and the agent hub shows it.
#[derive(Debug)]
pub enum PanelRequest {
    /// Log in to `project`, Available, in `queues` (the chosen and the
    /// mandatory ones).
    Login {
        agent: AgentId,
        project: acd::ProjectId,
        queues: Vec<acd::QueueId>,
        reply: oneshot::Sender<Result<(), AcdError>>,
    },
    Logout {
        agent: AgentId,
        reply: oneshot::Sender<()>,
    },
    Status {
        agent: AgentId,
        status: StatusId,
        reply: oneshot::Sender<Result<(), AcdError>>,
    },
    /// The agent's result for `call`, during the call or its after-call
    /// work: the record gets it (through the call's own task). In after-call
    /// work the work then ends, unless the code `extends` it (Extra Time:
    /// the dispatch core moves its end). A result whose code `closes` the
    /// interaction (a final result) refuses any later one.
    Result {
        agent: AgentId,
        call: CallId,
        result: CallResult,
        extends: bool,
        closes: bool,
        reply: oneshot::Sender<LiveResult>,
    },
    /// A panel WebSocket of the agent opened or closed.
    Socket { agent: AgentId, open: bool },
}

/// What became of a result given while its call is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveResult {
    /// The record has it (and the dispatch core its extra time).
    Taken,
    /// A final result was given for the call already.
    Closed,
    /// The call is neither connected to the agent nor in their after-call
    /// work (any more): its record is completed, or being completed.
    NotLive,
}

/// What the dispatch task takes.
#[derive(Debug)]
pub enum DispatchInput {
    /// An event for the dispatch core.
    Acd(acd::Event),
    /// An extension's registered contacts changed.
    Registration(RegistrationChange),
    /// The stored configuration changed: the whole new configuration, of
    /// which the changes (removals too) are applied without a restart.
    Reconfigure(acd::Config),
    /// The agent panel.
    Panel(PanelRequest),
    /// Call control puts `call` through to `agent` as a transfer: the answer
    /// says whether the dispatch core took it (the agent is logged in, free,
    /// and Available or in a Transferable status), which reserves the agent.
    StartTransfer {
        call: CallId,
        agent: AgentId,
        reply: oneshot::Sender<bool>,
    },
    /// `by` picks up the queue call ringing one of `from` (the caller who
    /// has waited longest): the answer names the call and the agent it was
    /// ringing, once the dispatch core has handed it to `by` and the call's
    /// task has been told to cancel the ringing phones.
    PickUp {
        by: AgentId,
        from: Vec<AgentId>,
        reply: oneshot::Sender<Result<(CallId, AgentId), super::pickup::Refusal>>,
    },
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
    staffing: Staffing,
    hub: Arc<AgentHub>,
    /// Queues whose waiting count may have changed since the last report.
    dirty: HashSet<acd::QueueId>,
    /// Each project's working day, and the break time kept across restarts.
    days: DayTurn,
    wallboard: Option<LiveFeed>,
    /// Where the agents' notices are kept for the reports.
    history: Option<super::history::AgentHistory>,
    /// Calls given back with their agent after a restart: an answer of
    /// theirs still on its way is not news ([`resume`]).
    resumed: HashSet<(CallId, AgentId)>,
    /// Live calls whose agent gave a final result.
    finals: HashSet<(AgentId, CallId)>,
}

mod day;
#[cfg(debug_assertions)]
mod fault;
pub mod resume;
pub mod supervisor;

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
        hub: Arc<AgentHub>,
    ) -> Result<Dispatch, acd::AcdError> {
        let available = available_status(&config);
        let mut days = DayTurn::default();
        days.configure(&config.projects, now());
        Ok(Dispatch {
            engine: Engine::try_new(config)?,
            registry,
            routing,
            location,
            available,
            staffing: Staffing::default(),
            hub,
            dirty: HashSet::new(),
            days,
            wallboard: None,
            history: None,
            resumed: HashSet::new(),
            finals: HashSet::new(),
        })
    }

    /// Keeps the agents' notices in `history` (never waiting on it).
    pub fn with_history(mut self, history: super::history::AgentHistory) -> Dispatch {
        self.history = Some(history);
        self
    }

    /// Publishes the queues' live figures to `board` too.
    pub fn with_wallboard(mut self, board: Arc<Wallboard>) -> Dispatch {
        self.wallboard = Some(LiveFeed::new(board));
        self
    }

    /// Runs until every sender is gone. A fresh start logs in the
    /// registered agents; a restart after a failure is given what was
    /// `live` ([`resume`]). The receiver is borrowed, so it outlives a
    /// failure of this task and the calls' senders keep working.
    pub async fn run(
        mut self,
        inputs: &mut mpsc::Receiver<DispatchInput>,
        live: Option<resume::Live>,
    ) {
        match live {
            Some(live) => self.resume(live),
            None => self.login_registered(),
        }
        self.drain();
        let mut batch = Vec::with_capacity(256);
        let mut counts = tokio::time::interval(COUNTS_EVERY);
        counts.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = [
                self.engine.poll_timeout(),
                self.staffing.poll_timeout(),
                self.days.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let deadline = next.map(|at| {
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
                _ = sleep_until(deadline) => {
                    let t = now();
                    self.engine.handle_timeout(t);
                    self.turn_days(t);
                    self.staffing.handle_timeout(t);
                    self.carry_out_staffing();
                }
                _ = counts.tick() => self.report_counts(),
            }
            self.drain();
        }
    }

    fn on_input(&mut self, input: DispatchInput) {
        match input {
            DispatchInput::Acd(acd::Event::OfferAccepted { call, agent })
                if self.resumed.contains(&(call, agent)) => {}
            DispatchInput::Acd(event) => {
                if let acd::Event::Hangup { call } = &event {
                    let call = *call;
                    self.resumed.retain(|(c, _)| *c != call);
                }
                self.apply(event)
            }
            DispatchInput::Registration(change) => {
                #[cfg(debug_assertions)]
                fault::on_registration(&change.aor);
                self.on_registration(&change.aor, change.contacts)
            }
            DispatchInput::Reconfigure(config) => self.reconfigure(config),
            DispatchInput::Panel(request) => self.on_panel(request),
            DispatchInput::StartTransfer { call, agent, reply } => {
                let taken = self
                    .engine
                    .handle(now(), acd::Event::TransferStarted { call, agent });
                if let Err(e) = &taken {
                    tracing::info!(%agent, error = %e, "transfer refused");
                }
                let _ = reply.send(taken.is_ok());
            }
            DispatchInput::PickUp { by, from, reply } => {
                let picked = self.pick_up(by, &from);
                // The call hears of the cancelled phones before the picker.
                self.drain();
                let _ = reply.send(picked);
            }
        }
    }

    /// Hands the oldest offer ringing one of `from` to `by`.
    fn pick_up(
        &mut self,
        by: AgentId,
        from: &[AgentId],
    ) -> Result<(CallId, AgentId), super::pickup::Refusal> {
        use super::pickup::Refusal;
        let (call, agent) = self
            .engine
            .oldest_ringing(from)
            .ok_or(Refusal::NothingRinging)?;
        self.engine
            .handle(now(), acd::Event::OfferPickedUp { call, agent, by })
            .map_err(|e| {
                tracing::info!(%by, error = %e, "pickup refused by dispatch");
                Refusal::from_acd(&e)
            })?;
        Ok((call, agent))
    }

    fn on_panel(&mut self, request: PanelRequest) {
        match request {
            PanelRequest::Login {
                agent,
                project,
                queues,
                reply,
            } => {
                let login = acd::Event::AgentLogin {
                    agent,
                    project,
                    status: self.available,
                    queues,
                };
                let done = self.engine.handle(now(), login);
                if done.is_ok() {
                    self.hub.set_panel(agent, true);
                    self.restore_break(agent, project);
                    self.staffing
                        .handle(now(), staffing::Input::PanelLogin { agent });
                    tracing::info!(%agent, %project, "agent logged in through the panel");
                }
                self.drain();
                let _ = reply.send(done);
            }
            PanelRequest::Logout { agent, reply } => {
                self.staffing
                    .handle(now(), staffing::Input::PanelLogout { agent });
                self.carry_out_staffing();
                self.drain();
                let _ = reply.send(());
            }
            PanelRequest::Status {
                agent,
                status,
                reply,
            } => {
                let done = self
                    .engine
                    .handle(now(), acd::Event::AgentStatus { agent, status });
                self.drain();
                let _ = reply.send(done);
            }
            PanelRequest::Result {
                agent,
                call,
                result,
                extends,
                closes,
                reply,
            } => {
                let done = self.submit_result(agent, call, result, extends, closes);
                self.drain();
                let _ = reply.send(done);
            }
            PanelRequest::Socket { agent, open } => {
                self.staffing
                    .handle(now(), staffing::Input::Socket { agent, open });
            }
        }
    }

    /// The record of `call` gets the result first (through the call's own
    /// channel), so it has the verdict before the end of the after-call work
    /// completes it; then the core learns the code (its extra time) and, in
    /// after-call work, ends the work unless the code extends it.
    fn submit_result(
        &mut self,
        agent: AgentId,
        call: CallId,
        result: CallResult,
        extends: bool,
        closes: bool,
    ) -> LiveResult {
        let view = self.hub.view(agent, now());
        let connected = view.call.as_ref().is_some_and(|c| c.call == call);
        let wrapping = view.wrapup.as_ref().is_some_and(|w| w.call == call);
        // Finals of calls no longer live are the record's business now.
        self.finals.retain(|(a, c)| {
            *a != agent
                || view.call.as_ref().is_some_and(|x| x.call == *c)
                || view.wrapup.as_ref().is_some_and(|x| x.call == *c)
        });
        if !connected && !wrapping {
            return LiveResult::NotLive;
        }
        if self.finals.contains(&(agent, call)) {
            return LiveResult::Closed;
        }
        let code = result.code;
        if !self
            .registry
            .tell(call, CallInput::Record(CallEvent::Result(result)))
        {
            return LiveResult::NotLive;
        }
        if closes {
            self.finals.insert((agent, call));
        }
        if let Err(e) = self
            .engine
            .handle(now(), acd::Event::ResultCode { agent, call, code })
        {
            tracing::info!(%agent, error = %e, "result code not known to dispatch");
        }
        // A code whose time is already up has ended the after-call work.
        if wrapping && !extends {
            if let Err(e) = self
                .engine
                .handle(now(), acd::Event::WrapupDone { agent, call })
            {
                tracing::debug!(error = %e, "after-call work already over");
            }
        }
        LiveResult::Taken
    }

    /// Carries out what the staffing policy decided.
    fn carry_out_staffing(&mut self) {
        while let Some(action) = self.staffing.poll_action() {
            match action {
                staffing::Action::LogIn { agent } => {
                    let Some((project, queues)) = self.routing.get().assignment(agent) else {
                        // An extension without queues (a supervisor's, say).
                        self.staffing
                            .handle(now(), staffing::Input::LoginRefused { agent });
                        continue;
                    };
                    match self.log_in(agent, project, queues) {
                        Ok(()) => {
                            self.hub.set_panel(agent, false);
                            tracing::info!(%agent, "agent registered: logged in, Available")
                        }
                        Err(e) => {
                            tracing::warn!(%agent, error = %e, "agent could not be logged in");
                            self.staffing
                                .handle(now(), staffing::Input::LoginRefused { agent });
                        }
                    }
                }
                staffing::Action::Rejoin { agent } => self.follow_assignment(agent),
                staffing::Action::LogOut { agent, reason } => {
                    match reason {
                        LogoutReason::Unregistered => {
                            tracing::info!(%agent, "agent unregistered: logged out")
                        }
                        LogoutReason::Panel => {
                            tracing::info!(%agent, "agent logged out through the panel")
                        }
                        LogoutReason::PanelGone => tracing::info!(
                            %agent,
                            "panel agent gone (no panel and no phone): logged out"
                        ),
                    }
                    self.hub.set_panel(agent, false);
                    self.apply(acd::Event::AgentLogout { agent });
                }
            }
        }
    }

    /// Puts an agent logged in by registration in exactly the queues they
    /// are assigned now: they join the new ones and leave the ones taken
    /// from them (calls in progress run on); without any queue left they are
    /// logged out until an assignment comes back.
    fn follow_assignment(&mut self, agent: AgentId) {
        let Some((_, assigned)) = self.routing.get().assignment(agent) else {
            tracing::info!(%agent, "agent has no queue any more: logged out");
            self.apply(acd::Event::AgentLogout { agent });
            self.staffing
                .handle(now(), staffing::Input::LoginRefused { agent });
            return;
        };
        for queue in self.engine.agent_queues(agent) {
            if !assigned.contains(&queue) {
                self.apply(acd::Event::AgentLeaveQueue { agent, queue });
            }
        }
        for queue in assigned {
            self.apply(acd::Event::AgentJoinQueue { agent, queue });
        }
    }

    /// Sends the waiting counts of the queues that changed to the hub.
    fn report_counts(&mut self) {
        if let Some(feed) = &mut self.wallboard {
            feed.publish(&self.engine, now());
        }
        if self.dirty.is_empty() {
            return;
        }
        let t = now();
        let counts: Vec<(acd::QueueId, u32)> = self
            .dirty
            .drain()
            .filter_map(|q| {
                let m = self.engine.queue_metrics(q, t)?;
                Some((q, u32::try_from(m.in_queue).unwrap_or(u32::MAX)))
            })
            .collect();
        self.hub.set_waiting(&counts);
    }

    fn apply(&mut self, event: acd::Event) {
        if let Err(e) = self.engine.handle(now(), event.clone()) {
            tracing::debug!(error = %e, ?event, "dispatch refused an event");
        }
    }

    /// Logs in every assigned agent who is registered now (at start-up).
    fn login_registered(&mut self) {
        self.follow_agents(|staffing, t, agent, contacts| {
            if contacts > 0 {
                staffing.handle(t, staffing::Input::Registered { agent, contacts });
            }
        });
    }

    /// Feeds the staffing policy, for every agent, their registered contacts.
    fn follow_agents(&mut self, mut feed: impl FnMut(&mut Staffing, Millis, AgentId, usize)) {
        let routing = self.routing.get();
        let t = now();
        for (agent, aor) in routing.agents() {
            let contacts = self.location.lookup(aor, t.0).len();
            feed(&mut self.staffing, t, agent, contacts);
        }
        self.carry_out_staffing();
    }

    fn on_registration(&mut self, aor: &str, contacts: usize) {
        let Some(agent) = self.routing.get().agent_of(aor) else {
            return;
        };
        self.staffing
            .handle(now(), staffing::Input::Registered { agent, contacts });
        self.carry_out_staffing();
    }

    /// Applies changed settings as the typed changes between the core's
    /// configuration and the stored one ([`acd::changes`]): additions,
    /// changes and removals (a queue or status deleted, an agent taken off a
    /// queue, a queue group changed). Agents logged in by registration then
    /// follow their assignments (joining queues given to them).
    fn reconfigure(&mut self, config: acd::Config) {
        self.available = available_status(&config);
        self.days.configure(&config.projects, now());
        for event in acd::changes(&self.engine.config(), &config) {
            let removal = matches!(
                event,
                acd::Event::QueueRemoved(_)
                    | acd::Event::QueueGroupRemoved(_)
                    | acd::Event::StatusRemoved(_)
                    | acd::Event::ResultCodeRemoved(_)
                    | acd::Event::AgentLeaveQueue { .. }
            );
            if removal {
                tracing::info!(?event, "configuration change: removal reaches dispatch");
            }
            self.apply(event);
        }
        self.follow_agents(|staffing, t, agent, contacts| {
            staffing.handle(t, staffing::Input::Reassigned { agent, contacts });
        });
        self.hub.recount(&self.engine, now());
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
        self.restore_break(agent, project);
        Ok(())
    }

    /// Hands out everything the core produced, until it has nothing more.
    fn drain(&mut self) {
        if let Some(feed) = &mut self.wallboard {
            feed.touch();
        }
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
        self.hub.on_notice(&notice, &self.engine, now());
        if let Some(history) = &self.history {
            history.record(&notice, now());
        }
        match &notice {
            Notice::Queued { queue, .. } | Notice::LeftQueue { queue, .. } => {
                self.dirty.insert(*queue);
            }
            Notice::BreakEnded {
                agent, used_today, ..
            } => self.keep_break(*agent, *used_today),
            _ => {}
        }
        if matches!(
            notice,
            Notice::CallbackDialling { .. }
                | Notice::CallbackAttemptFailed { .. }
                | Notice::LeftQueue {
                    outcome: acd::Outcome::CallbackEnded(_),
                    ..
                }
        ) {
            self.registry
                .tell_callbacks(CallbackInput::Notice(notice.clone()));
        }
        if let Some((id, event)) = CallEvent::from_notice(&notice) {
            self.tell(acd::CallId(id.0), CallInput::Record(event));
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
            } => self.offer(call, agent, ring_for, auto_answer, None),
            acd::Action::OfferCallback {
                call,
                agent,
                ring_for,
                auto_answer,
                attempt,
            } => self.offer(call, agent, ring_for, auto_answer, Some(attempt)),
            acd::Action::CancelOffer { call, agent } => {
                self.hub.offer_cancelled(agent, call);
                self.tell(call, CallInput::CancelOffer { agent });
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

impl Dispatch {
    /// Tells the call's task; an id no task holds may be a callback's, for
    /// the callback service.
    fn tell(&self, call: CallId, input: CallInput) {
        if self.registry.call(call).is_some() {
            self.registry.tell(call, input);
        } else {
            self.registry
                .tell_callbacks(CallbackInput::Call { call, input });
        }
    }

    /// Hands an offer to the call's task: a call, or the callback's
    /// `attempt`.
    fn offer(
        &mut self,
        call: CallId,
        agent: AgentId,
        ring_for: Duration,
        auto_answer: bool,
        attempt: Option<u32>,
    ) {
        let caller = self.registry.caller(call).unwrap_or_default();
        let aor = self.routing.get().aor_of(agent).map(str::to_owned);
        let told = match attempt {
            None => {
                let Some(tx) = self.registry.call(call) else {
                    // The call's task has ended: it is over for dispatch too.
                    self.apply(acd::Event::Hangup { call });
                    return;
                };
                self.hub
                    .offered(agent, call, caller, ring_for, auto_answer, now());
                aor.is_some_and(|aor| {
                    tx.try_send(CallInput::Offer {
                        agent,
                        aor,
                        ring_for,
                        auto_answer,
                    })
                    .is_ok()
                })
            }
            Some(attempt) => {
                self.hub
                    .offered(agent, call, caller, ring_for, auto_answer, now());
                aor.is_some_and(|aor| {
                    self.registry.tell_callbacks(CallbackInput::Offer {
                        call,
                        agent,
                        aor,
                        ring_for,
                        auto_answer,
                        attempt,
                    })
                })
            }
        };
        if !told {
            self.apply(acd::Event::OfferFailed { call, agent });
        }
    }
}
