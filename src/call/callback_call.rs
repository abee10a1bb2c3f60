//! Call control's callback service: the thin async shell around callback
//! attempts ([`super::callback`]).
//!
//! The dispatch task hands it what concerns callback entries, which have no
//! caller's task ([`CallbackInput`]): an offer starts an attempt task, which
//! rings the agent, dials the customer through the project's outbound route
//! and bridges the two; inputs for a callback go to its attempt while one
//! runs; and the dispatch core's notices of a callback's progress are
//! written to its stored request. At start-up ([`reopen`]) the requests still
//! open are handed back to the dispatch core, oldest first.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{self, AgentId, CallId};
use crate::cdr;
use crate::sip::core::unix_ms;
use crate::sip::message::Request;
use crate::sip::peer::Peer;
use crate::sip::transaction::{ServerTxId, TxId};
use crate::sip::tu::{SipEvent, OWNER_CAPACITY};
use crate::store::callbacks::{CallbackRequest, CallbackUpdate};

use super::agent_leg::{AgentLeg, Progress, Ring};
use super::callback::{Attempt, AttemptAction, AttemptFlow, AttemptInput};
use super::dispatch::DispatchInput;
use super::metrics::CallMetrics;
use super::now;
use super::outbound_target::{plan, ring_out, DialFrom};
use super::routing::QueueInfo;
use super::two_legs::{answer_in_dialog, close, hang_up, ring_agent, HungUp};
use super::{new_interaction_id, sleep_until, CallInput, CallbackInput, Services};

/// Runs the callback service until the dispatch task is gone.
pub async fn run(s: Arc<Services>, mut inputs: mpsc::Receiver<CallbackInput>) {
    while let Some(input) = inputs.recv().await {
        match input {
            CallbackInput::Offer {
                call,
                agent,
                aor,
                auto_answer,
                ..
            } => offer(&s, call, agent, aor, auto_answer).await,
            CallbackInput::Call { call, input } => {
                // Only an attempt in progress cares (an offer withdrawn, a
                // record event); anything else concerns a callback between
                // attempts.
                s.registry.tell(call, input);
            }
            CallbackInput::Notice(notice) => progress(&s, &notice).await,
        }
    }
}

/// At start-up: every open request goes back to the dispatch core, oldest
/// first, so they keep their order.
pub async fn reopen(s: &Services) {
    let requests = match s.store.reopen_callback_requests().await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "open callback requests not read");
            return;
        }
    };
    for request in requests {
        queue(s, &request).await;
    }
}

/// Puts a stored (waiting) request into the dispatch core, at the back of
/// its queue.
pub async fn queue(s: &Services, request: &CallbackRequest) {
    let (Some(arrival), Some(call)) = (request.arrival(), request.call()) else {
        tracing::error!(
            request = request.id,
            "callback request with ids no id can be"
        );
        return;
    };
    s.registry.set_caller(call, &request.caller);
    if s.dispatch.send(DispatchInput::Acd(arrival)).await.is_err() {
        tracing::error!("dispatch is gone");
    }
}

/// Withdraws a callback from the dispatch core (its request is cancelled).
pub async fn cancel(s: &Services, call: CallId) {
    let event = DispatchInput::Acd(acd::Event::CallbackCancelled { call });
    if s.dispatch.send(event).await.is_err() {
        tracing::error!("dispatch is gone");
    }
}

/// Writes a callback's progress to its stored request.
async fn progress(s: &Services, notice: &acd::Notice) {
    let Some((id, update)) =
        CallbackUpdate::from_notice(notice, now().0.try_into().unwrap_or(i64::MAX))
    else {
        return;
    };
    if let (CallbackUpdate::Ended { .. }, Some(call)) = (update, CallId::from_key(id)) {
        s.registry.forget_caller(call);
    }
    update_request(s, id, update).await;
}

async fn update_request(s: &Services, id: i64, update: CallbackUpdate) {
    if let Err(e) = s.store.update_callback(id, update).await {
        tracing::error!(error = %e, request = id, "callback progress not stored");
    }
}

/// Starts an attempt: the agent is rung with the callback.
async fn offer(s: &Arc<Services>, call: CallId, agent: AgentId, aor: String, auto_answer: bool) {
    let id = call.key();
    let request = match s.store.callback_request(id).await {
        Ok(Some(r)) if r.state.is_open() => r,
        Ok(_) => {
            // Cancelled meanwhile: the dispatch core is told apart.
            tracing::info!(%call, "offer of a callback that is over");
            return offer_failed(s, call, agent).await;
        }
        Err(e) => {
            tracing::error!(error = %e, %call, "callback request not read");
            return offer_failed(s, call, agent).await;
        }
    };
    let queue = acd::QueueId::from_key(request.queue_id).and_then(|q| s.routing.get().queue(q));
    let Some(queue) = queue else {
        tracing::warn!(%call, "callback of a queue that is gone");
        return offer_failed(s, call, agent).await;
    };
    update_request(s, id, CallbackUpdate::Offered { agent: agent.key() }).await;
    let (inputs_tx, inputs) = mpsc::channel::<(CallId, CallInput)>(64);
    // Registered before the next input is read, so what dispatch says of
    // this offer reaches the attempt.
    s.registry.add_call(call, inputs_tx.clone());
    let mut attempt = AttemptTask::new(s.clone(), call, agent, aor, request, queue);
    attempt.registered = Some(inputs_tx);
    attempt.auto_answer = auto_answer;
    let span = tracing::info_span!("callback", id = call.0, %agent);
    tokio::spawn(
        async move {
            attempt.run(inputs).await;
        }
        .instrument(span),
    );
}

/// Tells dispatch an offer went nowhere (the agent goes on to the next).
async fn offer_failed(s: &Services, call: CallId, agent: AgentId) {
    let event = acd::Event::OfferFailed { call, agent };
    if s.dispatch.send(DispatchInput::Acd(event)).await.is_err() {
        tracing::error!("dispatch is gone");
    }
}

/// One attempt's task.
struct AttemptTask {
    s: Arc<Services>,
    call: CallId,
    agent: AgentId,
    aor: String,
    request: CallbackRequest,
    queue: Arc<QueueInfo>,
    flow: AttemptFlow,
    /// Where SIP events for both legs come.
    owner: mpsc::Sender<SipEvent>,
    events: Option<mpsc::Receiver<SipEvent>>,
    agent_leg: Option<AgentLeg>,
    customer: Option<AgentLeg>,
    customer_status: u16,
    /// The agent's phone answers by itself (the headers ask it to).
    auto_answer: bool,
    /// The channel this attempt is registered under (a later attempt of
    /// the same callback registers its own).
    registered: Option<mpsc::Sender<(CallId, CallInput)>>,
}

impl AttemptTask {
    fn new(
        s: Arc<Services>,
        call: CallId,
        agent: AgentId,
        aor: String,
        request: CallbackRequest,
        queue: Arc<QueueInfo>,
    ) -> AttemptTask {
        let caller_id = s
            .routing
            .get()
            .outbound()
            .route(queue.project, &request.caller, Some(queue.id))
            .ok()
            .and_then(|d| d.caller_id)
            .unwrap_or_else(|| queue.number.clone());
        let arrival = cdr::Arrival {
            id: cdr::InteractionId(new_interaction_id()),
            interaction_type: cdr::InteractionType::Call,
            direction: cdr::Direction::Outbound,
            domain: s.settings.domain.clone(),
            remote_number: request.caller.clone(),
            local_number: caller_id,
        };
        let attempt = Attempt {
            callback: call,
            agent,
            queue: queue.id,
            project: queue.project,
            after_call_work: queue.config.after_call_work,
            recording: queue.recording,
        };
        let flow = AttemptFlow::new(attempt, arrival, s.settings.records);
        let (owner, events) = mpsc::channel(OWNER_CAPACITY);
        AttemptTask {
            s,
            call,
            agent,
            aor,
            request,
            queue,
            flow,
            owner,
            events: Some(events),
            agent_leg: None,
            customer: None,
            customer_status: 0,
            auto_answer: false,
            registered: None,
        }
    }

    async fn run(mut self, mut inputs: mpsc::Receiver<(CallId, CallInput)>) {
        let Some(mut events) = self.events.take() else {
            return;
        };
        CallMetrics::bump(&self.s.metrics.callback_attempts);
        self.perform().await;
        while !self.flow.is_finished() {
            let deadline = self
                .flow
                .poll_timeout()
                .map(|at| Instant::now() + at.since(now()));
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_sip(event).await,
                    None => self.flow.handle(now(), AttemptInput::SipGone),
                },
                Some((_, input)) = inputs.recv() => self.on_input(input),
                _ = sleep_until(deadline) => self.flow.handle_timeout(now()),
            }
            self.perform().await;
        }
        if let Some(tx) = &self.registered {
            self.s.registry.remove_task(self.call, tx);
        }
    }

    fn on_input(&mut self, input: CallInput) {
        let input = match input {
            CallInput::CancelOffer { .. } => AttemptInput::OfferCancelled,
            CallInput::Record(event) => AttemptInput::Record(event),
            _ => return,
        };
        self.flow.handle(now(), input);
    }

    async fn perform(&mut self) {
        while let Some(action) = self.flow.poll_action() {
            if let Some(input) = self.act(action).await {
                self.flow.handle(now(), input);
            }
        }
    }

    async fn act(&mut self, action: AttemptAction) -> Option<AttemptInput> {
        let s = self.s.clone();
        match action {
            AttemptAction::RingAgent => return self.ring_agent().await,
            AttemptAction::DialCustomer => return self.dial_customer().await,
            AttemptAction::HangUpAgent => hang_up(&s, self.agent_leg.take()).await,
            AttemptAction::HangUpCustomer => hang_up(&s, self.customer.take()).await,
            AttemptAction::CloseAgent => close(&s, self.agent_leg.take()).await,
            AttemptAction::CloseCustomer => close(&s, self.customer.take()).await,
            AttemptAction::Bridge => {
                if let (Some(a), Some(c)) = (&self.agent_leg, &self.customer) {
                    a.media.bridge(&s, &c.media).await;
                }
            }
            AttemptAction::StartRecording { interaction } => {
                let (Some(a), Some(c)) = (&self.agent_leg, &self.customer) else {
                    return None;
                };
                let id = cdr::InteractionId(interaction);
                let started = super::recording::start_now(&s, id, &c.media, &a.media).await;
                if let cdr::CallEvent::Recorded { file } = started {
                    return Some(AttemptInput::Recording { file });
                }
            }
            AttemptAction::Dispatch(event) => {
                if s.dispatch.send(DispatchInput::Acd(event)).await.is_err() {
                    tracing::error!("dispatch is gone");
                }
            }
            AttemptAction::Record(how, record) => super::records::write(&s, how, &record).await,
            AttemptAction::Connected => {
                let agent = Some(self.agent.key());
                let update = CallbackUpdate::Ended {
                    result: crate::store::callbacks::CallbackResult::Connected,
                    agent,
                };
                update_request(&s, self.request.id, update).await;
                s.registry.forget_caller(self.call);
            }
            AttemptAction::BackInQueue => {
                update_request(&s, self.request.id, CallbackUpdate::Waiting).await;
            }
            AttemptAction::Finished => {}
        }
        None
    }

    /// Opens the agent's media leg and rings their registered phones.
    async fn ring_agent(&mut self) -> Option<AttemptInput> {
        let s = self.s.clone();
        let missed = Some(AttemptInput::AgentMissed { rejected: false });
        let Some(binding) = s.location.lookup(&self.aor, unix_ms()).into_iter().next() else {
            tracing::info!(agent = %self.agent, "agent has no reachable contact");
            return missed;
        };
        let ring = Ring {
            call: self.call.0,
            agent: self.agent,
            aor: &self.aor,
            caller_number: &self.request.caller,
            queue_name: &self.queue.name,
            auto_answer: self.auto_answer,
            owner: &self.owner,
        };
        self.agent_leg = ring_agent(&s, ring, &binding.source, None).await;
        if self.agent_leg.is_some() {
            None
        } else {
            missed
        }
    }

    /// Opens the customer's media leg on the agent's worker and sends the
    /// INVITE through the route's trunk.
    async fn dial_customer(&mut self) -> Option<AttemptInput> {
        let s = self.s.clone();
        let routing = s.routing.get();
        let queue = &self.queue;
        let planned = plan(
            &routing,
            queue.project,
            &self.request.caller,
            Some(queue.id),
            |_| true,
        )
        .await;
        let plan = match planned {
            Ok(plan) => plan,
            Err(why) => {
                tracing::warn!(?why, "the callback's number cannot be dialled");
                return Some(AttemptInput::Unroutable);
            }
        };
        let agent_leg = self.agent_leg.as_ref()?;
        let from = DialFrom {
            call: self.call.0,
            agent: self.agent,
            number: &self.queue.number,
            media: &agent_leg.media,
            owner: &self.owner,
        };
        match ring_out(&s, &plan, from).await {
            Some(leg) => {
                tracing::info!(route = plan.dial.route, "dialling the callback's customer");
                self.customer = Some(leg);
                None
            }
            None => Some(AttemptInput::CustomerMissed { status: 0 }),
        }
    }

    async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Response { tx, response } => {
                let status = response.status;
                if let Some(leg) = self.agent_leg.as_mut().filter(|l| l.owns(tx)) {
                    let progress = leg.on_response(&self.s, tx, &response).await;
                    self.agent_progress(progress);
                } else if let Some(leg) = self.customer.as_mut().filter(|l| l.owns(tx)) {
                    if status >= 300 {
                        self.customer_status = status;
                    }
                    let progress = leg.on_response(&self.s, tx, &response).await;
                    self.customer_progress(progress, status);
                }
            }
            SipEvent::Timeout { tx }
            | SipEvent::TransportError {
                tx: TxId::Client(tx),
            } => {
                if let Some(leg) = self.agent_leg.as_mut().filter(|l| l.owns(tx)) {
                    let progress = leg.on_failure(tx);
                    self.agent_progress(progress);
                } else if let Some(leg) = self.customer.as_mut().filter(|l| l.owns(tx)) {
                    let progress = leg.on_failure(tx);
                    self.customer_progress(progress, 0);
                }
            }
            SipEvent::Ack { .. }
            | SipEvent::Cancelled { .. }
            | SipEvent::ServerTimeout { .. }
            | SipEvent::TransportError {
                tx: TxId::Server(_),
            } => {}
        }
    }

    fn agent_progress(&mut self, progress: Progress) {
        let input = match progress {
            Progress::Nothing => return,
            Progress::Answered => AttemptInput::AgentAnswered,
            Progress::Rejected => AttemptInput::AgentMissed { rejected: true },
            Progress::BadAnswer | Progress::Failed => AttemptInput::AgentMissed { rejected: false },
        };
        self.flow.handle(now(), input);
    }

    fn customer_progress(&mut self, progress: Progress, status: u16) {
        let input = match progress {
            Progress::Nothing if (180..=183).contains(&status) => AttemptInput::CustomerRinging,
            Progress::Nothing => return,
            Progress::Answered => AttemptInput::CustomerAnswered,
            Progress::BadAnswer | Progress::Failed | Progress::Rejected => {
                AttemptInput::CustomerMissed {
                    status: self.customer_status,
                }
            }
        };
        self.flow.handle(now(), input);
    }

    /// A request in the agent's or the customer's dialog.
    async fn on_request(&mut self, tx: ServerTxId, request: Request, from: Peer) {
        let (agent, other) = (self.agent_leg.as_mut(), self.customer.as_mut());
        match answer_in_dialog(&self.s, tx, request, from, agent, other).await {
            Some(HungUp::Agent) => self.flow.handle(now(), AttemptInput::AgentHungUp),
            Some(HungUp::Other) => self.flow.handle(now(), AttemptInput::CustomerHungUp),
            None => {}
        }
    }
}
