//! The outbound call's task: the thin shell around [`DialFlow`] for an
//! agent's call out through a trunk, or to another agent (an internal call,
//! the consultation of an attended transfer: see [`super::consult`]).
//!
//! The agent's INVITE stays unanswered while the callee's leg rings (our 180
//! tells the phone to play ringback); the answer is bridged to the agent's
//! media and answered to the phone with our SDP. An agent calling from the
//! panel's softphone (over WebSocket) offers WebRTC: their leg is a browser
//! leg, as a browser agent's is on a queue call. All decisions are the
//! core's; this task turns SIP events into its inputs and performs its
//! actions. An internal call is filed in the registry by its dialog with the
//! agent's phone, so that a REFER with Replaces can find it and take its
//! callee over.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{AgentId, CallId};
use crate::cdr;
use crate::media::g711::Law;
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::{Peer, Transport};
use crate::sip::transaction::{ClientTxId, ServerTxId, TxId};
use crate::sip::tu::{DialogKey, NewCall, Owner, SipEvent};
use crate::sip::uac_auth::{Challenge, Challenged};

use super::agent_leg::{AgentLeg, Progress, Ring, Target};
use super::consult::{Consultation, Handover};
use super::dial::{Callee, DialAction, DialFlow, DialInput};
use super::dispatch::DispatchInput;
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::now;
use super::outbound::Dial;
use super::outbound_target::TrunkTarget;
use super::routing::TrunkInfo;
use super::signalling::{answer, in_dialog};
use super::two_legs::answer_carrier_challenge;
use super::{new_interaction_id, sleep_until, CallInput, Services};

/// What admission decided for an agent's call.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub agent: AgentId,
    /// The number as the agent dialled it.
    pub dialled: String,
    /// The agent's extension, presented when no caller ID is set.
    pub extension: String,
    pub to: Destination,
}

/// Where an agent's call goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Out through a trunk.
    Trunk {
        /// How it leaves: route, number for the trunk, caller ID.
        dial: Dial,
        trunk: Box<TrunkInfo>,
        /// Where the trunk's INVITE goes.
        target: TrunkTarget,
    },
    /// To another agent's registered contacts. Dispatch was asked to
    /// reserve them under `reservation`; `accepted` is its answer.
    Agent {
        agent: AgentId,
        aor: String,
        reservation: CallId,
        accepted: bool,
    },
}

struct OutboundCall {
    s: Arc<Services>,
    id: CallId,
    owner: Owner,
    tx: ServerTxId,
    request: Request,
    local_tag: String,
    from: Peer,
    agent_media: MediaLeg,
    agent_sdp: String,
    /// The agent's dialog, once answered.
    dialog: Option<Dialog>,
    remote: Option<AgentLeg>,
    /// The remote leg's last final status, for the phone's refusal.
    remote_status: u16,
    /// The trunk's last digest challenge to the INVITE of this transaction.
    challenge: Option<(ClientTxId, Challenge)>,
    out: Outbound,
    flow: DialFlow,
    /// The queue call waiting for the callee's leg (an attended transfer).
    handover: Option<oneshot::Sender<Handover>>,
    finished: bool,
}

/// Places the agent's call through the trunk and runs it to its end.
pub async fn run(s: Arc<Services>, call: NewCall, out: Outbound) {
    let NewCall {
        tx,
        request,
        from,
        local_tag,
        mut events,
        owner,
    } = call;
    let id = CallId(new_interaction_id());
    let span = tracing::info_span!("outbound", id = id.0, agent = %out.agent);
    let (inputs_tx, mut inputs) = mpsc::channel::<(CallId, CallInput)>(64);
    s.registry.add_call(id, inputs_tx);

    let opened = open_agent_media(&s, id, &request, &from, &out).await;
    let (agent_media, agent_sdp) = match opened {
        Ok(m) => m,
        Err(refusal) => {
            CallMetrics::bump(&s.metrics.refused_media);
            let resp = answer(&request, refusal.status, &local_tag, None, None);
            let _ = s.core.respond(tx, resp).await;
            if let Destination::Agent {
                reservation,
                accepted: true,
                ..
            } = out.to
            {
                let _ = s
                    .dispatch
                    .send(DispatchInput::Acd(crate::acd::Event::Hangup {
                        call: reservation,
                    }))
                    .await;
            }
            s.registry.remove_call(id);
            return;
        }
    };
    let callee = match &out.to {
        Destination::Trunk { dial, .. } => {
            CallMetrics::bump(&s.metrics.outbound_calls);
            let caller_id = dial
                .caller_id
                .clone()
                .unwrap_or_else(|| out.extension.clone());
            Callee::Number(cdr::Arrival {
                id: cdr::InteractionId(id.0),
                interaction_type: cdr::InteractionType::Call,
                direction: cdr::Direction::Outbound,
                domain: s.settings.domain.clone(),
                remote_number: out.dialled.clone(),
                local_number: caller_id,
            })
        }
        Destination::Agent {
            agent,
            reservation,
            accepted,
            ..
        } => {
            if let (Some(call_id), Ok(from)) = (request.call_id(), request.from()) {
                s.registry.add_consultation(Consultation {
                    call: id,
                    agent: out.agent,
                    call_id: call_id.to_owned(),
                    local_tag: local_tag.clone(),
                    remote_tag: from.tag().unwrap_or_default().to_owned(),
                });
            }
            Callee::Agent {
                agent: *agent,
                reservation: *reservation,
                accepted: *accepted,
            }
        }
    };
    let flow = DialFlow::calling(
        now(),
        id,
        out.agent,
        callee,
        s.settings.records,
        s.settings.ack_wait,
    );
    let mut call = OutboundCall {
        s: s.clone(),
        id,
        owner,
        tx,
        request,
        local_tag,
        from,
        agent_media,
        agent_sdp,
        dialog: None,
        remote: None,
        remote_status: 0,
        challenge: None,
        out,
        flow,
        handover: None,
        finished: false,
    };
    async {
        call.perform().await;
        while !call.finished {
            let deadline = call
                .flow
                .poll_timeout()
                .map(|at| Instant::now() + at.since(now()));
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => call.on_sip(event).await,
                    None => call.flow.handle(now(), DialInput::SipGone),
                },
                Some((_, input)) = inputs.recv() => call.on_input(input),
                _ = sleep_until(deadline) => call.flow.handle_timeout(now()),
            }
            call.perform().await;
        }
    }
    .instrument(span)
    .await;
    if let Some(call_id) = call.request.call_id() {
        s.registry.remove_consultation(call_id, id);
    }
    s.registry.remove_call(id);
    CallMetrics::bump(&s.metrics.ended);
}

/// Opens the agent's media leg from the offer in their INVITE and writes our
/// answer: a desk phone's plain RTP, or a browser's WebRTC (its INVITE came
/// over WebSocket, RFC 7118) in the WebRTC hub with a stand-in on a worker,
/// preferring the trunk's first law so the bridge need not transcode.
async fn open_agent_media(
    s: &Services,
    id: CallId,
    request: &Request,
    from: &Peer,
    out: &Outbound,
) -> Result<(MediaLeg, String), super::media::MediaRefusal> {
    let offer = String::from_utf8_lossy(&request.body).into_owned();
    if offer.trim().is_empty() {
        return Err(super::media::MediaRefusal {
            status: 488,
            reason: "An SDP offer is required".into(),
        });
    }
    // An internal call may become an attended transfer of the caller the
    // agent talks to: its legs go where that caller's media is.
    let worker = match out.to {
        Destination::Agent { .. } => s.registry.agent_worker(out.agent),
        Destination::Trunk { .. } => None,
    };
    if !matches!(from.transport, Transport::Ws | Transport::Wss) {
        return MediaLeg::answer_on(s, id.0, &offer, &[Law::Mu, Law::A], from, worker);
    }
    let law = match &out.to {
        Destination::Trunk { trunk, .. } => trunk.laws.first().copied().unwrap_or(Law::Mu),
        Destination::Agent { .. } => Law::Mu,
    };
    let worker = worker.unwrap_or_else(|| s.media.next_worker());
    MediaLeg::browser(s, id.0, worker, &offer, law, from).await
}

impl OutboundCall {
    async fn perform(&mut self) {
        while let Some(action) = self.flow.poll_action() {
            if let Some(input) = self.act(action).await {
                self.flow.handle(now(), input);
            }
        }
        // A handover the core did not take is refused.
        self.handover = None;
    }

    /// Media events of the legs change nothing; a queue call may ask for the
    /// callee (an attended transfer).
    fn on_input(&mut self, input: CallInput) {
        let CallInput::HandOver {
            agent,
            worker,
            reply,
        } = input
        else {
            return;
        };
        if agent != self.out.agent {
            tracing::info!(%agent, "another agent's transfer names this call: refused");
            return;
        }
        if self
            .remote
            .as_ref()
            .is_some_and(|l| l.media.worker != worker)
        {
            // Media on two workers cannot be bridged (the consultation
            // began before the agent took the caller).
            tracing::warn!("the callee's media is not on the caller's worker: transfer refused");
            return;
        }
        self.handover = Some(reply);
        self.flow.handle(now(), DialInput::HandOver);
    }

    async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Ack { .. } => self.flow.handle(now(), DialInput::AgentAcked),
            SipEvent::Cancelled { .. } => self.flow.handle(now(), DialInput::AgentCancelled),
            SipEvent::ServerTimeout { .. } => self.flow.handle(now(), DialInput::AgentNeverAcked),
            SipEvent::Response { tx, response } => self.on_response(tx, response).await,
            SipEvent::Timeout { tx }
            | SipEvent::TransportError {
                tx: TxId::Client(tx),
            } => {
                let Some(leg) = self.remote.as_mut().filter(|l| l.owns(tx)) else {
                    return;
                };
                if leg.on_failure(tx) != Progress::Nothing {
                    self.flow
                        .handle(now(), DialInput::RemoteMissed { status: 0 });
                }
            }
            SipEvent::TransportError {
                tx: TxId::Server(_),
            } => {}
        }
    }

    /// A response to the remote leg's INVITE: a trunk's challenge goes to
    /// the core to answer or not; the rest is the leg's progress.
    async fn on_response(&mut self, tx: ClientTxId, response: Response) {
        if !self.remote.as_ref().is_some_and(|l| l.owns(tx)) {
            return;
        }
        let status = response.status;
        if status >= 300 {
            self.remote_status = status;
        }
        let trunk = matches!(self.out.to, Destination::Trunk { .. });
        if trunk && matches!(status, 401 | 407) {
            let nonce = self.take_challenge(tx, &response);
            self.flow
                .handle(now(), DialInput::RemoteChallenged { status, nonce });
            return;
        }
        let Some(leg) = self.remote.as_mut() else {
            return;
        };
        let input = match leg.on_response(&self.s, tx, &response).await {
            Progress::Nothing if (180..=183).contains(&status) => DialInput::RemoteRinging,
            Progress::Nothing => return,
            Progress::Answered => DialInput::RemoteAnswered,
            Progress::BadAnswer | Progress::Failed | Progress::Rejected => {
                DialInput::RemoteMissed {
                    status: self.remote_status,
                }
            }
        };
        self.flow.handle(now(), input);
    }

    async fn on_request(&mut self, tx: ServerTxId, request: Request, from: Peer) {
        let call_id = request.call_id().unwrap_or("");
        let from_agent = self.request.call_id() == Some(call_id);
        let from_remote = !from_agent
            && self
                .remote
                .as_ref()
                .is_some_and(|l| l.answered.is_some() && l.is_dialog(call_id));
        let reply = |status: u16, reason: &str| Response::for_request(&request, status, reason);
        if !from_agent && !from_remote {
            let _ = self
                .s
                .core
                .respond(tx, reply(481, "Call/Transaction Does Not Exist"))
                .await;
            return;
        }
        match request.method {
            Method::Bye => {
                let _ = self.s.core.respond(tx, reply(200, "OK")).await;
                let input = if from_agent {
                    DialInput::AgentHungUp
                } else {
                    DialInput::RemoteHungUp
                };
                self.flow.handle(now(), input);
            }
            Method::Invite => {
                // Hold, resume or moved media (RFC 3264 section 8).
                let offer = String::from_utf8_lossy(&request.body).into_owned();
                let leg = if from_agent {
                    &mut self.agent_media
                } else {
                    match self.remote.as_mut() {
                        Some(l) => &mut l.media,
                        None => return,
                    }
                };
                let resp = match leg.reoffer(&self.s, &offer).await {
                    Ok((sdp, _)) => {
                        let tag = if from_agent {
                            self.local_tag.clone()
                        } else {
                            String::new()
                        };
                        let contact = self.s.sip.contact(&from, None);
                        answer(&request, 200, &tag, Some(&contact), Some(&sdp))
                    }
                    Err(refusal) => reply(refusal.status, &refusal.reason),
                };
                let _ = self.s.core.respond(tx, resp).await;
            }
            Method::Options | Method::Info => {
                let _ = self.s.core.respond(tx, reply(200, "OK")).await;
            }
            _ => {
                let _ = self.s.core.respond(tx, reply(501, "Not Implemented")).await;
            }
        }
    }

    async fn act(&mut self, action: DialAction) -> Option<DialInput> {
        let s = self.s.clone();
        match action {
            DialAction::RingRemote => return self.ring_remote().await,
            DialAction::AuthorizeRemote => return self.authorize_remote().await,
            DialAction::Ringing => {
                let resp = answer(&self.request, 180, &self.local_tag, None, None);
                let _ = s.core.respond(self.tx, resp).await;
            }
            DialAction::Answer => {
                let contact = s.sip.contact(&self.from, None);
                let ok = answer(
                    &self.request,
                    200,
                    &self.local_tag,
                    Some(&contact),
                    Some(&self.agent_sdp),
                );
                match Dialog::from_uas(&self.request, &ok) {
                    Ok(dialog) => self.dialog = Some(dialog),
                    Err(e) => tracing::info!(error = %e, "the agent's INVITE makes no dialog"),
                }
                let _ = s.core.respond(self.tx, ok).await;
            }
            DialAction::Refuse { status } => {
                let resp = answer(&self.request, status, &self.local_tag, None, None);
                let _ = s.core.respond(self.tx, resp).await;
            }
            DialAction::Bridge => {
                if let Some(remote) = &self.remote {
                    self.agent_media.bridge(&s, &remote.media).await;
                }
            }
            DialAction::HangUpRemote => {
                if let Some(mut leg) = self.remote.take() {
                    leg.hang_up(&s).await;
                    leg.close(&s).await;
                }
            }
            DialAction::CloseRemote => {
                if let Some(mut leg) = self.remote.take() {
                    leg.answered = None;
                    leg.close(&s).await;
                }
            }
            DialAction::GiveRemote => self.give_remote().await,
            DialAction::ByeAgent => {
                if let Some(dialog) = self.dialog.as_mut() {
                    let bye = in_dialog(&s.sip, dialog, Method::Bye, &self.from);
                    let _ = s.core.send(bye, self.from, self.owner.clone()).await;
                }
            }
            DialAction::CloseAgent => {
                self.agent_media.close(&s).await;
                if let Some(call_id) = self.request.call_id() {
                    let key = DialogKey {
                        call_id: bytes::Bytes::copy_from_slice(call_id.as_bytes()),
                        local_tag: self.local_tag.clone(),
                    };
                    let _ = s.core.release(key).await;
                }
            }
            DialAction::Dispatch(event) => {
                if s.dispatch.send(DispatchInput::Acd(event)).await.is_err() {
                    tracing::error!("dispatch is gone");
                }
            }
            DialAction::Record(how, record) => super::records::write(&s, how, &record).await,
            DialAction::Finished => self.finished = true,
        }
        None
    }

    /// Keeps the digest challenge of a trunk's 401/407 to answer; its nonce
    /// when the trunk has a carrier account to answer with.
    fn take_challenge(&mut self, tx: ClientTxId, response: &Response) -> Option<String> {
        let Destination::Trunk { trunk, .. } = &self.out.to else {
            return None;
        };
        trunk.carrier_credentials.as_ref()?;
        match Challenged::of(response) {
            Challenged::Digest { challenge, .. } => {
                let nonce = challenge.nonce.clone();
                self.challenge = Some((tx, challenge));
                Some(nonce)
            }
            Challenged::Unanswerable => None,
        }
    }

    /// Sends the trunk's INVITE again with credentials for its challenge.
    async fn authorize_remote(&mut self) -> Option<DialInput> {
        let missed = Some(DialInput::RemoteMissed {
            status: self.remote_status,
        });
        let Destination::Trunk { trunk, .. } = &self.out.to else {
            return missed;
        };
        let credentials = trunk.carrier_credentials.as_ref();
        let (challenge, leg) = (self.challenge.take(), self.remote.as_mut());
        if answer_carrier_challenge(&self.s, &trunk.name, credentials, challenge, leg).await {
            None
        } else {
            missed
        }
    }

    /// Hands the callee's answered leg to the queue call that asked.
    async fn give_remote(&mut self) {
        let s = self.s.clone();
        let (Some(leg), Some(reply)) = (self.remote.take(), self.handover.take()) else {
            return;
        };
        let Destination::Agent {
            agent, reservation, ..
        } = self.out.to
        else {
            return;
        };
        let (taken, answered) = oneshot::channel();
        let handover = Handover {
            leg,
            agent,
            reservation,
            taken,
        };
        match reply.send(handover) {
            Ok(()) => {
                // The queue call answers the REFER first; one that is stuck
                // does not keep the agent's dialog open.
                let wait = std::time::Duration::from_secs(5);
                let _ = tokio::time::timeout(wait, answered).await;
            }
            Err(Handover { mut leg, .. }) => {
                // The queue call ended meanwhile: nobody takes the callee.
                leg.hang_up(&s).await;
                leg.close(&s).await;
                let hangup = crate::acd::Event::Hangup { call: reservation };
                let _ = s.dispatch.send(DispatchInput::Acd(hangup)).await;
            }
        }
    }

    /// Opens the callee's leg's media and sends its INVITE(s).
    async fn ring_remote(&mut self) -> Option<DialInput> {
        let s = self.s.clone();
        let missed = Some(DialInput::RemoteMissed { status: 0 });
        let (peer, trunk_laws) = match &self.out.to {
            Destination::Trunk { target, trunk, .. } => (target.peer, trunk.laws.clone()),
            Destination::Agent { .. } => (self.from, vec![Law::Mu, Law::A]),
        };
        // The agent's law first (a desk phone's agreed one, or the browser
        // leg's), so the bridge need not transcode.
        let agent_law = self
            .agent_media
            .negotiated
            .map(|n| n.law)
            .or(self.agent_media.browser.map(|c| c.law));
        let laws = match agent_law {
            Some(law) => {
                let mut laws = vec![law];
                laws.extend(trunk_laws.iter().filter(|l| **l != law));
                laws
            }
            None => trunk_laws,
        };
        let (media, sdp) =
            match MediaLeg::offer(&s, self.id.0, self.agent_media.worker, &laws, &peer) {
                Ok(m) => m,
                Err(refusal) => {
                    tracing::info!(reason = %refusal.reason, "no media for the callee's leg");
                    return missed;
                }
            };
        let rung = match self.out.to.clone() {
            Destination::Trunk {
                dial,
                trunk,
                target,
            } => {
                let number = dial.request_uri_user.clone();
                let caller = self
                    .flow
                    .record()
                    .map(|r| r.local_number.clone())
                    .unwrap_or_default();
                let ring = Ring {
                    call: self.id.0,
                    agent: self.out.agent,
                    aor: &number,
                    caller_number: &caller,
                    queue_name: "",
                    auto_answer: false,
                    owner: &self.owner,
                };
                let target = Target {
                    contact: format!("sip:{number}@{}", target.uri_hostport),
                    source: peer,
                };
                let rung = AgentLeg::ring_targets(&s, ring, media, sdp, vec![target]).await;
                if rung.is_ok() {
                    tracing::info!(trunk = %trunk.name, route = dial.route, "dialling out");
                }
                rung
            }
            Destination::Agent { agent, aor, .. } => {
                let ring = Ring {
                    call: self.id.0,
                    agent,
                    aor: &aor,
                    caller_number: &self.out.extension,
                    queue_name: "",
                    auto_answer: false,
                    owner: &self.owner,
                };
                let rung = AgentLeg::ring(&s, ring, media, sdp).await;
                if rung.is_err() {
                    tracing::info!(%agent, "the called agent has no reachable contact");
                    self.remote_status = 480;
                }
                rung
            }
        };
        match rung {
            Ok(leg) => {
                self.remote = Some(leg);
                None
            }
            Err(media) => {
                media.close(&s).await;
                Some(DialInput::RemoteMissed {
                    status: self.remote_status,
                })
            }
        }
    }
}
