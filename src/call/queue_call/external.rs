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
use crate::call::agent_leg::{AgentLeg, Progress, Ring, Target};
use crate::call::flow::{Input, TransferTo};
use crate::call::media::MediaLeg;
use crate::call::outbound::{may_dial, Dial, NoRoute};
use crate::call::outbound_target::{resolve as resolve_target, TrunkTarget};
use crate::call::routing::{QueueInfo, TrunkInfo};
use crate::call::Services;
use crate::media::g711::Law;
use crate::sip::tu::Owner;

/// How the number leaves: the route's answer, its trunk and where to.
#[derive(Debug, Clone)]
pub(super) struct ExternalPlan {
    dial: Dial,
    trunk: Box<TrunkInfo>,
    target: TrunkTarget,
}

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
) -> (TransferTo, Option<ExternalPlan>) {
    let Some(permissions) = agent_permissions(s, agent, queue.project).await else {
        return (TransferTo::Unknown, None);
    };
    let routing = s.routing.get();
    let found = routing
        .outbound()
        .route_for(queue.project, number, Some(queue.id), |r| {
            may_dial(&permissions, r)
        });
    let dial = match found {
        Ok(dial) => dial,
        Err(NoRoute::NotAllowed(_)) => return (TransferTo::ExternalNotAllowed, None),
        Err(_) => return (TransferTo::Unknown, None),
    };
    let Some(trunk) = routing.trunk(dial.trunk).cloned() else {
        tracing::info!(
            route = dial.route,
            "the route's trunk is disabled: no transfer"
        );
        return (TransferTo::Unknown, None);
    };
    let target = match trunk.outbound_target() {
        Some(destination) => resolve_target(&destination).await,
        None => None,
    };
    let Some(target) = target else {
        tracing::info!(trunk = %trunk.name, "the route's trunk has no address: no transfer");
        return (TransferTo::Unknown, None);
    };
    let to = TransferTo::External {
        number: number.to_owned(),
    };
    let plan = ExternalPlan {
        dial,
        trunk: Box::new(trunk),
        target,
    };
    (to, Some(plan))
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
    plan: &ExternalPlan,
    caller: Caller<'_>,
) -> Result<ExternalLeg, Input> {
    let missed = Input::ExternalMissed { status: 0 };
    let mut laws = plan.trunk.laws.clone();
    if let Some(n) = caller.media.negotiated {
        laws.retain(|l| *l != n.law);
        laws.insert(0, n.law);
    }
    if laws.is_empty() {
        laws = vec![Law::Mu, Law::A];
    }
    let peer = plan.target.peer;
    let (media, sdp) =
        MediaLeg::offer(s, caller.call, caller.media.worker, &laws, &peer).map_err(|refusal| {
            tracing::info!(reason = %refusal.reason, "no media for the external leg");
            missed.clone()
        })?;
    let number = &plan.dial.request_uri_user;
    let presented = plan.dial.caller_id.as_deref().unwrap_or(caller.number);
    let ring = Ring {
        call: caller.call,
        agent: caller.agent,
        aor: number,
        caller_number: presented,
        queue_name: "",
        auto_answer: false,
        owner: caller.owner,
    };
    let target = Target {
        contact: format!("sip:{number}@{}", plan.target.uri_hostport),
        source: peer,
    };
    match AgentLeg::ring_targets(s, ring, media, sdp, vec![target]).await {
        Ok(leg) => {
            tracing::info!(trunk = %plan.trunk.name, route = plan.dial.route, "transfer dials out");
            Ok(ExternalLeg { leg, status: 0 })
        }
        Err(media) => {
            media.close(s).await;
            Err(missed)
        }
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
