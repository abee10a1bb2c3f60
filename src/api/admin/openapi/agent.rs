//! The part of the OpenAPI document that describes the agent panel's REST
//! endpoints under `/api/agent` (the WebSocket `/api/agent/ws` is described
//! in the panel protocol, not here: it is no REST operation).

use serde_json::{json, Map, Value};

use super::{answer, body, boolean, input, problems, schema_ref, with};

fn id() -> Value {
    json!({"type": "integer", "format": "int64"})
}

fn named() -> Value {
    json!({"type": "object", "required": ["id", "name"],
           "properties": {"id": id(), "name": {"type": "string"}}})
}

fn nullable(mut schema: Value) -> Value {
    let kind = schema["type"].clone();
    schema["type"] = json!([kind, "null"]);
    schema
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Value> =
        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({"type": "object", "required": required, "properties": properties})
}

/// The schemas of the agent panel.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let status = object(vec![
        (
            "id",
            json!({"type": ["integer", "null"], "format": "int64"}),
        ),
        ("name", json!({"type": "string"})),
        (
            "category",
            json!({"type": "string", "enum": ["available", "offline", "break", "in_call"]}),
        ),
        (
            "play_sound",
            json!({"type": "boolean",
                   "description": "The panel plays its chime when the agent enters this status"}),
        ),
    ]);
    out.insert("AgentStatus".into(), status);
    let waiting = object(vec![
        ("id", id()),
        ("name", json!({"type": "string"})),
        ("waiting", json!({"type": "integer", "minimum": 0})),
    ]);
    let offer = object(vec![
        ("call", id()),
        ("queue", nullable(named())),
        ("caller", json!({"type": "string"})),
        ("ring_for_ms", json!({"type": "integer", "minimum": 0})),
        ("auto_answer", boolean()),
    ]);
    let call = object(vec![
        ("id", id()),
        ("queue", nullable(named())),
        ("caller", json!({"type": "string"})),
        (
            "recording",
            json!({"type": "string", "enum": ["never", "always", "on_demand"]}),
        ),
    ]);
    let code = object(vec![
        ("id", id()),
        ("name", json!({"type": "string"})),
        ("note_required", boolean()),
        ("date_required", boolean()),
        (
            "final",
            json!({"type": "boolean",
                   "description": "a final result: no further result is taken"}),
        ),
        (
            "extra_time_secs",
            json!({"type": "integer", "minimum": 0,
                   "description": "after-call work the code adds"}),
        ),
    ]);
    let tag = object(vec![
        ("id", id()),
        ("name", json!({"type": "string"})),
        ("colour", json!({"type": "string"})),
    ]);
    out.insert(
        "AgentWrapup".into(),
        object(vec![
            ("call", id()),
            ("queue", nullable(named())),
            (
                "until",
                json!({"type": ["integer", "null"],
                       "description": "Unix ms the after-call work ends; null outside it"}),
            ),
            ("result_codes", json!({"type": "array", "items": code})),
            ("tags", json!({"type": "array", "items": tag})),
        ]),
    );
    let mut wrapup = schema_ref("AgentWrapup");
    wrapup = json!({"anyOf": [wrapup, {"type": "null"}]});
    out.insert(
        "AgentState".into(),
        object(vec![
            ("project", nullable(named())),
            ("status", schema_ref("AgentStatus")),
            (
                "since",
                json!({"type": "integer",
                       "description": "Unix ms when the current status or presence began"}),
            ),
            (
                "presence",
                json!({"type": "string", "enum": ["offline", "available", "break", "ringing",
                                                  "in_call", "after_call_work"]}),
            ),
            (
                "break_left_ms",
                json!({"type": "integer", "minimum": 0,
                       "description": "break allowance left today, now"}),
            ),
            ("queues", json!({"type": "array", "items": waiting})),
            ("offer", nullable(offer)),
            ("call", nullable(call)),
            ("wrapup", wrapup),
        ]),
    );
    out.insert(
        "AgentMe".into(),
        object(vec![
            (
                "user",
                object(vec![
                    ("id", id()),
                    ("login", json!({"type": "string"})),
                    ("name", json!({"type": "string"})),
                ]),
            ),
            ("projects", json!({"type": "array", "items": named()})),
            (
                "sip",
                nullable(object(vec![
                    ("uri", json!({"type": "string"})),
                    ("username", json!({"type": "string"})),
                    ("realm", json!({"type": "string"})),
                    ("ha1", json!({"type": "string"})),
                    ("ws_url", json!({"type": "string"})),
                ])),
            ),
            (
                "session",
                json!({"anyOf": [schema_ref("AgentState"), {"type": "null"}]}),
            ),
        ]),
    );
    out.insert(
        "AgentQueue".into(),
        object(vec![
            ("id", id()),
            ("name", json!({"type": "string"})),
            ("mandatory", boolean()),
        ]),
    );
    out.insert(
        "AgentQueueGroup".into(),
        object(vec![
            ("id", id()),
            ("name", json!({"type": "string"})),
            ("queues", json!({"type": "array", "items": id()})),
        ]),
    );
    out.insert(
        "AgentLoginInput".into(),
        input(
            vec![
                ("project", id()),
                ("queues", json!({"type": "array", "items": id()})),
                ("queue_groups", json!({"type": "array", "items": id()})),
            ],
            &["project"],
        ),
    );
    out.insert(
        "AgentStatusInput".into(),
        input(vec![("status", id())], &["status"]),
    );
    out.insert(
        "AgentTransferInput".into(),
        input(
            vec![(
                "target",
                json!({"type": "string", "minLength": 1, "maxLength": 64,
                       "pattern": "^[ ]*[0-9A-Za-z+*#._-]+[ ]*$",
                       "description": "a queue number (or an inbound route's number) or an \
                                       agent's extension"}),
            )],
            &["target"],
        ),
    );
    out.insert(
        "AgentTransferTargets".into(),
        object(vec![
            (
                "queues",
                json!({"type": "array", "items": object(vec![
                    ("id", id()),
                    ("name", json!({"type": "string"})),
                    ("number", json!({"type": "string"})),
                ])}),
            ),
            (
                "agents",
                json!({"type": "array", "items": object(vec![
                    ("id", id()),
                    ("extension", json!({"type": "string"})),
                    ("name", json!({"type": "string"})),
                    ("status", json!({"type": "string", "description": "the status's name"})),
                    (
                        "presence",
                        json!({"type": "string", "enum": ["offline", "available", "break",
                                                          "ringing", "in_call",
                                                          "after_call_work"]}),
                    ),
                    (
                        "takes_transfer",
                        json!({"type": "boolean",
                               "description": "logged in to the project, holding nothing, and \
                                               Available or in a Transferable status"}),
                    ),
                ])}),
            ),
        ]),
    );
    out.insert(
        "AgentResultInput".into(),
        input(
            vec![
                ("code", id()),
                ("note", json!({"type": ["string", "null"]})),
                (
                    "action_date",
                    json!({"type": ["string", "null"],
                           "description": "YYYY-MM-DDTHH:MM, local time"}),
                ),
                ("tags", json!({"type": "array", "items": id()})),
            ],
            &["code"],
        ),
    );
}

fn path_id() -> Value {
    json!([{"name": "id", "in": "path", "required": true,
            "schema": {"type": "integer", "format": "int64"}}])
}

/// The agent panel's paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let tag = ["agent panel"];
    let state = || answer("The agent's state", schema_ref("AgentState"));
    paths.insert(
        "/api/agent/me".into(),
        json!({"get": {
            "operationId": "agent-me",
            "tags": tag,
            "description": "The user, their projects, their softphone's SIP credentials (HA1, \
                            never a password) and their dispatch session if logged in.",
            "responses": with(problems(&[404]), "200", answer("Who the agent is",
                schema_ref("AgentMe"))),
        }}),
    );
    paths.insert(
        "/api/agent/projects/{id}/queues".into(),
        json!({
            "parameters": path_id(),
            "get": {
                "operationId": "agent-project-queues",
                "tags": tag,
                "responses": with(problems(&[404]), "200", answer(
                    "The queues of the project the user serves",
                    json!({"type": "array", "items": schema_ref("AgentQueue")}))),
            },
        }),
    );
    paths.insert(
        "/api/agent/projects/{id}/queue-groups".into(),
        json!({
            "parameters": path_id(),
            "get": {
                "operationId": "agent-project-queue-groups",
                "tags": tag,
                "responses": with(problems(&[404]), "200", answer(
                    "The queue groups holding queues of the project the user serves, with \
                     those queues",
                    json!({"type": "array", "items": schema_ref("AgentQueueGroup")}))),
            },
        }),
    );
    paths.insert(
        "/api/agent/login".into(),
        json!({"post": {
            "operationId": "agent-login",
            "tags": tag,
            "description": "Logs the agent in to dispatch: the project (one at a time), its \
                            mandatory queues, the chosen ones and the served queues of the \
                            chosen queue groups, Available.",
            "requestBody": body("AgentLoginInput"),
            "responses": with(problems(&[400, 409, 415, 422]), "200", state()),
        }}),
    );
    paths.insert(
        "/api/agent/logout".into(),
        json!({"post": {
            "operationId": "agent-logout",
            "tags": tag,
            "responses": with(problems(&[]), "204", json!({"description": "Logged out of dispatch"})),
        }}),
    );
    paths.insert(
        "/api/agent/statuses".into(),
        json!({"get": {
            "operationId": "agent-statuses",
            "tags": tag,
            "responses": with(problems(&[]), "200", answer("The statuses the user may choose",
                json!({"type": "array", "items": schema_ref("AgentStatus")}))),
        }}),
    );
    paths.insert(
        "/api/agent/status".into(),
        json!({"post": {
            "operationId": "agent-status",
            "tags": tag,
            "requestBody": body("AgentStatusInput"),
            "responses": with(problems(&[400, 409, 415, 422]), "200", state()),
        }}),
    );
    paths.insert(
        "/api/agent/calls/{id}/wrapup".into(),
        json!({
            "parameters": path_id(),
            "get": {
                "operationId": "agent-wrapup",
                "tags": tag,
                "responses": with(problems(&[404, 409]), "200",
                    answer("The wrap-up form", schema_ref("AgentWrapup"))),
            },
        }),
    );
    paths.insert(
        "/api/agent/calls/{id}/result".into(),
        json!({
            "parameters": path_id(),
            "post": {
                "operationId": "agent-result",
                "tags": tag,
                "description": "Gives the interaction its result (Verdict, Note, tags, \
                                ActionDate) during the call, in its after-call work (which it \
                                ends, unless the code has Extra Time: that moves the end), or \
                                afterwards for 24 hours (only the record's result fields \
                                change). A code with Ask Date, Call Again or Remind schedules \
                                a follow-up. 404: no interaction of the agent's; 409: a final \
                                result closed it; 422: note_required without a note, ask_date \
                                without a date, a code or tag the queue does not offer.",
                "requestBody": body("AgentResultInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "204",
                    json!({"description": "Recorded"})),
            },
        }),
    );
    paths.insert(
        "/api/agent/calls/{id}/transfer".into(),
        json!({
            "parameters": path_id(),
            "post": {
                "operationId": "agent-transfer",
                "tags": tag,
                "description": "Transfers the caller of the call the agent is connected to, \
                                blind, to a queue number or an agent's extension (needs \
                                other.transfer). The agent's part ends and their after-call \
                                work starts; the record notes TransferType blind. 403 \
                                transfer-refused: the target may not take it now; 404: no \
                                such number; 409: not connected to this call.",
                "requestBody": body("AgentTransferInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "202",
                    json!({"description": "The caller is on the way to the target"})),
            },
        }),
    );
    paths.insert(
        "/api/agent/calls/{id}/recording".into(),
        json!({
            "parameters": path_id(),
            "post": {
                "operationId": "agent-record",
                "tags": tag,
                "description": "Starts recording the call the agent is connected to, from now \
                                on, both sides to one stereo WAV named by the record's \
                                RecordingFile (needs other.record). Only a queue that records \
                                on_demand takes it: 409 when the agent is not connected to \
                                this call or it is recorded already (asked before, or the \
                                queue records always); 422 recording-refused when the queue \
                                records never.",
                "responses": with(problems(&[404, 409, 422]), "202",
                    json!({"description": "The call is being recorded"})),
            },
        }),
    );
    paths.insert(
        "/api/agent/transfer-targets".into(),
        json!({"get": {
            "operationId": "agent-transfer-targets",
            "tags": tag,
            "description": "Whom the agent may transfer to: the queues of their project that \
                            their Queue permission shows, and the project's agents with \
                            whether each takes a transfer now (needs other.transfer).",
            "responses": with(problems(&[409]), "200", answer("The transfer targets",
                schema_ref("AgentTransferTargets"))),
        }}),
    );
    let id = json!({"type": "integer", "format": "int64"});
    let result = json!({
        "type": ["object", "null"],
        "required": ["code", "note", "action_date", "tags"],
        "properties": {
            "code": id,
            "note": {"type": ["string", "null"]},
            "action_date": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": id},
        },
    });
    let interaction = json!({
        "type": "object",
        "required": ["id", "queue", "direction", "number", "started_at", "ended_at", "live",
                     "result", "final"],
        "properties": {
            "id": id,
            "queue": nullable(named()),
            "direction": {"type": "string", "enum": ["inbound", "outbound", "internal"]},
            "number": {"type": "string"},
            "started_at": id,
            "ended_at": {"type": ["integer", "null"]},
            "live": {"type": "boolean",
                     "description": "connected to the agent or in their after-call work"},
            "result": result,
            "final": {"type": "boolean", "description": "a final result closed it"},
        },
    });
    paths.insert(
        "/api/agent/interactions".into(),
        json!({"get": {
            "operationId": "agent-interactions",
            "tags": tag,
            "description": "The agent's interactions of the last 24 hours, newest first (at \
                            most 50), with their results: those they may still give a \
                            result (POST /api/agent/calls/{id}/result).",
            "responses": with(problems(&[]), "200", answer("The recent interactions",
                json!({"type": "array", "items": interaction}))),
        }}),
    );
    let follow_up = json!({
        "type": "object",
        "required": ["id", "kind", "interaction", "result_code", "queue", "own", "number",
                     "note", "due_at", "state"],
        "properties": {
            "id": id,
            "kind": {"type": "string", "enum": ["ask_date", "call_again", "remind"]},
            "interaction": id,
            "result_code": id,
            "queue": nullable(named()),
            "own": {"type": "boolean",
                    "description": "the agent's own; else their queue's"},
            "number": {"type": "string", "description": "whom to call again"},
            "note": {"type": ["string", "null"]},
            "due_at": {"type": "integer", "description": "Unix ms"},
            "state": {"type": "string", "enum": ["pending", "due", "done", "dismissed"]},
        },
    });
    paths.insert(
        "/api/agent/follow-ups".into(),
        json!({"get": {
            "operationId": "agent-follow-ups",
            "tags": tag,
            "description": "The follow-ups results scheduled for the agent (a code with \
                            self) and for the queues they are logged in to, soonest first: \
                            open ones (pending, due), or all with all=true.",
            "parameters": [{"name": "all", "in": "query", "required": false,
                            "schema": {"type": "boolean"}}],
            "responses": with(problems(&[422]), "200", answer("The follow-ups",
                json!({"type": "array", "items": follow_up}))),
        }}),
    );
    for (verb, what) in [("done", "done"), ("dismiss", "dismissed")] {
        paths.insert(
            format!("/api/agent/follow-ups/{{id}}/{verb}"),
            json!({
                "parameters": path_id(),
                "post": {
                    "operationId": format!("agent-follow-up-{verb}"),
                    "tags": tag,
                    "description": format!("Closes the follow-up as {what}. 404: none of \
                                            the agent's; 409: closed already."),
                    "responses": with(problems(&[404, 409]), "204",
                        json!({"description": format!("Closed as {what}")})),
                },
            }),
        );
    }
    paths.insert(
        "/api/agent/follow-ups/{id}/callback".into(),
        json!({
            "parameters": path_id(),
            "post": {
                "operationId": "agent-follow-up-callback",
                "tags": tag,
                "description": "Hands a queue's follow-up to the callback machinery: a callback \
                                request in its queue for its number (offered to the queue's \
                                agents like a call, then dialled), and the follow-up is done. \
                                404: none of the agent's; 409: closed already, or of no queue; \
                                422: a number that cannot be called back.",
                "responses": with(problems(&[404, 409, 422]), "201", answer(
                    "The callback request",
                    json!({"type": "object", "required": ["callback", "queue", "number"],
                           "properties": {"callback": id, "queue": id,
                                          "number": {"type": "string"}}}))),
            },
        }),
    );
    let callback = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "queue_id", "queue", "number", "requested_at_ms", "state", "attempts"],
        "properties": {
            "id": id,
            "queue_id": id,
            "queue": {"type": "string"},
            "number": {"type": "string", "description": "the number to call back"},
            "requested_at_ms": id,
            "state": {"type": "string", "enum": ["waiting", "offered", "dialling"]},
            "attempts": {"type": "integer", "minimum": 0},
        },
    });
    paths.insert(
        "/api/agent/callbacks".into(),
        json!({"get": {
            "operationId": "agent-callbacks",
            "tags": tag,
            "description": "The open callback requests of the queues the agent serves,                             oldest first: the dispatch core offers them in turn like calls.",
            "responses": with(problems(&[]), "200", answer("The callbacks",
                json!({"type": "array", "items": callback}))),
        }}),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 18;
