//! The queue call's side of a blind transfer to an external number (the
//! rules are the core's, [`crate::call::flow`]'s `external` part): finding
//! the outbound route the transferring agent may use for the number, and
//! the leg that dials it through the route's trunk on the caller's behalf.
//!
//! The caller ID presented is the route's, else the queue's, else the
//! project's; with none of them set, the caller's own number. The leg is
//! an [`AgentLeg`] with one target, as for an agent's own outbound call.
//! The queue call's task dials it, and passes it the external party's
//! responses and in-dialog requests.

use crate::acd::AgentId;
use crate::call::admission::agent_permissions;
use crate::call::agent_leg::{AgentLeg, Progress};
use crate::call::flow::{Input, TransferTo};
use crate::call::now;
use crate::call::outbound::{may_dial, NoRoute};
use crate::call::outbound_target::{plan, ring_out, DialFrom, TrunkPlan, Unplanned};
use crate::call::routing::QueueInfo;
use crate::call::signalling::answer;
use crate::call::Services;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ClientTxId, ServerTxId};

use super::QueueCall;

/// The external party's leg, ringing or answered.
pub(super) struct ExternalLeg {
    pub leg: AgentLeg,
    /// Its last final status, for the transfer's failure.
    pub status: u16,
}

/// What `number` is for `agent`'s transfer of a caller in `queue`, when no
/// queue or extension takes it: an outbound route the agent may use
/// (with how it leaves), a number only routes the agent may not use take,
/// or nothing.
pub(super) async fn resolve(
    s: &Services,
    agent: AgentId,
    queue: &QueueInfo,
    number: &str,
) -> (TransferTo, Option<TrunkPlan>) {
    let Some(permissions) = agent_permissions(s, agent, queue.project).await else {
        return (TransferTo::Unknown, None);
    };
    let routing = s.routing.get();
    let planned = plan(&routing, queue.project, number, Some(queue.id), |r| {
        may_dial(&permissions, r)
    })
    .await;
    match planned {
        Ok(plan) => {
            let to = TransferTo::External {
                number: number.to_owned(),
            };
            (to, Some(plan))
        }
        Err(Unplanned::Route(NoRoute::NotAllowed(_))) => (TransferTo::ExternalNotAllowed, None),
        Err(Unplanned::Route(_)) => (TransferTo::Unknown, None),
        Err(why) => {
            tracing::info!(?why, "the route's trunk cannot be reached: no transfer");
            (TransferTo::Unknown, None)
        }
    }
}

/// Opens the external leg's media next to the caller's and sends its INVITE.
pub(super) async fn ring(
    s: &Services,
    plan: &TrunkPlan,
    from: DialFrom<'_>,
) -> Result<ExternalLeg, Input> {
    match ring_out(s, plan, from).await {
        Some(leg) => {
            tracing::info!(trunk = %plan.trunk.name, route = plan.dial.route, "transfer dials out");
            Ok(ExternalLeg { leg, status: 0 })
        }
        None => Err(Input::ExternalMissed { status: 0 }),
    }
}

/// The core's input for the external leg's progress, if any.
pub(super) fn input_of(progress: Progress, status: u16) -> Option<Input> {
    match progress {
        Progress::Nothing => None,
        Progress::Answered => Some(Input::ExternalAnswered),
        Progress::BadAnswer | Progress::Failed | Progress::Rejected => {
            Some(Input::ExternalMissed { status })
        }
    }
}

impl QueueCall {
    /// A response to the external leg's INVITE.
    pub(super) async fn on_external_response(&mut self, tx: ClientTxId, response: &Response) {
        let Some(ext) = self.external.as_mut() else {
            return;
        };
        if response.status >= 300 {
            ext.status = response.status;
        }
        let progress = ext.leg.on_response(&self.s, tx, response).await;
        if let Some(input) = input_of(progress, ext.status) {
            self.flow.handle(now(), input);
        }
    }

    /// A request in the external party's dialog: their BYE ends the call;
    /// a re-INVITE moves or holds their media.
    pub(super) async fn on_external_request(
        &mut self,
        tx: ServerTxId,
        request: Request,
        from: Peer,
    ) {
        let s = self.s.clone();
        let Some(ext) = self.external.as_mut() else {
            return;
        };
        match request.method {
            Method::Bye => {
                self.respond(tx, &request, 200, "OK").await;
                self.flow.handle(now(), Input::ExternalHungUp);
            }
            Method::Invite => {
                let offer = String::from_utf8_lossy(&request.body).into_owned();
                let resp = match ext.leg.media.reoffer(&s, &offer).await {
                    Ok((sdp, _)) => {
                        let contact = s.sip.contact(&from, None);
                        answer(&request, 200, "", Some(&contact), Some(&sdp))
                    }
                    Err(refusal) => {
                        Response::for_request(&request, refusal.status, &refusal.reason)
                    }
                };
                let _ = s.core.respond(tx, resp).await;
            }
            Method::Options | Method::Info => self.respond(tx, &request, 200, "OK").await,
            _ => self.respond(tx, &request, 501, "Not Implemented").await,
        }
    }

    /// Dials the external number of a transfer.
    pub(super) async fn ring_external(&mut self) -> Option<Input> {
        let missed = Some(Input::ExternalMissed { status: 0 });
        let (Some(plan), Some(agent)) = (self.external_plan.take(), self.flow.connected_agent())
        else {
            return missed;
        };
        let from = DialFrom {
            call: self.task.0,
            agent,
            number: &self.arrival.caller_number,
            media: &self.caller.media,
            owner: &self.owner,
        };
        match ring(&self.s, &plan, from).await {
            Ok(leg) => {
                self.external = Some(leg);
                None
            }
            Err(input) => Some(input),
        }
    }
}
