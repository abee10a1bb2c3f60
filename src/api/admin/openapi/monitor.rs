//! The part of the OpenAPI document that describes listen, whisper and barge.

use serde_json::{json, Map, Value};

use super::{answer, body, problems, schema_ref, with};

/// The schemas of a monitor and of what asks for one.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let mode = json!({"type": "string", "enum": ["listen", "whisper", "barge"],
                      "description": "listen: the supervisor hears both sides, nobody hears \
                                      the supervisor; whisper: the agent hears the supervisor \
                                      too, the caller does not; barge: everybody hears the \
                                      other two"});
    out.insert(
        "Monitor".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "call_id", "user_id", "mode", "state", "status"],
            "properties": {
                "id": int,
                "call_id": int,
                "user_id": {"type": "integer", "format": "int64",
                            "description": "the supervisor, whose phone is rung"},
                "mode": mode,
                "state": {"type": "string", "enum": ["ringing", "active", "failed", "ended"]},
                "status": {"type": ["integer", "null"],
                           "description": "the phone's final status when failed (486 busy, \
                                           480 unavailable, 408 no answer in 30 s)"},
            },
        }),
    );
    out.insert(
        "MonitorInput".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["mode"],
            "properties": {"mode": mode},
        }),
    );
}

/// The monitor path.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let monitor = || answer("The call's monitor", schema_ref("Monitor"));
    paths.insert(
        "/api/supervisor/calls/{call}/monitor".into(),
        json!({
            "parameters": [{"name": "call", "in": "path", "required": true,
                            "description": "the call's id, as the agent panel shows it",
                            "schema": {"type": "integer", "format": "int64"}}],
            "get": {
                "operationId": "get-monitor",
                "tags": ["supervisor"],
                "description": "The call's last monitor, as it stands. Needs other.listen, \
                                other.whisper or other.barge.",
                "responses": with(problems(&[404]), "200", monitor()),
            },
            "post": {
                "operationId": "start-monitor",
                "tags": ["supervisor"],
                "description": "Rings the user's own registered phone and, once it answers, \
                                joins it to the call (caller and agent bridged) in the mode \
                                asked for. Needs the mode's permission (other.listen, \
                                other.whisper, other.barge) and the call's queue among the \
                                user's queues (403). 404: no such call. 409: not connected to \
                                an agent, monitored already, the user monitors another call \
                                or has no registered phone. The phone's refusal comes later, \
                                as state failed with its status.",
                "requestBody": body("MonitorInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "202",
                                  answer("The phone rings", schema_ref("Monitor"))),
            },
            "put": {
                "operationId": "change-monitor",
                "tags": ["supervisor"],
                "description": "Changes the mode of the user's monitor of the call, without \
                                ringing again. Needs the new mode's permission.",
                "requestBody": body("MonitorInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "200", monitor()),
            },
            "delete": {
                "operationId": "stop-monitor",
                "tags": ["supervisor"],
                "description": "Stops the user's monitor of the call and hangs up their \
                                phone; the call goes on.",
                "responses": with(problems(&[404, 409]), "204",
                                  json!({"description": "Stopped"})),
            },
        }),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 1;
