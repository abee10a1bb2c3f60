//! The supervisor panel's API under `/api/supervisor`: the agents logged in
//! now, live ([`socket`]), with their status and time in it, the call they
//! are on and their calls today; setting another agent's status, and logging
//! an agent out.
//!
//! Every route needs the `menu.supervisor_panel` permission (the guard's
//! [`menu_of`](super::admin::auth::menu_of)) and shows only the agents in
//! scope ([`Scope`]): logged in to one of the supervisor's projects and
//! serving at least one queue the supervisor sees (`queue.all` or
//! `queue.<id>`); the admin token sees every agent. Changing an agent needs
//! `status.change_others`; a status flagged `supervisor_only` needs
//! `status.supervisor_only` as well. Changes go to the dispatch task as the
//! agent panel's own requests do ([`PanelRequest`]), so the agent's panel
//! shows them at once.
//!
//! Listen, whisper and barge (`POST /api/supervisor/calls/{call}/monitor`)
//! are served elsewhere; the page offers them on the row of an agent on a
//! call when the user holds `other.listen`, `other.whisper` or `other.barge`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

mod directory;
mod socket;

use directory::Directory;

use super::admin::auth::Principal;
use super::admin::handlers::query_id;
use super::admin::problem::{json_body as body, Problem};
use super::agent::render::{presence_name, queue_json, status_json};
use super::agent::{agent_id, ask, conflict, invalid, path_id, AgentState};
use crate::acd::{AcdError, AgentId, Presence, StatusId};
use crate::call::agents::AgentView;
use crate::call::dispatch::PanelRequest;
use crate::call::now;
use crate::store::admin::statuses::{self, Status, StatusCategory};

/// The supervisor routes, to be merged under `/api` behind the session guard.
pub fn router<S>(state: Arc<AgentState>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/supervisor/agents", get(list))
        .route("/supervisor/statuses", get(settable))
        .route("/supervisor/agents/{id}/status", put(set_status))
        .route("/supervisor/agents/{id}/logout", post(logout))
        .route("/supervisor/socket", get(socket::websocket))
        .with_state(state)
}

/// Which agents a supervisor sees.
pub(crate) struct Scope {
    principal: Arc<Principal>,
    /// `None`: every project (the admin token).
    projects: Option<HashSet<i64>>,
}

impl Scope {
    pub(crate) async fn of(a: &AgentState, principal: Arc<Principal>) -> Result<Scope, Problem> {
        let projects = match principal.as_ref() {
            Principal::Superuser => None,
            Principal::User { session, .. } => Some(
                crate::store::admin::panel::projects(&a.store, session.user_id)
                    .await?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect(),
            ),
        };
        Ok(Scope {
            principal,
            projects,
        })
    }

    fn has(&self, key: &str) -> bool {
        self.principal.has(key)
    }

    fn sees_project(&self, project: i64) -> bool {
        self.projects.as_ref().is_none_or(|p| p.contains(&project))
    }

    fn sees_queues(&self, queues: &[i64]) -> bool {
        if queues.is_empty() {
            return self.has("queue.all");
        }
        queues.iter().any(|q| self.principal.sees_queue(*q))
    }

    /// Whether a logged-in agent is in scope.
    pub(crate) fn sees(&self, view: &AgentView) -> bool {
        let Some(project) = view.project else {
            return false;
        };
        let queues: Vec<i64> = view.queues.iter().map(|(q, _)| q.0 as i64).collect();
        self.sees_project(project.0 as i64) && self.sees_queues(&queues)
    }

    /// Whether an agent who is not logged in would be in scope: they are
    /// assigned a queue the supervisor sees, of one of their projects.
    fn sees_stored(&self, a: &AgentState, dir: &Directory, user: i64) -> bool {
        let Some(u) = dir.users.get(&user) else {
            return false;
        };
        if u.queues.is_empty() {
            return self.has("queue.all") && u.projects.iter().any(|p| self.sees_project(*p));
        }
        let routing = a.routing.get();
        u.queues.iter().any(|q| {
            self.principal.sees_queue(*q)
                && routing
                    .queue(crate::acd::QueueId(*q as u64))
                    .is_some_and(|i| self.sees_project(i.project.0 as i64))
        })
    }
}

/// What the list may be narrowed to.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    queue: Option<i64>,
    agent_group: Option<i64>,
}

impl Filter {
    /// `?queue=&agent_group=`; anything but an id is a 400 naming it.
    fn parse(query: Option<&str>) -> Result<Filter, Problem> {
        Ok(Filter {
            queue: query_id(query, "queue")?,
            agent_group: query_id(query, "agent_group")?,
        })
    }

    fn keeps(&self, dir: &Directory, view: &AgentView) -> bool {
        let queue = self
            .queue
            .is_none_or(|q| view.queues.iter().any(|(x, _)| x.0 as i64 == q));
        let group = self.agent_group.is_none_or(|g| {
            dir.users
                .get(&(view.agent.0 as i64))
                .is_some_and(|u| u.groups.contains(&g))
        });
        queue && group
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One agent's row, at `now`.
pub(crate) fn row(a: &AgentState, dir: &Directory, view: &AgentView) -> Value {
    let t = now();
    let user = dir.users.get(&(view.agent.0 as i64));
    let status = view
        .status
        .and_then(|s| dir.statuses.get(&(s.0 as i64)))
        .map(status_json)
        .unwrap_or(Value::Null);
    let project = view.project.map(|p| {
        json!({"id": p.0, "name": dir.projects.get(&(p.0 as i64)).cloned().unwrap_or_default()})
    });
    let groups: Vec<Value> = user
        .map(|u| u.groups.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|g| json!({"id": g, "name": dir.groups.get(g).cloned().unwrap_or_default()}))
        .collect();
    let queues: Vec<Value> = view
        .queues
        .iter()
        .map(|(q, _)| queue_json(a, Some(*q)))
        .collect();
    let call = view.call.as_ref().map(|c| {
        // In call since the presence began: when the call was answered.
        let talking = if view.presence == Presence::InCall {
            t.since(view.since)
        } else {
            std::time::Duration::ZERO
        };
        json!({
            "id": c.call.0,
            "queue": queue_json(a, c.queue),
            "caller": c.caller,
            "talking_ms": ms(talking),
        })
    });
    json!({
        "id": view.agent.0,
        "login": user.map(|u| u.login.as_str()).unwrap_or_default(),
        "name": user.map(|u| u.name.as_str()).unwrap_or_default(),
        "project": project,
        "status": status,
        "presence": presence_name(view.presence),
        "since": view.since.0,
        "in_status_ms": ms(t.since(view.since)),
        "queues": queues,
        "agent_groups": groups,
        "call": call,
        "calls_today": view.calls_today,
        "break_left_ms": ms(view.break_left),
    })
}

/// The rows of the agents in scope that `filter` keeps.
pub(crate) fn rows(
    a: &AgentState,
    dir: &Directory,
    scope: &Scope,
    filter: &Filter,
    views: &[AgentView],
) -> Vec<Value> {
    views
        .iter()
        .filter(|v| scope.sees(v) && filter.keeps(dir, v))
        .map(|v| row(a, dir, v))
        .collect()
}

/// `GET /api/supervisor/agents?queue=&agent_group=`.
async fn list(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Problem> {
    let filter = Filter::parse(query.as_deref())?;
    let scope = Scope::of(&a, principal).await?;
    let dir = Directory::load(&a.store).await?;
    let views = a.hub.logged_in(now());
    Ok(Json(Value::Array(rows(&a, &dir, &scope, &filter, &views))))
}

/// The statuses `scope` may put another agent in: active ones outside the
/// In Call category (calls set that), supervisor-only ones only with
/// `status.supervisor_only`; none without `status.change_others`.
async fn statuses_for(a: &AgentState, scope: &Scope) -> Result<Vec<Status>, Problem> {
    if !scope.has("status.change_others") {
        return Ok(Vec::new());
    }
    let supervisor = scope.has("status.supervisor_only");
    Ok(statuses::list(&a.store)
        .await?
        .into_iter()
        .filter(|s| {
            s.active && s.category != StatusCategory::InCall && (!s.supervisor_only || supervisor)
        })
        .collect())
}

/// `GET /api/supervisor/statuses`.
async fn settable(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
) -> Result<Json<Value>, Problem> {
    let scope = Scope::of(&a, principal).await?;
    let list = statuses_for(&a, &scope).await?;
    Ok(Json(Value::Array(list.iter().map(status_json).collect())))
}

/// The agent `raw` names, if the caller may change them: 403 without
/// `status.change_others` or out of scope, 404 for no such user, 409 when
/// not logged in.
async fn changeable(
    a: &AgentState,
    scope: &Scope,
    dir: &Directory,
    raw: &str,
) -> Result<AgentId, Problem> {
    if !scope.has("status.change_others") {
        return Err(Problem::new(
            "forbidden",
            "changing another agent needs the permission status.change_others",
        ));
    }
    let user = path_id(raw)? as i64;
    if !dir.users.contains_key(&user) {
        return Err(Problem::new("not-found", "no such agent"));
    }
    let agent = agent_id(user);
    let view = a.hub.view(agent, now());
    let in_scope = if view.project.is_some() {
        scope.sees(&view)
    } else {
        scope.sees_stored(a, dir, user)
    };
    if !in_scope {
        return Err(Problem::new(
            "forbidden",
            "this agent works outside your projects and queues",
        ));
    }
    if view.project.is_none() {
        return Err(conflict("the agent is not logged in"));
    }
    Ok(agent)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: i64,
}

/// `PUT /api/supervisor/agents/{id}/status`: the agent's row after the change.
async fn set_status(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Value>, Problem> {
    let scope = Scope::of(&a, principal).await?;
    let dir = Directory::load(&a.store).await?;
    let agent = changeable(&a, &scope, &dir, &id).await?;
    let input: StatusInput = body(&headers, &bytes)?;
    let allowed = statuses_for(&a, &scope).await?;
    if !allowed.iter().any(|s| s.id == input.status) {
        return Err(invalid("status", "not a status you may set"));
    }
    let status = StatusId(input.status as u64);
    let done = ask(&a, |reply| PanelRequest::Status {
        agent,
        status,
        reply,
    })
    .await?;
    match done {
        Ok(()) => {
            tracing::info!(%agent, %status, "status set by a supervisor");
            Ok(Json(row(&a, &dir, &a.hub.view(agent, now()))))
        }
        Err(AcdError::NotLoggedIn(_) | AcdError::UnknownAgent(_)) => {
            Err(conflict("the agent is not logged in"))
        }
        Err(e) => Err(conflict(format!("dispatch refused the status: {e}"))),
    }
}

/// `POST /api/supervisor/agents/{id}/logout`.
async fn logout(
    State(a): State<Arc<AgentState>>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let scope = Scope::of(&a, principal).await?;
    let dir = Directory::load(&a.store).await?;
    let agent = changeable(&a, &scope, &dir, &id).await?;
    ask(&a, |reply| PanelRequest::Logout { agent, reply }).await?;
    tracing::info!(%agent, "agent logged out by a supervisor");
    Ok(StatusCode::NO_CONTENT)
}

/// Names of the filters' choices: the queues and agent groups of the agents
/// `scope` sees.
pub(crate) fn choices(a: &AgentState, dir: &Directory, scope: &Scope) -> (Vec<Value>, Vec<Value>) {
    let routing = a.routing.get();
    let mut queues: Vec<(String, i64)> = Vec::new();
    let mut groups: HashMap<i64, String> = HashMap::new();
    for (user, u) in &dir.users {
        if !scope.sees_stored(a, dir, *user) {
            continue;
        }
        for q in &u.queues {
            if scope.principal.sees_queue(*q) && !queues.iter().any(|(_, x)| x == q) {
                let name = routing
                    .queue(crate::acd::QueueId(*q as u64))
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                queues.push((name, *q));
            }
        }
        for g in &u.groups {
            groups.insert(*g, dir.groups.get(g).cloned().unwrap_or_default());
        }
    }
    queues.sort();
    let mut groups: Vec<(String, i64)> = groups.into_iter().map(|(id, n)| (n, id)).collect();
    groups.sort();
    let named = |list: Vec<(String, i64)>| {
        list.into_iter()
            .map(|(name, id)| json!({"id": id, "name": name}))
            .collect()
    };
    (named(queues), named(groups))
}
