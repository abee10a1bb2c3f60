//! The SIP requests and responses a queue call meets after its answer: the
//! caller's in-dialog requests (BYE, re-INVITE for hold, REFER from the
//! connected agent's phone, with or without Replaces), the agent legs'
//! progress, and the answers they get. Each becomes an input of the core.

use tokio::sync::oneshot;

use super::{external, transfer, QueueCall, Transferor};
use crate::acd::{AgentId, CallId};
use crate::call::agent_leg::Progress;
use crate::call::consult::Replaces;
use crate::call::flow::{Input, TransferTo};
use crate::call::metrics::CallMetrics;
use crate::call::signalling::answer;
use crate::call::{new_interaction_id, now, CallInput};
use crate::media::sdp::Direction;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ServerTxId, TxId};
use crate::sip::tu::SipEvent;

impl QueueCall {
    pub(super) async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Ack { request, .. } => {
                if self.is_callers(&request) {
                    self.flow.handle(now(), Input::CallerAcked);
                }
            }
            SipEvent::Cancelled { .. } => {
                // Our 200 went out at once; a CANCEL that still matched means
                // the caller gave up before hearing it.
                self.flow.handle(now(), Input::CallerHungUp);
            }
            SipEvent::ServerTimeout { .. } => self.flow.handle(now(), Input::CallerNeverAcked),
            SipEvent::Response { tx, response } => {
                if self.external.as_ref().is_some_and(|e| e.leg.owns(tx)) {
                    return self.on_external_response(tx, &response).await;
                }
                if self.monitor.owns(tx) {
                    return self.on_monitor_response(tx, &response).await;
                }
                let Some(i) = self.legs.iter().position(|a| a.owns(tx)) else {
                    return;
                };
                // A retransmitted 2xx of the answered agent is ACKed again
                // here and means nothing more.
                let progress = self.legs[i].on_response(&self.s, tx, &response).await;
                self.on_progress(i, progress);
            }
            SipEvent::Timeout { tx }
            | SipEvent::TransportError {
                tx: TxId::Client(tx),
            } => {
                if let Some(ext) = self.external.as_mut().filter(|e| e.leg.owns(tx)) {
                    let progress = ext.leg.on_failure(tx);
                    if let Some(input) = external::input_of(progress, 408) {
                        self.flow.handle(now(), input);
                    }
                    return;
                }
                if self.monitor.owns(tx) {
                    return self.on_monitor_failure(tx).await;
                }
                let Some(i) = self.legs.iter().position(|a| a.owns(tx)) else {
                    return;
                };
                let progress = self.legs[i].on_failure(tx);
                self.on_progress(i, progress);
            }
            SipEvent::TransportError {
                tx: TxId::Server(_),
            } => {}
        }
    }

    pub(super) fn on_progress(&mut self, i: usize, progress: Progress) {
        let leg = &self.legs[i];
        let agent = leg.agent;
        let input = match progress {
            Progress::Nothing => return,
            Progress::Answered => Input::AgentAnswered {
                agent,
                browser: leg.is_browser(),
            },
            Progress::Rejected => Input::AgentMissed {
                agent,
                rejected: true,
            },
            Progress::BadAnswer | Progress::Failed => Input::AgentMissed {
                agent,
                rejected: false,
            },
        };
        self.flow.handle(now(), input);
    }

    pub(super) fn is_callers(&self, request: &Request) -> bool {
        request.call_id().map(str::as_bytes) == Some(self.caller.dialog.id.call_id.as_ref())
    }

    /// The answered agent leg whose dialog `request` is in.
    pub(super) fn agent_of(&self, request: &Request) -> Option<AgentId> {
        let call_id = request.call_id()?;
        self.legs
            .iter()
            .find(|l| l.answered.is_some() && l.is_dialog(call_id))
            .map(|l| l.agent)
    }

    pub(super) async fn respond(
        &self,
        tx: ServerTxId,
        request: &Request,
        status: u16,
        reason: &str,
    ) {
        let _ = self
            .s
            .core
            .respond(tx, Response::for_request(request, status, reason))
            .await;
    }

    pub(super) async fn on_request(&mut self, tx: ServerTxId, request: Request, from: Peer) {
        let call_id = request.call_id().unwrap_or("");
        if self
            .external
            .as_ref()
            .is_some_and(|e| e.leg.is_dialog(call_id))
        {
            return self.on_external_request(tx, request, from).await;
        }
        if self.monitor.is_dialog(call_id) {
            return self.on_monitor_request(tx, request, from).await;
        }
        let from_caller = self.is_callers(&request);
        let agent = if from_caller {
            None
        } else {
            self.agent_of(&request)
        };
        if !from_caller && agent.is_none() {
            self.respond(tx, &request, 481, "Call/Transaction Does Not Exist")
                .await;
            return;
        }
        match request.method {
            Method::Bye => {
                self.respond(tx, &request, 200, "OK").await;
                let input = match agent {
                    Some(agent) => Input::AgentHungUp { agent },
                    None => Input::CallerHungUp,
                };
                self.flow.handle(now(), input);
            }
            Method::Info => {
                let ct = request.content_type().unwrap_or("").to_owned();
                let body = String::from_utf8_lossy(&request.body).into_owned();
                match crate::media::dtmf::parse_info(&ct, &body, std::time::Instant::now()) {
                    Ok(digit) => {
                        self.respond(tx, &request, 200, "OK").await;
                        if from_caller {
                            self.flow.handle(now(), Input::Digit(digit.key));
                        }
                    }
                    Err(e) => self.respond(tx, &request, 415, &e.to_string()).await,
                }
            }
            Method::Invite => self.on_reinvite(tx, request, agent, from).await,
            Method::Options => self.respond(tx, &request, 200, "OK").await,
            Method::Refer => match agent {
                Some(agent) => self.on_refer(tx, request, agent).await,
                // The caller may not send the call elsewhere.
                None => self.respond(tx, &request, 403, "Forbidden").await,
            },
            _ => self.respond(tx, &request, 501, "Not Implemented").await,
        }
    }

    /// A re-INVITE: hold, resume or moved media (RFC 3264 section 8).
    pub(super) async fn on_reinvite(
        &mut self,
        tx: ServerTxId,
        request: Request,
        agent: Option<AgentId>,
        from: Peer,
    ) {
        let offer = String::from_utf8_lossy(&request.body).into_owned();
        let leg = match agent {
            None => Some(&mut self.caller.media),
            Some(agent) => self
                .legs
                .iter_mut()
                .find(|l| l.agent == agent)
                .map(|l| &mut l.media),
        };
        let Some(leg) = leg else { return };
        if offer.trim().is_empty() {
            self.respond(tx, &request, 488, "An SDP offer is required")
                .await;
            return;
        }
        match leg.reoffer(&self.s, &offer).await {
            Ok((sdp, direction)) => {
                let local_tag = match agent {
                    None => self.caller.dialog.id.local_tag.clone(),
                    Some(_) => String::new(),
                };
                let contact = self.s.sip.contact(&from, None);
                let resp = answer(&request, 200, &local_tag, Some(&contact), Some(&sdp));
                let _ = self.s.core.respond(tx, resp).await;
                match agent {
                    Some(_) => {
                        // A phone holds with sendonly (it plays its own
                        // music) or inactive: either way it hears nothing.
                        let on_hold = !direction.receives();
                        self.flow.handle(now(), Input::AgentHold { on_hold });
                    }
                    None if direction == Direction::Inactive => {
                        tracing::debug!("caller put the call on hold");
                    }
                    None => {}
                }
            }
            Err(refusal) => {
                self.respond(tx, &request, refusal.status, &refusal.reason)
                    .await;
            }
        }
    }

    /// A REFER from the connected agent's phone (RFC 3515).
    pub(super) async fn on_refer(&mut self, tx: ServerTxId, request: Request, agent: AgentId) {
        if self.transferor.is_some() {
            // One transfer at a time (RFC 3515 section 2.4.7 lets us refuse).
            self.respond(tx, &request, 491, "Request Pending").await;
            return;
        }
        let transfer::ReferTarget { user, replaces } = match transfer::refer_target(&request) {
            Ok(target) => target,
            Err((status, reason)) => {
                tracing::info!(status, reason, "REFER refused");
                CallMetrics::bump(&self.s.metrics.transfers_refused);
                self.respond(tx, &request, status, reason).await;
                return;
            }
        };
        self.transferor = Some(Transferor::Refer {
            tx,
            request: Box::new(request),
        });
        match replaces {
            Some(replaces) => self.attended_transfer(agent, &replaces).await,
            None => self.transfer(agent, &user).await,
        }
    }

    /// Takes the agent `agent` consulted from the internal call `replaces`
    /// names, and hands the request to the core.
    pub(super) async fn attended_transfer(&mut self, agent: AgentId, replaces: &Replaces) {
        let mut to = TransferTo::NoConsultation;
        let mut next = CallId(new_interaction_id());
        let mut taken = None;
        // Only the agent on the call may end the consultation for it.
        let consultation = self
            .s
            .registry
            .consultation(replaces)
            .filter(|c| c.agent == agent && self.flow.connected_agent() == Some(agent));
        if let Some(task) = consultation.and_then(|c| self.s.registry.call(c.call)) {
            let (reply, handed) = oneshot::channel();
            let asked = task
                .send(CallInput::HandOver {
                    agent,
                    worker: self.caller.media.worker,
                    reply,
                })
                .await;
            // An internal call answers at once; one that is stuck is as
            // good as gone.
            let wait = std::time::Duration::from_secs(5);
            if let (true, Ok(Ok(handover))) = (asked, tokio::time::timeout(wait, handed).await) {
                let mut leg = handover.leg;
                leg.adopt(&self.s, self.task.0, &self.owner).await;
                self.legs.push(leg);
                to = TransferTo::Consulted {
                    agent: handover.agent,
                };
                next = handover.reservation;
                taken = Some(handover.taken);
            }
        }
        if to == TransferTo::NoConsultation {
            tracing::info!(call_id = %replaces.call_id, "attended transfer names no consultation");
        }
        self.flow.handle(now(), Input::Transfer { agent, to, next });
        self.perform().await;
        if let Some(taken) = taken {
            let _ = taken.send(());
        }
    }
}
