//! The part of the OpenAPI document that describes the supervisor panel's
//! endpoints under `/api/supervisor`, the live WebSocket included (its
//! messages are described in words: they are no REST answer).

use serde_json::{json, Map, Value};

use super::{answer, body, input, problems, schema_ref, with};

fn id() -> Value {
    json!({"type": "integer", "format": "int64"})
}

fn named() -> Value {
    json!({"type": "object", "required": ["id", "name"],
           "properties": {"id": id(), "name": {"type": "string"}}})
}

fn ms(description: &str) -> Value {
    json!({"type": "integer", "minimum": 0, "description": description})
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Value> =
        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({"type": "object", "required": required, "properties": properties})
}

/// The schemas of the supervisor panel.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let call = object(vec![
        ("id", id()),
        ("queue", json!({"anyOf": [named(), {"type": "null"}]})),
        ("caller", json!({"type": "string"})),
        ("talking_ms", ms("how long the agent has been talking")),
    ]);
    out.insert(
        "SupervisedAgent".into(),
        object(vec![
            ("id", id()),
            ("login", json!({"type": "string"})),
            ("name", json!({"type": "string"})),
            ("project", json!({"anyOf": [named(), {"type": "null"}]})),
            (
                "status",
                json!({"anyOf": [schema_ref("AgentStatus"), {"type": "null"}]}),
            ),
            (
                "presence",
                json!({"type": "string", "enum": ["offline", "available", "break", "ringing",
                                                  "in_call", "after_call_work"]}),
            ),
            (
                "since",
                json!({"type": "integer",
                       "description": "Unix ms when the current status or presence began"}),
            ),
            ("in_status_ms", ms("time in the current status or presence")),
            ("queues", json!({"type": "array", "items": named()})),
            ("agent_groups", json!({"type": "array", "items": named()})),
            ("call", json!({"anyOf": [call, {"type": "null"}]})),
            (
                "calls_today",
                json!({"type": "integer", "minimum": 0,
                       "description": "answered since the project's local midnight"}),
            ),
            ("break_left_ms", ms("break allowance left today")),
        ]),
    );
    out.insert(
        "SupervisorStatusInput".into(),
        input(vec![("status", id())], &["status"]),
    );
}

fn path_id() -> Value {
    json!([{"name": "id", "in": "path", "required": true,
            "schema": {"type": "integer", "format": "int64"}}])
}

/// The supervisor panel's paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let tag = ["supervisor panel"];
    let query = |name: &str, what: &str| {
        json!({"name": name, "in": "query", "required": false,
               "schema": {"type": "integer", "format": "int64"}, "description": what})
    };
    paths.insert(
        "/api/supervisor/agents".into(),
        json!({"get": {
            "operationId": "supervisor-agents",
            "tags": tag,
            "description": "The agents logged in now that the caller supervises: in one of \
                            their projects, serving a queue they see (queue.all or \
                            queue.<id>). Needs menu.supervisor_panel.",
            "parameters": [
                query("queue", "only agents serving this queue now"),
                query("agent_group", "only members of this agent group"),
            ],
            "responses": with(problems(&[400]), "200", answer("The agents, by id",
                json!({"type": "array", "items": schema_ref("SupervisedAgent")}))),
        }}),
    );
    paths.insert(
        "/api/supervisor/statuses".into(),
        json!({"get": {
            "operationId": "supervisor-statuses",
            "tags": tag,
            "description": "The statuses the caller may put another agent in: active, not \
                            In Call; supervisor-only ones need status.supervisor_only; none \
                            without status.change_others.",
            "responses": with(problems(&[]), "200", answer("The statuses",
                json!({"type": "array", "items": schema_ref("AgentStatus")}))),
        }}),
    );
    paths.insert(
        "/api/supervisor/agents/{id}/status".into(),
        json!({
            "parameters": path_id(),
            "put": {
                "operationId": "supervisor-set-status",
                "tags": tag,
                "description": "Puts the agent in a status (needs status.change_others; a \
                                supervisor-only status needs status.supervisor_only). During \
                                a call or after-call work it takes effect when they finish. \
                                403: permission, or the agent is out of scope; 404: no such \
                                agent; 409: not logged in; 422: not a status you may set.",
                "requestBody": body("SupervisorStatusInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "200",
                    answer("The agent after the change", schema_ref("SupervisedAgent"))),
            },
        }),
    );
    paths.insert(
        "/api/supervisor/agents/{id}/logout".into(),
        json!({
            "parameters": path_id(),
            "post": {
                "operationId": "supervisor-logout",
                "tags": tag,
                "description": "Logs the agent out of dispatch (needs status.change_others): \
                                offers ringing them are withdrawn, a call in progress runs to \
                                its end. 403/404/409 as for the status.",
                "responses": with(problems(&[404, 409]), "204",
                    json!({"description": "Logged out"})),
            },
        }),
    );
    paths.insert(
        "/api/supervisor/socket".into(),
        json!({"get": {
            "operationId": "supervisor-socket",
            "tags": tag,
            "description": "WebSocket (upgrade) of the live agent list. First message: \
                            {\"type\":\"agents\",\"now\":ms,\"agents\":[SupervisedAgent...],\
                            \"queues\":[{id,name}...],\"agent_groups\":[{id,name}...]}; then, \
                            at most every 250 ms, {\"type\":\"update\",\"now\":ms,\
                            \"agents\":[SupervisedAgent...],\"removed\":[id...]} with the \
                            agents that changed and those gone (logged out or out of scope). \
                            A client that falls behind gets a new \"agents\" message. A \
                            request without a WebSocket upgrade is malformed.",
            "responses": with(problems(&[400]), "101",
                json!({"description": "Switching to the WebSocket protocol"})),
        }}),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 5;
