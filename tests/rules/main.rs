//! Rules an operator sets through the administration API, seen working end
//! to end against the real server: agents' dispatch priority, text queues
//! kept out of SIP routing, and the rest (one module each).

#[path = "../common/mod.rs"]
mod common;

mod panel;
mod priority;
mod statuses;
mod text_queues;

use common::calls::{agent_id, demo_queue};
use common::http::Api;
use common::users::profile_id;
use common::TestServer;
use serde_json::{json, Value};

/// Replaces `username`'s user with `change` applied (the writable fields
/// kept as they are otherwise; the Agent profile given if they have none).
pub fn change_user(server: &TestServer, api: &Api, username: &str, change: Value) -> Value {
    let id = agent_id(server, username);
    let user = api.get(&format!("/api/users/{id}")).json();
    let project = demo_queue(api)["project_id"].clone();
    let mut projects = user["projects"].as_array().cloned().unwrap_or_default();
    if !projects.contains(&project) {
        projects.push(project);
    }
    let mut profiles = user["profiles"].as_array().cloned().unwrap_or_default();
    if profiles.is_empty() {
        profiles.push(json!(profile_id(api, "Agent")));
    }
    let name = |key: &str, default: &str| match user[key].as_str() {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => default.to_owned(),
    };
    let mut body = json!({
        "username": user["username"], "first_name": name("first_name", "Agent"),
        "last_name": name("last_name", username), "priority": user["priority"],
        "projects": projects, "profiles": profiles, "queues": user["queues"],
    });
    for (k, v) in change.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = api.put(&format!("/api/users/{id}"), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The change reaches dispatch through the reload that follows.
    std::thread::sleep(std::time::Duration::from_millis(300));
    reply.json()
}
