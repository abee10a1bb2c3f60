//! The outbound call's task: the thin shell around [`DialFlow`] for an
//! agent's call out through a trunk.
//!
//! The agent's INVITE stays unanswered while the trunk's leg rings (our 180
//! tells the phone to play ringback); the trunk's answer is bridged to the
//! agent's media and answered to the phone with our SDP. All decisions are
//! the core's; this task turns SIP events into its inputs and performs its
//! actions.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{AgentId, CallId, Millis};
use crate::cdr;
use crate::media::g711::Law;
use crate::sip::core::unix_ms;
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ServerTxId, TxId};
use crate::sip::tu::{DialogKey, NewCall, Owner, SipEvent};

use super::agent_leg::{AgentLeg, Progress, Ring, Target};
use super::dial::{DialAction, DialFlow, DialInput};
use super::dispatch::DispatchInput;
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::outbound::Dial;
use super::routing::TrunkInfo;
use super::signalling::{answer, in_dialog};
use super::{new_interaction_id, CallInput, Services};

/// What admission decided for an agent's outbound call.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub agent: AgentId,
    /// The number as the agent dialled it.
    pub dialled: String,
    /// How it leaves: route, number for the trunk, caller ID.
    pub dial: Dial,
    pub trunk: TrunkInfo,
    /// Where the trunk's INVITE goes.
    pub target: std::net::SocketAddr,
    /// The agent's extension, presented when no caller ID is set.
    pub extension: String,
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
    out: Outbound,
    flow: DialFlow,
    finished: bool,
}

fn now() -> Millis {
    Millis(unix_ms())
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

    let offer = String::from_utf8_lossy(&request.body).into_owned();
    let opened = if offer.trim().is_empty() {
        Err(super::media::MediaRefusal {
            status: 488,
            reason: "An SDP offer is required".into(),
        })
    } else {
        MediaLeg::answer(&s, id.0, &offer, &[Law::Mu, Law::A], &from)
    };
    let (agent_media, agent_sdp) = match opened {
        Ok(m) => m,
        Err(refusal) => {
            CallMetrics::bump(&s.metrics.refused_media);
            let resp = answer(&request, refusal.status, &local_tag, None, None);
            let _ = s.core.respond(tx, resp).await;
            s.registry.remove_call(id);
            return;
        }
    };
    CallMetrics::bump(&s.metrics.outbound_calls);
    let caller_id = out
        .dial
        .caller_id
        .clone()
        .unwrap_or_else(|| out.extension.clone());
    let arrival = cdr::Arrival {
        id: cdr::InteractionId(id.0),
        interaction_type: cdr::InteractionType::Call,
        direction: cdr::Direction::Outbound,
        domain: s.settings.domain.clone(),
        remote_number: out.dialled.clone(),
        local_number: caller_id,
    };
    let flow = DialFlow::new(
        now(),
        out.agent,
        arrival,
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
        out,
        flow,
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
                // Media events of the legs; nothing there changes the call yet.
                Some(_) = inputs.recv() => {}
                _ = sleep_until(deadline) => call.flow.handle_timeout(now()),
            }
            call.perform().await;
        }
    }
    .instrument(span)
    .await;
    s.registry.remove_call(id);
    CallMetrics::bump(&s.metrics.ended);
}

impl OutboundCall {
    async fn perform(&mut self) {
        while let Some(action) = self.flow.poll_action() {
            if let Some(input) = self.act(action).await {
                self.flow.handle(now(), input);
            }
        }
    }

    async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Ack { .. } => self.flow.handle(now(), DialInput::AgentAcked),
            SipEvent::Cancelled { .. } => self.flow.handle(now(), DialInput::AgentCancelled),
            SipEvent::ServerTimeout { .. } => self.flow.handle(now(), DialInput::AgentNeverAcked),
            SipEvent::Response { tx, response } => {
                let Some(leg) = self.remote.as_mut().filter(|l| l.owns(tx)) else {
                    return;
                };
                let status = response.status;
                if status >= 300 {
                    self.remote_status = status;
                }
                let progress = leg.on_response(&self.s, tx, &response).await;
                let input = match progress {
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

    /// Opens the trunk leg's media and sends its INVITE.
    async fn ring_remote(&mut self) -> Option<DialInput> {
        let s = self.s.clone();
        let missed = Some(DialInput::RemoteMissed { status: 0 });
        let peer = Peer::udp(self.out.target);
        let laws = match self.agent_media.negotiated {
            Some(n) => {
                let mut laws = vec![n.law];
                laws.extend(self.out.trunk.laws.iter().filter(|l| **l != n.law));
                laws
            }
            None => self.out.trunk.laws.clone(),
        };
        let (media, sdp) =
            match MediaLeg::offer(&s, self.id.0, self.agent_media.worker, &laws, &peer) {
                Ok(m) => m,
                Err(refusal) => {
                    tracing::info!(reason = %refusal.reason, "no media for the trunk leg");
                    return missed;
                }
            };
        let number = self.out.dial.request_uri_user.clone();
        let caller = self.flow.record().local_number.clone();
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
            contact: format!("sip:{number}@{}", self.out.target),
            source: peer,
        };
        match AgentLeg::ring_targets(&s, ring, media, sdp, vec![target]).await {
            Ok(leg) => {
                tracing::info!(trunk = %self.out.trunk.name, route = self.out.dial.route, "dialling out");
                self.remote = Some(leg);
                None
            }
            Err(media) => {
                media.close(&s).await;
                missed
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
