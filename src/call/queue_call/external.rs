//! The queue call's side of a blind transfer to an external number (the
//! rules are the core's, [`crate::call::flow`]'s `external` part): finding
//! the outbound route the transferring agent may use for the number, and
//! the leg that dials it through the route's trunk on the caller's behalf.
//!
//! The caller ID presented is the route's, else the queue's, else the
//! project's; with none of them set, the caller's own number. The leg is
//! an [`AgentLeg`] with one target, as for an agent's own outbound call.

use crate::acd::AgentId;
use crate::call::admission::agent_permissions;
use crate::call::agent_leg::{AgentLeg, Progress};
use crate::call::flow::{Input, TransferTo};
use crate::call::media::MediaLeg;
use crate::call::outbound::{may_dial, NoRoute};
use crate::call::outbound_target::{plan, ring_out, DialFrom, TrunkPlan, Unplanned};
use crate::call::routing::QueueInfo;
use crate::call::Services;
use crate::sip::tu::Owner;

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

/// What the caller's side of the call gives the external leg.
pub(super) struct Caller<'a> {
    pub call: u64,
    pub agent: AgentId,
    pub number: &'a str,
    pub media: &'a MediaLeg,
    pub owner: &'a Owner,
}

/// Opens the external leg's media next to the caller's and sends its INVITE.
pub(super) async fn ring(
    s: &Services,
    plan: &TrunkPlan,
    caller: Caller<'_>,
) -> Result<ExternalLeg, Input> {
    let from = DialFrom {
        call: caller.call,
        agent: caller.agent,
        number: caller.number,
        media: caller.media,
        owner: caller.owner,
    };
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
