//! Who may call, and where the call goes.
//!
//! An INVITE is taken from a trunk (its source address is in a trunk's
//! networks, over UDP or TCP; a trunk with credentials must also pass
//! digest) or from a user
//! who authenticates with digest (RFC 7616) as one of our extensions.
//! Anyone else is challenged, whatever user its From header names, and
//! answered exactly as a user of ours with a wrong password would be: the
//! answers tell a scanner nothing of which names exist. No toll fraud, no
//! open relay: nothing goes further without credentials.
//! The dialled number then picks the queue or the IVR menu (see
//! [`super::routing`]); an unknown number gets 404. A user's call to another agent's extension is an
//! internal call (the consultation of an attended transfer); a pickup code
//! ([`super::pickup`]) takes a call ringing a colleague; any other number a
//! user dials leaves through an outbound route.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use crate::media::g711::Law;
use crate::sip::authenticator::AuthOutcome;
use crate::sip::core::unix_ms;
use crate::sip::message::{HeaderName, Response};
use crate::sip::peer::Transport;
use crate::sip::tu::NewCall;

use super::metrics::CallMetrics;
use super::outbound::{may_dial, NoRoute};
use super::outbound_call::{self, Destination, Outbound};
use super::outbound_target::Unplanned;
use super::queue_call::{self, Arrival};
use super::signalling::{caller_number, dialled_number};
use super::Services;
use crate::store::admin::permissions;

/// Digest checks for INVITEs, against the same accounts the registrar uses.
pub trait Authorize: Send + Sync {
    /// Checks the Authorization values of a request made with `method`,
    /// against our users' accounts, or against `trunk` (its username, MD5 and
    /// SHA-256 HA1) when the request came through a trunk with credentials.
    fn check<'a>(
        &'a self,
        authorizations: Vec<String>,
        method: &'a str,
        source: IpAddr,
        now_ms: u64,
        trunk: Option<(String, String, String)>,
    ) -> Pin<Box<dyn Future<Output = AuthOutcome> + Send + 'a>>;

    /// The WWW-Authenticate values of a 401.
    fn challenges(&self, stale: bool, now_ms: u64) -> Vec<String>;
}

/// Admits or refuses one new INVITE; an admitted call runs to its end here.
pub async fn run(s: Arc<Services>, call: NewCall) {
    CallMetrics::bump(&s.metrics.invites);
    if s.registry.is_draining() {
        CallMetrics::bump(&s.metrics.refused_stopping);
        tracing::info!("server stopping: INVITE refused with 503");
        refuse_for_now(&s, &call, "Server stopping", 30).await;
        return;
    }
    if s.registry.calls() >= s.settings.max_calls {
        CallMetrics::bump(&s.metrics.over_limit);
        tracing::warn!("call limit reached: INVITE refused with 503");
        refuse_for_now(&s, &call, "Too many calls", 5).await;
        return;
    }
    let routing = s.routing.get();
    let source = call.from.addr.ip();
    // A browser's WebSocket comes from wherever its user sits, the trunk's
    // machine included, and may be driven by any site's page: it always
    // authenticates as a user.
    let trunk = match call.from.transport {
        Transport::Ws | Transport::Wss => None,
        _ => routing.trunk_for(source).cloned(),
    };
    // Anyone else is challenged, whatever user the From header names: a
    // different answer for a name that is not ours would tell a scanner
    // which names are.
    let needs_digest = match &trunk {
        Some(t) => t.username.as_deref(),
        None => Some(""),
    };
    let mut user = None;
    if let Some(required_user) = needs_digest {
        let authorizations: Vec<String> = call
            .request
            .headers
            .get_all(&HeaderName::Authorization)
            .filter_map(|v| std::str::from_utf8(v).ok().map(str::to_owned))
            .collect();
        let now = unix_ms();
        let trunk_account = trunk.as_ref().and_then(|t| {
            let (md5, sha256) = t.ha1.clone()?;
            Some((t.username.clone()?, md5, sha256))
        });
        match s
            .authorize
            .check(authorizations, "INVITE", source, now, trunk_account)
            .await
        {
            AuthOutcome::Authenticated(account)
                if required_user.is_empty() || account.username == required_user =>
            {
                if trunk.is_none() {
                    user = Some(account.username);
                }
            }
            AuthOutcome::Authenticated(_) => {
                CallMetrics::bump(&s.metrics.forbidden);
                refuse(&s, &call, 403, "Credentials are not the trunk's").await;
                return;
            }
            AuthOutcome::Challenge { stale } => {
                CallMetrics::bump(&s.metrics.challenged);
                let mut resp =
                    super::signalling::answer(&call.request, 401, &call.local_tag, None, None);
                for value in s.authorize.challenges(stale, now) {
                    resp.headers.push(HeaderName::WwwAuthenticate, value);
                }
                let _ = s.core.respond(call.tx, resp).await;
                return;
            }
            AuthOutcome::Forbidden(reason) => {
                CallMetrics::bump(&s.metrics.forbidden);
                refuse(&s, &call, 403, reason).await;
                return;
            }
            AuthOutcome::Unavailable => {
                refuse(&s, &call, 500, "Directory unavailable").await;
                return;
            }
        }
    }

    let Some(dialled) = dialled_number(&call.request) else {
        CallMetrics::bump(&s.metrics.unrouted);
        refuse(&s, &call, 404, "No number dialled").await;
        return;
    };
    let caller = caller_number(&call.request);
    let project = routing.project_of_number(&dialled);
    if let Some(p) = project.filter(|p| !s.ownership.owns(*p)) {
        // Another node serves the project (or will once it takes it over):
        // the edge tries again there.
        CallMetrics::bump(&s.metrics.not_ours);
        tracing::info!(%dialled, project = p.0, "INVITE for a project another node serves");
        refuse_for_now(&s, &call, "Project served by another node", 1).await;
        return;
    }
    let blocked = project.and_then(|p| routing.blocked(p, &caller)).cloned();
    if let Some(block) = blocked {
        CallMetrics::bump(&s.metrics.blacklisted);
        tracing::info!(%dialled, %caller, pattern = %block.pattern, "blacklisted caller");
        match block.prompt {
            None => refuse(&s, &call, 403, "Forbidden").await,
            Some(prompt) => {
                let arrival = arrival_of(&call, dialled, trunk.as_ref());
                drop(routing);
                super::ivr_call::run_prompt(s, call, prompt, arrival).await;
            }
        }
        return;
    }
    if let Some(start) = routing.entry_for_number(&dialled) {
        // A route to an IVR menu (or any destination but a queue).
        let arrival = arrival_of(&call, dialled, trunk.as_ref());
        drop(routing);
        super::ivr_call::run(s, call, start, arrival).await;
        return;
    }
    let Some(queue) = routing.queue_for_number(&dialled) else {
        if let Some(user) = user {
            if let Some(request) = s.settings.pickup.parse(&dialled) {
                drop(routing);
                super::pickup_call::run(s, call, &user, request).await;
                return;
            }
            // An agent's phone calls a colleague, or out.
            let out = match routing.agent_of(&dialled) {
                Some(callee) => internal(&s, &routing, &user, &dialled, callee).await,
                None => outbound(&s, &routing, &user, &dialled).await,
            };
            match out {
                Ok(out) => {
                    drop(routing);
                    outbound_call::run(s, call, out).await;
                }
                Err((status, reason)) => {
                    CallMetrics::bump(&s.metrics.outbound_refused);
                    tracing::info!(%dialled, %user, status, reason, "outbound call refused");
                    refuse(&s, &call, status, reason).await;
                }
            }
            return;
        }
        CallMetrics::bump(&s.metrics.unrouted);
        tracing::info!(%dialled, "INVITE for an unknown number");
        refuse(&s, &call, 404, "No route for this number").await;
        return;
    };
    if !queue.takes_calls() {
        CallMetrics::bump(&s.metrics.text_queue_refused);
        tracing::warn!(%dialled, queue = %queue.id, "INVITE for a text queue refused");
        refuse(&s, &call, 404, "No voice queue at this number").await;
        return;
    }
    let arrival = arrival_of(&call, dialled, trunk.as_ref());
    drop(routing);
    queue_call::run(s, call, queue, arrival).await;
}

/// What admission learnt about an inbound call to `dialled`.
fn arrival_of(
    call: &NewCall,
    dialled: String,
    trunk: Option<&super::routing::TrunkInfo>,
) -> Arrival {
    Arrival {
        caller_number: caller_number(&call.request),
        dialled,
        laws: trunk
            .map(|t| t.laws.clone())
            .unwrap_or_else(|| vec![Law::Mu, Law::A]),
        trunk: trunk.map(|t| t.name.clone()),
    }
}

/// How `user`'s call to `dialled` leaves: the first outbound route of their
/// project that takes the number and that their Dial Plan permission allows,
/// and its trunk; or the refusal.
pub(super) async fn outbound(
    s: &Services,
    routing: &super::routing::Routing,
    user: &str,
    dialled: &str,
) -> Result<Outbound, (u16, &'static str)> {
    let agent = routing
        .agent_of(user)
        .ok_or((403, "Only agents may call out"))?;
    let (project, _) = routing
        .assignment(agent)
        .ok_or((403, "Not working in any project"))?;
    let permissions = agent_permissions(s, agent, project)
        .await
        .ok_or((500, "Permissions unavailable"))?;
    let plan = super::outbound_target::plan(routing, project, dialled, None, |r| {
        may_dial(&permissions, r)
    })
    .await
    .map_err(|e| match e {
        Unplanned::Route(NoRoute::NotANumber(_) | NoRoute::NoMatch(_)) => {
            (404, "No route for this number")
        }
        Unplanned::Route(NoRoute::NotAllowed(_)) => (403, "Not allowed to call this number"),
        Unplanned::TrunkDisabled => (503, "The route's trunk is disabled"),
        Unplanned::NoAddress => (503, "The route's trunk has no address to call"),
    })?;
    Ok(Outbound {
        agent,
        dialled: dialled.to_owned(),
        extension: user.to_owned(),
        to: Destination::Trunk {
            dial: plan.dial,
            trunk: plan.trunk,
            target: plan.target,
        },
    })
}

/// The effective permissions of `agent` working in `project`, for the Dial
/// Plan; `None` when they cannot be read.
pub async fn agent_permissions(
    s: &Services,
    agent: crate::acd::AgentId,
    project: crate::acd::ProjectId,
) -> Option<permissions::Effective> {
    let user_id = i64::try_from(agent.0).ok()?;
    let project_id = i64::try_from(project.0).ok()?;
    // The project's default profile counts when the user is one of its
    // members; an agent who only serves its queues has their own profiles
    // and their queues'.
    let read = match permissions::of_user(&s.store, user_id, Some(project_id)).await {
        Ok(p) => Ok(p),
        Err(_) => permissions::of_user(&s.store, user_id, None).await,
    };
    read.map_err(|e| tracing::error!(error = %e, "permissions not read"))
        .ok()
}

/// How `user`'s call to the agent `callee` (at extension `dialled`) goes:
/// dispatch is asked to hold the callee for it, as for a transfer (logged
/// in, free, Available or in a Transferable status); the call core refuses
/// it with 486 when dispatch says no.
async fn internal(
    s: &Services,
    routing: &super::routing::Routing,
    user: &str,
    dialled: &str,
    callee: crate::acd::AgentId,
) -> Result<Outbound, (u16, &'static str)> {
    let agent = routing
        .agent_of(user)
        .ok_or((403, "Only agents may call agents"))?;
    if agent == callee {
        return Err((403, "An agent cannot call themselves"));
    }
    let aor = routing
        .aor_of(callee)
        .ok_or((404, "No such extension"))?
        .to_owned();
    let reservation = crate::acd::CallId(super::new_interaction_id());
    let (reply, answer) = tokio::sync::oneshot::channel();
    let asked = s
        .dispatch
        .send(super::DispatchInput::StartTransfer {
            call: reservation,
            agent: callee,
            reply,
        })
        .await
        .is_ok();
    let accepted = asked && answer.await.unwrap_or(false);
    Ok(Outbound {
        agent,
        dialled: dialled.to_owned(),
        extension: user.to_owned(),
        to: Destination::Agent {
            agent: callee,
            aor,
            reservation,
            accepted,
        },
    })
}

async fn refuse(s: &Services, call: &NewCall, status: u16, reason: &str) {
    let mut resp = Response::for_request(&call.request, status, reason);
    resp.set_to_tag(&call.local_tag);
    let _ = s.core.respond(call.tx, resp).await;
}

/// 503 with Retry-After: the server cannot take the call now.
async fn refuse_for_now(s: &Services, call: &NewCall, reason: &str, retry_after_secs: u32) {
    let mut resp = Response::for_request(&call.request, 503, reason);
    resp.set_to_tag(&call.local_tag);
    resp.headers
        .push(HeaderName::RetryAfter, retry_after_secs.to_string());
    let _ = s.core.respond(call.tx, resp).await;
}
