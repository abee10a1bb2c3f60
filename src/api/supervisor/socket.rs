//! `GET /api/supervisor/socket`: the live agent list. The first message is
//! `{"type":"agents","now":ms,"agents":[row...],"queues":[..],"agent_groups":[..]}`
//! (the agents in scope and the filters' choices); then, at most every
//! [`COALESCE`], one `{"type":"update","now":ms,"agents":[row...],"removed":[id...]}`
//! with the rows of the agents that changed and the ids of those gone (logged
//! out, or out of scope). A watcher that falls behind gets a new `agents`
//! message. Times in a row are as of `now` (server time, Unix ms), so the
//! page can run them on with its own clock.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{choices, row, rows, Directory, Filter, Scope};
use crate::acd::AgentId;
use crate::api::admin::auth::Principal;
use crate::api::admin::problem::Problem;
use crate::api::agent::AgentState;
use crate::call::now;

/// How often changes are sent at most.
pub const COALESCE: Duration = Duration::from_millis(250);

pub(super) async fn websocket(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let scope = match Scope::of(&a, principal).await {
        Ok(s) => s,
        Err(p) => return p.into_response(),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(e) => {
            return Problem::new(
                "malformed-request",
                format!("this is a WebSocket: connect with Upgrade: websocket ({e})"),
            )
            .into_response()
        }
    };
    upgrade
        .max_message_size(16 * 1024)
        .on_upgrade(move |socket| watch(a, scope, socket))
}

/// The full list, and the agents it shows.
fn snapshot(a: &AgentState, dir: &Directory, scope: &Scope) -> (Value, HashSet<AgentId>) {
    let views = a.hub.logged_in(now());
    let shown = views
        .iter()
        .filter(|v| scope.sees(v))
        .map(|v| v.agent)
        .collect();
    let (queues, groups) = choices(a, dir, scope);
    let message = json!({
        "type": "agents",
        "now": now().0,
        "agents": rows(a, dir, scope, &Filter::default(), &views),
        "queues": queues,
        "agent_groups": groups,
    });
    (message, shown)
}

async fn watch(a: Arc<AgentState>, scope: Scope, socket: WebSocket) {
    let _open = a.sockets.supervisor();
    let (mut tx, mut rx) = socket.split();
    let mut dir = match Directory::load(&a.store).await {
        Ok(d) => d,
        Err(p) => {
            let m = json!({"type": "error", "detail": p.detail});
            let _ = tx.send(Message::Text(m.to_string().into())).await;
            return;
        }
    };
    let (_, mut changes) = a.hub.subscribe_all(now());
    let (first, mut shown) = snapshot(&a, &dir, &scope);
    if tx
        .send(Message::Text(first.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut dirty: HashSet<AgentId> = HashSet::new();
    let mut resync = false;
    let mut tick = tokio::time::interval(COALESCE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let out = tokio::select! {
            change = changes.recv() => {
                match change {
                    Ok(agent) => { dirty.insert(agent); }
                    Err(RecvError::Lagged(_)) => resync = true,
                    Err(RecvError::Closed) => break,
                }
                None
            }
            _ = tick.tick() => {
                if resync {
                    resync = false;
                    dirty.clear();
                    if let Ok(d) = Directory::load(&a.store).await {
                        dir = d;
                    }
                    let (message, now_shown) = snapshot(&a, &dir, &scope);
                    shown = now_shown;
                    Some(message)
                } else if dirty.is_empty() {
                    None
                } else {
                    let agents: Vec<AgentId> = dirty.drain().collect();
                    if agents.iter().any(|x| !dir.users.contains_key(&(x.0 as i64))) {
                        if let Ok(d) = Directory::load(&a.store).await {
                            dir = d;
                        }
                    }
                    update(&a, &dir, &scope, &mut shown, agents)
                }
            }
            message = rx.next() => match message {
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

/// The `update` message for the agents that changed, if it says anything.
fn update(
    a: &AgentState,
    dir: &Directory,
    scope: &Scope,
    shown: &mut HashSet<AgentId>,
    agents: Vec<AgentId>,
) -> Option<Value> {
    let t = now();
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    for agent in agents {
        let view = a.hub.view(agent, t);
        if scope.sees(&view) {
            shown.insert(agent);
            changed.push(row(a, dir, &view));
        } else if shown.remove(&agent) {
            removed.push(agent.0);
        }
    }
    if changed.is_empty() && removed.is_empty() {
        return None;
    }
    Some(json!({"type": "update", "now": t.0, "agents": changed, "removed": removed}))
}
