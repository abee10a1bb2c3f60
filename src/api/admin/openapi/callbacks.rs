//! The part of the OpenAPI document that describes callback requests.

use serde_json::{json, Map, Value};

use super::{answer, body, id_parameter, problems, schema_ref, with};

/// The schemas of a callback request and of what asks for one.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let nullable_int = json!({"type": ["integer", "null"], "format": "int64"});
    out.insert(
        "CallbackRequest".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "queue_id", "caller", "interaction_id", "requested_at_ms",
                         "state", "attempts", "last_attempt_at_ms", "result", "agent_id"],
            "properties": {
                "id": int,
                "queue_id": int,
                "caller": {"type": "string", "description": "the number called back"},
                "interaction_id": {"type": ["integer", "null"], "format": "int64",
                                   "description": "the call it was asked for in; none when \
                                                   asked for through the API"},
                "requested_at_ms": int,
                "state": {"type": "string",
                          "enum": ["waiting", "offered", "dialling", "done", "failed", "cancelled"]},
                "attempts": {"type": "integer", "minimum": 0},
                "last_attempt_at_ms": nullable_int,
                "result": {"type": ["string", "null"],
                           "enum": ["connected", "unreachable", "expired", "cancelled", null]},
                "agent_id": nullable_int,
            },
        }),
    );
    out.insert(
        "CallbackRequestInput".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["queue_id", "number"],
            "properties": {
                "queue_id": int,
                "number": {"type": "string", "pattern": "^\\s*\\+?[0-9]{1,20}\\s*$"},
            },
        }),
    );
}

/// The callback paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let list = json!({"type": "array", "items": schema_ref("CallbackRequest")});
    paths.insert(
        "/api/callbacks".into(),
        json!({
            "get": {
                "operationId": "list-callbacks",
                "tags": ["callbacks"],
                "description": "The callback requests of the queues the caller sees, oldest \
                                first. Needs menu.supervisor_panel.",
                "parameters": [
                    {"name": "queue_id", "in": "query", "required": false,
                     "schema": {"type": "integer", "format": "int64"}},
                    {"name": "open", "in": "query", "required": false,
                     "schema": {"type": "boolean"},
                     "description": "only those still to be served"},
                ],
                "responses": with(problems(&[400]), "200", answer("The requests", list)),
            },
            "post": {
                "operationId": "create-callback",
                "tags": ["callbacks"],
                "description": "Asks for a callback of a number in a queue: it joins the \
                                queue at the back, and an agent it is offered to calls the \
                                number through the project's outbound route.",
                "requestBody": body("CallbackRequestInput"),
                "responses": with(problems(&[400, 415, 422]), "201",
                                  answer("Asked for", schema_ref("CallbackRequest"))),
            },
        }),
    );
    paths.insert(
        "/api/callbacks/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "delete": {
                "operationId": "cancel-callback",
                "tags": ["callbacks"],
                "description": "Withdraws an open callback request; one that is over is a \
                                conflict.",
                "responses": with(problems(&[404, 409]), "200",
                                  answer("Cancelled", schema_ref("CallbackRequest"))),
            },
        }),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 2;
