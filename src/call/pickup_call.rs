//! The pickup shell: a desk phone dialled a pickup code ([`super::pickup`]).
//!
//! The stored pickup groups say whom the picker may take from; the dispatch
//! task chooses the offer and hands it to the picker (cancelling the ringing
//! phones); the queue call's task then answers the picker's INVITE with its
//! media bridged to the caller ([`CallInput::PickUp`]). A refusal answers
//! the INVITE with its status and reason, a log line and
//! `switchboard_call_pickups_refused_total`.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::acd::AgentId;
use crate::sip::message::Response;
use crate::sip::tu::NewCall;
use crate::store::admin::pickup_groups;

use super::dispatch::DispatchInput;
use super::metrics::CallMetrics;
use super::pickup::{colleagues, Refusal, Request, Target};
use super::{CallInput, Services};

/// Takes the call `request` asks for, for the phone of `user`, or refuses.
pub async fn run(s: Arc<Services>, call: NewCall, user: &str, request: Request) {
    let picked = match choose(&s, &call, user, &request).await {
        Ok(picked) => picked,
        Err(refusal) => return refuse(&s, &call, user, refusal).await,
    };
    let (by, id, ringing) = picked;
    tracing::info!(%by, %ringing, call = id.0, "call picked up");
    let Some(task) = s.registry.call(id) else {
        // The caller hung up meanwhile: dispatch hears it from the call.
        return refuse(&s, &call, user, Refusal::Gone).await;
    };
    let input = CallInput::PickUp {
        agent: by,
        call: Box::new(call),
    };
    if !task.send(input).await {
        tracing::info!(%by, "the picked-up call ended before its picker was answered");
    }
}

/// Whom `user` picks up: themselves as the picker, the call, and the agent
/// it was ringing.
async fn choose(
    s: &Services,
    call: &NewCall,
    user: &str,
    request: &Request,
) -> Result<(AgentId, crate::acd::CallId, AgentId), Refusal> {
    let routing = s.routing.get();
    let by = routing.agent_of(user).ok_or(Refusal::NotAnAgent)?;
    let target = match request {
        Request::Group => Target::Group,
        Request::Directed(extension) => Target::Agent(
            routing
                .agent_of(extension)
                .ok_or(Refusal::UnknownExtension)?,
        ),
    };
    drop(routing);
    if call.request.body.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::NoOffer);
    }
    let groups = pickup_groups::list(&s.store).await.map_err(|e| {
        tracing::error!(error = %e, "pickup groups not read");
        Refusal::Unavailable
    })?;
    let groups: Vec<Vec<AgentId>> = groups
        .into_iter()
        .map(|g| {
            g.members
                .into_iter()
                .filter_map(|m| u64::try_from(m).ok().map(AgentId))
                .collect()
        })
        .collect();
    let from = colleagues(&groups, by, target)?;
    if from.is_empty() {
        return Err(Refusal::NothingRinging);
    }
    let (reply, answer) = oneshot::channel();
    s.dispatch
        .send(DispatchInput::PickUp { by, from, reply })
        .await
        .map_err(|_| Refusal::Unavailable)?;
    let (id, ringing) = answer.await.map_err(|_| Refusal::Unavailable)??;
    Ok((by, id, ringing))
}

/// Answers the picker's INVITE with the refusal, logs and counts it.
pub(super) async fn refuse(s: &Services, call: &NewCall, user: &str, refusal: Refusal) {
    let (status, reason) = refusal.status();
    CallMetrics::bump(&s.metrics.pickups_refused);
    tracing::info!(%user, status, reason, "pickup refused");
    let mut resp = Response::for_request(&call.request, status, reason);
    resp.set_to_tag(&call.local_tag);
    let _ = s.core.respond(call.tx, resp).await;
}
