//! `GET /api/agent/ws`: the live panel. The first message is the agent's
//! state (so a reload recovers the call in progress or the pending wrap-up);
//! then each agent-hub event becomes one message. The page may send
//! `{"type":"status","status":id}`, and `{"type":"dial","number":"..."}`
//! to call a number from the agent's desk phone (click-to-dial): each step
//! of that call comes back as a `dial` message ([`super::dial`]). A
//! follow-up of the agent's (or of a queue they are logged in to) that
//! falls due comes as a `follow_up` message ([`super::follow_ups`]).

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::render::{offer_json, queues_json, state_json, wrapup_json};
use super::{agent_id, agent_of, choose_status, now, AgentState};
use crate::api::admin::auth::Principal;
use crate::call::agents::{AgentView, HubEvent};
use crate::call::click_dial_call::DialUpdate;
use crate::call::dispatch::PanelRequest;
use crate::call::DispatchInput;
use crate::store::admin::permissions::Effective;
use crate::store::follow_ups::FollowUp;

/// `GET /api/agent/ws`: the live panel.
pub(super) async fn websocket(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let (user, permissions) = match agent_of(&principal) {
        Ok((u, p)) => (u, p.clone()),
        Err(p) => return p.into_response(),
    };
    upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| panel_socket(a, user, permissions, socket))
}

async fn panel_socket(a: Arc<AgentState>, user: i64, permissions: Effective, socket: WebSocket) {
    let _open = a.sockets.panel();
    let agent = agent_id(user);
    let (view, mut events) = a.hub.subscribe(agent, now());
    let mut due = a.follow_ups.subscribe();
    let _ = a
        .dispatch
        .send(DispatchInput::Panel(PanelRequest::Socket {
            agent,
            open: true,
        }))
        .await;
    let (mut tx, mut rx) = socket.split();
    // The progress of the dials this panel asks for.
    let (dials, mut dialled) = tokio::sync::mpsc::channel(16);
    let first = state_message(&a, user, &view).await;
    if tx
        .send(Message::Text(first.to_string().into()))
        .await
        .is_ok()
    {
        loop {
            let out = tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => render(&a, user, event).await,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let view = a.hub.view(agent, now());
                        Some(state_message(&a, user, &view).await)
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Some(update) = dialled.recv() => Some(super::dial::update_json(&update)),
                f = due.recv() => match f {
                    Ok(f) => due_message(&a, user, &f),
                    // Missed pushes: the page lists the follow-ups again.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        Some(json!({"type": "follow_ups_changed"}))
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                },
                message = rx.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        on_client_message(&a, user, &permissions, &dials, text.as_str()).await
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => None,
                },
            };
            if let Some(out) = out {
                if tx
                    .send(Message::Text(out.to_string().into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = a
        .dispatch
        .send(DispatchInput::Panel(PanelRequest::Socket {
            agent,
            open: false,
        }))
        .await;
}

/// A follow-up fallen due, as a `follow_up` message, if it is this agent's
/// or one of the queues they are logged in to.
fn due_message(a: &AgentState, user: i64, f: &FollowUp) -> Option<Value> {
    let view = a.hub.view(agent_id(user), now());
    let queues: Vec<_> = view.queues.iter().map(|(q, _)| *q).collect();
    if !super::follow_ups::visible(f, user, &queues) {
        return None;
    }
    let mut m = super::follow_ups::follow_up_json(a, f);
    m["type"] = json!("follow_up");
    Some(m)
}

async fn state_message(a: &AgentState, user: i64, view: &AgentView) -> Value {
    match state_json(a, user, view).await {
        Ok(mut state) => {
            state["type"] = json!("state");
            state
        }
        Err(p) => json!({"type": "error", "detail": p.detail}),
    }
}

/// The message a hub event becomes.
async fn render(a: &AgentState, user: i64, event: HubEvent) -> Option<Value> {
    Some(match event {
        HubEvent::State => {
            let view = a.hub.view(agent_id(user), now());
            state_message(a, user, &view).await
        }
        HubEvent::Queues => {
            let view = a.hub.view(agent_id(user), now());
            json!({"type": "queues", "queues": queues_json(a, &view)})
        }
        HubEvent::Offer(o) => {
            let mut m = offer_json(a, &o);
            m["type"] = json!("offer");
            m
        }
        HubEvent::OfferEnded { call, reason } => {
            json!({"type": "offer_ended", "call": call.0, "reason": reason.as_str()})
        }
        HubEvent::Connected(c) => json!({"type": "connected", "call": c.call.0}),
        HubEvent::Wrapup(w) => match wrapup_json(a, user, &w).await {
            Ok(mut m) => {
                m["type"] = json!("wrapup");
                m
            }
            Err(p) => json!({"type": "error", "detail": p.detail}),
        },
        HubEvent::WrapupEnded { call } => json!({"type": "wrapup_ended", "call": call.0}),
    })
}

/// A message from the page: `{"type":"status","status":id}`, whose success
/// the `state` message that follows shows, or `{"type":"dial","number"}`,
/// whose progress `dial` messages show; anything else, or a refusal, is
/// answered with an error message.
async fn on_client_message(
    a: &AgentState,
    user: i64,
    permissions: &Effective,
    dials: &tokio::sync::mpsc::Sender<DialUpdate>,
    text: &str,
) -> Option<Value> {
    #[derive(Deserialize)]
    struct ClientMessage {
        #[serde(rename = "type")]
        kind: String,
        status: Option<i64>,
        number: Option<String>,
    }
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => return Some(json!({"type": "error", "detail": format!("not a message: {e}")})),
    };
    let detail = match (message.kind.as_str(), message.status) {
        ("status", Some(status)) => match choose_status(a, user, permissions, status).await {
            Ok(()) => return None,
            Err(p) => {
                return Some(json!({"type": "error", "status": p.status, "detail": p.detail}))
            }
        },
        ("status", None) => "a status message needs \"status\"".to_owned(),
        ("dial", _) => {
            let number = message.number.unwrap_or_default();
            return super::dial::dial(a, user, permissions, dials, &number);
        }
        (other, _) => format!("unknown message type {other:?}"),
    };
    Some(json!({"type": "error", "detail": detail}))
}
