//! The panel's JSON: the state object, offers, the connected call, the
//! queues with their waiting counts and the wrap-up form, as the panel
//! protocol names them. Names, the result codes offered and the queue's tags
//! are read when a message is made.

use serde_json::{json, Value};

use super::{agent_id, now, AgentState};
use crate::acd::{self, Presence};
use crate::api::admin::problem::Problem;
use crate::call::agents::{AgentView, Connected, Offer, Wrapup};
use crate::store::admin::statuses::Status;
use crate::store::admin::{panel, result_codes, statuses, AdminError};

pub(crate) fn presence_name(p: Presence) -> &'static str {
    match p {
        Presence::Offline => "offline",
        Presence::Available => "available",
        Presence::Break => "break",
        Presence::Ringing => "ringing",
        Presence::InCall => "in_call",
        Presence::AfterCallWork => "after_call_work",
    }
}

pub(crate) fn queue_json(a: &AgentState, queue: Option<acd::QueueId>) -> Value {
    match queue {
        Some(q) => {
            let name = a
                .routing
                .get()
                .queue(q)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            json!({"id": q.0, "name": name})
        }
        None => Value::Null,
    }
}

pub(crate) fn status_json(s: &Status) -> Value {
    json!({"id": s.id, "name": s.name, "category": s.category.as_str(),
           "play_sound": s.play_sound})
}

pub(super) fn offer_json(a: &AgentState, o: &Offer) -> Value {
    json!({
        "call": o.call.0,
        "queue": queue_json(a, o.queue),
        "caller": o.caller,
        "ring_for_ms": u64::try_from(o.ring_for.as_millis()).unwrap_or(u64::MAX),
        "auto_answer": o.auto_answer,
    })
}

/// The connected call; `recording` is its queue's recording mode, which
/// tells the panel whether to offer recording on demand.
pub(super) fn call_json(a: &AgentState, c: &Connected) -> Value {
    let recording = c
        .queue
        .and_then(|q| a.routing.get().queue(q))
        .map_or("never", |q| q.recording.as_str());
    json!({
        "id": c.call.0,
        "queue": queue_json(a, c.queue),
        "caller": c.caller,
        "recording": recording,
    })
}

pub(super) fn queues_json(a: &AgentState, view: &AgentView) -> Value {
    let routing = a.routing.get();
    let mut list: Vec<Value> = view
        .queues
        .iter()
        .map(|(q, waiting)| {
            let name = routing
                .queue(*q)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            json!({"id": q.0, "name": name, "waiting": waiting})
        })
        .collect();
    list.sort_by(|x, y| x["name"].as_str().cmp(&y["name"].as_str()));
    Value::Array(list)
}

/// The result codes `user` is offered for `queue`; none for a queue gone since.
pub(super) async fn offered_codes(
    a: &AgentState,
    queue: i64,
    user: i64,
) -> Result<Vec<result_codes::ResultCode>, AdminError> {
    result_codes::offered(&a.store, queue, Some(user))
        .await
        .map(|o| o.result_codes)
        .or_else(|e| match e {
            AdminError::NotFound(_) => Ok(Vec::new()),
            e => Err(e),
        })
}

/// The result form: the result codes offered for the call's queue (to this
/// user) and the queue's tags.
pub(super) async fn wrapup_json(a: &AgentState, user: i64, w: &Wrapup) -> Result<Value, Problem> {
    let (codes, tags) = match w.queue {
        Some(q) => {
            let q = q.0 as i64;
            let codes = offered_codes(a, q, user).await?;
            (codes, panel::queue_tags(&a.store, q).await?)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(json!({
        "call": w.call.0,
        "queue": queue_json(a, w.queue),
        "until": w.until.0,
        "result_codes": codes.iter().map(|c| json!({
            "id": c.id,
            "name": c.display_name,
            "note_required": c.flags.note_required,
            "date_required": c.flags.ask_date,
            "final": c.flags.final_result,
            "extra_time_secs": if c.flags.extra_time { c.extra_time_secs } else { 0 },
        })).collect::<Vec<_>>(),
        "tags": tags.iter().map(|t| json!({"id": t.id, "name": t.name, "colour": t.colour}))
            .collect::<Vec<_>>(),
    }))
}

/// The state object of the protocol.
pub(super) async fn state_json(
    a: &AgentState,
    user: i64,
    view: &AgentView,
) -> Result<Value, Problem> {
    let project = match view.project {
        Some(p) => {
            let name = panel::project_name(&a.store, p.0 as i64)
                .await?
                .unwrap_or_default();
            json!({"id": p.0, "name": name})
        }
        None => Value::Null,
    };
    let status = match view.status {
        Some(s) => match statuses::get(&a.store, s.0 as i64).await {
            Ok(s) => status_json(&s),
            Err(AdminError::NotFound(_)) => {
                json!({"id": s.0, "name": "", "category": "offline", "play_sound": false})
            }
            Err(e) => return Err(e.into()),
        },
        None => json!({"id": null, "name": "Offline", "category": "offline",
                       "play_sound": false}),
    };
    let wrapup = match &view.wrapup {
        Some(w) => wrapup_json(a, user, w).await?,
        None => Value::Null,
    };
    Ok(json!({
        "project": project,
        "status": status,
        "since": view.since.0,
        "presence": presence_name(view.presence),
        "break_left_ms": u64::try_from(view.break_left.as_millis()).unwrap_or(u64::MAX),
        "queues": queues_json(a, view),
        "offer": view.offer.as_ref().map(|o| offer_json(a, o)),
        "call": view.call.as_ref().map(|c| call_json(a, c)),
        "wrapup": wrapup,
    }))
}

pub(super) async fn current_state(a: &AgentState, user: i64) -> Result<Value, Problem> {
    let view = a.hub.view(agent_id(user), now());
    state_json(a, user, &view).await
}
