//! Click-to-dial's task: the thin shell around [`ClickDialFlow`].
//!
//! The agent panel hands a [`DialRequest`] to the registry's dialer
//! ([`super::Registry::dial`]); [`run`] starts one task per request. The
//! number is routed first, by the rules of a call the agent's phone places
//! (project, Dial Plan permission, number rewriting, caller ID): a number
//! with no way out is refused without ringing anything. Then the agent's
//! desk phones (their registered contacts that are not WebSocket ones) are
//! rung, showing the number being dialled, and the core takes over. Every
//! step is told to the panel through the request's channel ([`DialUpdate`]).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{AgentId, CallId};
use crate::cdr;
use crate::sip::core::unix_ms;
use crate::sip::message::{Request, Response};
use crate::sip::peer::{Peer, Transport};
use crate::sip::transaction::{ClientTxId, ServerTxId, TxId};
use crate::sip::tu::{SipEvent, OWNER_CAPACITY};
use crate::sip::uac_auth::{Challenge, Challenged};

use super::agent_leg::{AgentLeg, Progress, Ring, Target};
use super::click_dial::{ClickAction, ClickDialFlow, ClickInput, DialProgress};
use super::dispatch::DispatchInput;
use super::metrics::CallMetrics;
use super::now;
use super::outbound_call::{Destination, Outbound};
use super::outbound_target::{ring_out, DialFrom, TrunkPlan};
use super::two_legs::{
    answer_carrier_challenge, answer_in_dialog, close, hang_up, ring_agent, HungUp,
};
use super::{new_interaction_id, sleep_until, CallInput, Services};

/// The agent panel asks to call `number` from `agent`'s desk phone.
#[derive(Debug)]
pub struct DialRequest {
    pub agent: AgentId,
    /// The number as the agent typed it.
    pub number: String,
    /// Where the call's progress goes (the panel that asked).
    pub updates: mpsc::Sender<DialUpdate>,
}

/// What the panel hears of a click-to-dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialUpdate {
    /// The call's id (the outbound record's, once dialled).
    pub call: CallId,
    pub number: String,
    pub notice: DialNotice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialNotice {
    Progress(DialProgress),
    /// Refused before anything rang: the status a phone's INVITE would get
    /// (403 not allowed, 404 no route, 503 trunk unusable) and why.
    Refused {
        status: u16,
        reason: &'static str,
    },
}

/// Runs the dialer until the registry's sender is gone: one task per
/// request.
pub async fn run(s: Arc<Services>, mut requests: mpsc::Receiver<DialRequest>) {
    while let Some(request) = requests.recv().await {
        tokio::spawn(start(s.clone(), request));
    }
}

async fn start(s: Arc<Services>, request: DialRequest) {
    let id = CallId(new_interaction_id());
    let tell = |notice| {
        let _ = request.updates.try_send(DialUpdate {
            call: id,
            number: request.number.clone(),
            notice,
        });
    };
    let routing = s.routing.get();
    let Some(extension) = routing.aor_of(request.agent).map(str::to_owned) else {
        tell(DialNotice::Refused {
            status: 404,
            reason: "you have no extension",
        });
        return;
    };
    let out = match super::admission::outbound(&s, &routing, &extension, &request.number).await {
        Ok(out) => out,
        Err((status, reason)) => {
            CallMetrics::bump(&s.metrics.outbound_refused);
            tracing::info!(number = %request.number, agent = %request.agent, status, reason, "click-to-dial refused");
            tell(DialNotice::Refused { status, reason });
            return;
        }
    };
    drop(routing);
    let Destination::Trunk {
        dial,
        trunk,
        target,
    } = out.to.clone()
    else {
        tell(DialNotice::Refused {
            status: 404,
            reason: "No route for this number",
        });
        return;
    };
    let plan = TrunkPlan {
        dial,
        trunk,
        target,
    };
    let caller_id = plan
        .dial
        .caller_id
        .clone()
        .unwrap_or_else(|| extension.clone());
    let arrival = cdr::Arrival {
        id: cdr::InteractionId(id.0),
        interaction_type: cdr::InteractionType::Call,
        direction: cdr::Direction::Outbound,
        domain: s.settings.domain.clone(),
        remote_number: request.number.clone(),
        local_number: caller_id,
    };
    let flow = ClickDialFlow::new(now(), request.agent, arrival, s.settings.records);
    let (inputs_tx, inputs) = mpsc::channel::<(CallId, CallInput)>(64);
    s.registry.add_call(id, inputs_tx);
    let (owner, events) = mpsc::channel(OWNER_CAPACITY);
    let span = tracing::info_span!("click-to-dial", id = id.0, agent = %request.agent);
    let mut task = ClickDialTask {
        s: s.clone(),
        id,
        out,
        plan,
        flow,
        owner,
        agent_leg: None,
        remote: None,
        remote_status: 0,
        challenge: None,
        updates: request.updates,
    };
    task.run(events, inputs).instrument(span).await;
    s.registry.remove_call(id);
    CallMetrics::bump(&s.metrics.ended);
}

struct ClickDialTask {
    s: Arc<Services>,
    id: CallId,
    out: Outbound,
    plan: TrunkPlan,
    flow: ClickDialFlow,
    /// Where SIP events for both legs come.
    owner: mpsc::Sender<SipEvent>,
    agent_leg: Option<AgentLeg>,
    remote: Option<AgentLeg>,
    /// The remote leg's last final status.
    remote_status: u16,
    /// The trunk's last digest challenge to the remote INVITE.
    challenge: Option<(ClientTxId, Challenge)>,
    updates: mpsc::Sender<DialUpdate>,
}

impl ClickDialTask {
    async fn run(
        &mut self,
        mut events: mpsc::Receiver<SipEvent>,
        mut inputs: mpsc::Receiver<(CallId, CallInput)>,
    ) {
        self.perform().await;
        while !self.flow.is_finished() {
            let deadline = self
                .flow
                .poll_timeout()
                .map(|at| Instant::now() + at.since(now()));
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_sip(event).await,
                    None => self.flow.handle(now(), ClickInput::SipGone),
                },
                // Media events of the legs change nothing.
                Some(_) = inputs.recv() => {}
                _ = sleep_until(deadline) => self.flow.handle_timeout(now()),
            }
            self.perform().await;
        }
    }

    async fn perform(&mut self) {
        while let Some(action) = self.flow.poll_action() {
            if let Some(input) = self.act(action).await {
                self.flow.handle(now(), input);
            }
        }
    }

    async fn act(&mut self, action: ClickAction) -> Option<ClickInput> {
        let s = self.s.clone();
        match action {
            ClickAction::RingAgent => return self.ring_agent().await,
            ClickAction::DialRemote => return self.dial_remote().await,
            ClickAction::AuthorizeRemote => return self.authorize_remote().await,
            ClickAction::Bridge => {
                if let (Some(a), Some(r)) = (&self.agent_leg, &self.remote) {
                    a.media.bridge(&s, &r.media).await;
                }
            }
            ClickAction::HangUpAgent => hang_up(&s, self.agent_leg.take()).await,
            ClickAction::CloseAgent => close(&s, self.agent_leg.take()).await,
            ClickAction::HangUpRemote => hang_up(&s, self.remote.take()).await,
            ClickAction::CloseRemote => close(&s, self.remote.take()).await,
            ClickAction::Dispatch(event) => {
                if s.dispatch.send(DispatchInput::Acd(event)).await.is_err() {
                    tracing::error!("dispatch is gone");
                }
            }
            ClickAction::Record(how, record) => super::records::write(&s, how, &record).await,
            ClickAction::Panel(progress) => {
                let _ = self.updates.try_send(DialUpdate {
                    call: self.id,
                    number: self.out.dialled.clone(),
                    notice: DialNotice::Progress(progress),
                });
            }
            ClickAction::Finished => {}
        }
        None
    }

    /// Opens the agent's media leg and rings their desk phones (the
    /// contacts not registered over WebSocket) with the number dialled as
    /// the caller, asking phones that can to answer by themselves.
    async fn ring_agent(&mut self) -> Option<ClickInput> {
        let s = self.s.clone();
        let missed = Some(ClickInput::AgentMissed { status: 0 });
        let targets: Vec<Target> = s
            .location
            .lookup(&self.out.extension, unix_ms())
            .into_iter()
            .filter(|b| !matches!(b.source.transport, Transport::Ws | Transport::Wss))
            .map(|b| Target {
                contact: b.contact,
                source: b.source,
            })
            .collect();
        let Some(first) = targets.first() else {
            tracing::info!(agent = %self.out.agent, "no desk phone registered for click-to-dial");
            return missed;
        };
        let ring = Ring {
            call: self.id.0,
            agent: self.out.agent,
            aor: &self.out.extension,
            caller_number: &self.out.dialled,
            queue_name: "",
            auto_answer: true,
            owner: &self.owner,
        };
        let source = first.source;
        self.agent_leg = ring_agent(&s, ring, &source, Some(targets)).await;
        if self.agent_leg.is_some() {
            None
        } else {
            missed
        }
    }

    /// Opens the remote leg next to the agent's and sends its INVITE
    /// through the route's trunk.
    async fn dial_remote(&mut self) -> Option<ClickInput> {
        let s = self.s.clone();
        let agent_leg = self.agent_leg.as_ref()?;
        let from = DialFrom {
            call: self.id.0,
            agent: self.out.agent,
            number: &self.out.extension,
            media: &agent_leg.media,
            owner: &self.owner,
        };
        match ring_out(&s, &self.plan, from).await {
            Some(leg) => {
                CallMetrics::bump(&s.metrics.outbound_calls);
                tracing::info!(trunk = %self.plan.trunk.name, route = self.plan.dial.route, "dialling out");
                self.remote = Some(leg);
                None
            }
            None => Some(ClickInput::RemoteMissed { status: 0 }),
        }
    }

    /// Sends the trunk's INVITE again with credentials for its challenge.
    async fn authorize_remote(&mut self) -> Option<ClickInput> {
        let trunk = &self.plan.trunk;
        let credentials = trunk.carrier_credentials.as_ref();
        let (challenge, leg) = (self.challenge.take(), self.remote.as_mut());
        if answer_carrier_challenge(&self.s, &trunk.name, credentials, challenge, leg).await {
            None
        } else {
            Some(ClickInput::RemoteMissed {
                status: self.remote_status,
            })
        }
    }

    async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Response { tx, response } => {
                if let Some(leg) = self.agent_leg.as_mut().filter(|l| l.owns(tx)) {
                    let input = match leg.on_response(&self.s, tx, &response).await {
                        Progress::Nothing => return,
                        Progress::Answered => ClickInput::AgentAnswered,
                        Progress::BadAnswer => ClickInput::AgentMissed { status: 0 },
                        Progress::Rejected | Progress::Failed => ClickInput::AgentMissed {
                            status: leg.final_status(),
                        },
                    };
                    self.flow.handle(now(), input);
                } else if self.remote.as_ref().is_some_and(|l| l.owns(tx)) {
                    self.on_remote_response(tx, response).await;
                }
            }
            SipEvent::Timeout { tx }
            | SipEvent::TransportError {
                tx: TxId::Client(tx),
            } => {
                if let Some(leg) = self.agent_leg.as_mut().filter(|l| l.owns(tx)) {
                    if leg.on_failure(tx) != Progress::Nothing {
                        let status = leg.final_status();
                        self.flow.handle(now(), ClickInput::AgentMissed { status });
                    }
                } else if let Some(leg) = self.remote.as_mut().filter(|l| l.owns(tx)) {
                    if leg.on_failure(tx) != Progress::Nothing {
                        self.flow
                            .handle(now(), ClickInput::RemoteMissed { status: 0 });
                    }
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

    /// A response to the remote leg's INVITE: a challenge goes to the core
    /// to answer or not; a 18x with SDP is early media, taken at once.
    async fn on_remote_response(&mut self, tx: ClientTxId, response: Response) {
        let status = response.status;
        if status >= 300 {
            self.remote_status = status;
        }
        if matches!(status, 401 | 407) {
            let nonce = self.take_challenge(tx, &response);
            self.flow
                .handle(now(), ClickInput::RemoteChallenged { status, nonce });
            return;
        }
        let s = self.s.clone();
        let Some(leg) = self.remote.as_mut() else {
            return;
        };
        let mut early = false;
        if (180..=189).contains(&status)
            && !response.body.is_empty()
            && leg.media.negotiated.is_none()
        {
            let sdp = String::from_utf8_lossy(&response.body).into_owned();
            match leg.media.accept(&s, &sdp).await {
                Ok(()) => early = true,
                Err(e) => tracing::info!(reason = %e.reason, "early media not usable"),
            }
        }
        let input = match leg.on_response(&s, tx, &response).await {
            Progress::Nothing if early => ClickInput::RemoteEarlyMedia,
            Progress::Nothing if (180..=189).contains(&status) => ClickInput::RemoteRinging,
            Progress::Nothing => return,
            Progress::Answered => ClickInput::RemoteAnswered,
            Progress::BadAnswer | Progress::Failed | Progress::Rejected => {
                ClickInput::RemoteMissed {
                    status: self.remote_status,
                }
            }
        };
        self.flow.handle(now(), input);
    }

    /// Keeps the digest challenge of a trunk's 401/407 to answer; its nonce
    /// when the trunk has a carrier account to answer with.
    fn take_challenge(&mut self, tx: ClientTxId, response: &Response) -> Option<String> {
        self.plan.trunk.carrier_credentials.as_ref()?;
        match Challenged::of(response) {
            Challenged::Digest { challenge, .. } => {
                let nonce = challenge.nonce.clone();
                self.challenge = Some((tx, challenge));
                Some(nonce)
            }
            Challenged::Unanswerable => None,
        }
    }

    /// A request in the agent's or the remote party's dialog.
    async fn on_request(&mut self, tx: ServerTxId, request: Request, from: Peer) {
        let (agent, other) = (self.agent_leg.as_mut(), self.remote.as_mut());
        match answer_in_dialog(&self.s, tx, request, from, agent, other).await {
            Some(HungUp::Agent) => self.flow.handle(now(), ClickInput::AgentHungUp),
            Some(HungUp::Other) => self.flow.handle(now(), ClickInput::RemoteHungUp),
            None => {}
        }
    }
}
