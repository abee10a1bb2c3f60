//! The part of the OpenAPI document that describes voicemail boxes and
//! their messages.

use serde_json::{json, Map, Value};

use super::{answer, body, id_parameter, problems, schema_ref, with};

/// The schemas of a box, its input, a message and the heard flag.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let nullable_int = json!({"type": ["integer", "null"], "format": "int64"});
    let properties = json!({
        "project_id": int,
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "queue_id": {"type": ["integer", "null"], "format": "int64",
                     "description": "the queue whose box it is; exactly one of queue_id and \
                                     user_id"},
        "user_id": {"type": ["integer", "null"], "format": "int64",
                    "description": "the user whose box it is"},
        "greeting": {"type": ["string", "null"], "maxLength": 100,
                     "description": "a prompt name in the media folder \
                                     (prompts/LANGUAGE/NAME.wav); none: the built-in \
                                     \"please leave a message after the tone\""},
        "max_message_secs": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 120},
        "email": {"type": ["string", "null"], "maxLength": 254,
                  "description": "where each new message is mailed, with the WAV attached"},
    });
    let mut output = properties.clone();
    output["id"] = int.clone();
    out.insert(
        "VoicemailBox".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "project_id", "name", "queue_id", "user_id", "greeting",
                         "max_message_secs", "email"],
            "properties": output,
        }),
    );
    out.insert(
        "VoicemailBoxInput".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["project_id", "name"],
            "properties": properties,
        }),
    );
    let replace = super::replacement(
        &out["VoicemailBoxInput"],
        &out["VoicemailBox"],
        crate::api::admin::voicemail::READ_ONLY,
    );
    out.insert("VoicemailBoxReplacement".into(), replace);
    out.insert(
        "VoicemailMessage".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "box_id", "caller_number", "interaction_id", "started_at",
                         "duration_ms", "heard"],
            "properties": {
                "id": int,
                "box_id": int,
                "caller_number": {"type": "string"},
                "interaction_id": nullable_int,
                "started_at": {"type": "integer", "format": "int64",
                               "description": "milliseconds since the Unix epoch"},
                "duration_ms": {"type": "integer", "minimum": 0},
                "heard": {"type": "boolean"},
            },
        }),
    );
    out.insert(
        "VoicemailHeard".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["heard"],
            "properties": {"heard": {"type": "boolean"}},
        }),
    );
}

/// The voicemail paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let boxes = json!({"type": "array", "items": schema_ref("VoicemailBox")});
    let messages = json!({"type": "array", "items": schema_ref("VoicemailMessage")});
    let seen = "A user sees their own box and the boxes of the queues they serve; \
                queue.all sees every box.";
    paths.insert(
        "/api/voicemail-boxes".into(),
        json!({
            "get": {
                "operationId": "list-voicemail-boxes",
                "tags": ["voicemail"],
                "description": format!("The boxes the caller sees, by name. {seen}"),
                "responses": with(problems(&[]), "200", answer("The boxes", boxes)),
            },
            "post": {
                "operationId": "create-voicemail-box",
                "tags": ["voicemail"],
                "description": "Creates a box of a queue or of a user (one each at most). \
                                Needs queue.all.",
                "requestBody": body("VoicemailBoxInput"),
                "responses": with(problems(&[400, 409, 415, 422]), "201",
                                  answer("Created", schema_ref("VoicemailBox"))),
            },
        }),
    );
    paths.insert(
        "/api/voicemail-boxes/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-voicemail-box",
                "tags": ["voicemail"],
                "description": format!("One box. {seen}"),
                "responses": with(problems(&[404]), "200",
                                  answer("The box", schema_ref("VoicemailBox"))),
            },
            "put": {
                "operationId": "replace-voicemail-box",
                "tags": ["voicemail"],
                "description": "Replaces a box; the box as GET shows it may be sent back \
                                changed. Needs queue.all.",
                "requestBody": body("VoicemailBoxReplacement"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "200",
                                  answer("Replaced", schema_ref("VoicemailBox"))),
            },
            "delete": {
                "operationId": "delete-voicemail-box",
                "tags": ["voicemail"],
                "description": "Deletes a box and its messages; a box a queue's timeout \
                                exits to is a conflict. Needs queue.all.",
                "responses": with(problems(&[404, 409]), "204", json!({"description": "Deleted"})),
            },
        }),
    );
    paths.insert(
        "/api/voicemail-boxes/{id}/messages".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "list-voicemail-messages",
                "tags": ["voicemail"],
                "description": format!("The box's messages, newest first (at most 1000). {seen}"),
                "responses": with(problems(&[404]), "200", answer("The messages", messages)),
            },
        }),
    );
    paths.insert(
        "/api/voicemail-messages/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-voicemail-message",
                "tags": ["voicemail"],
                "description": format!("One message. {seen}"),
                "responses": with(problems(&[404]), "200",
                                  answer("The message", schema_ref("VoicemailMessage"))),
            },
            "put": {
                "operationId": "mark-voicemail-message",
                "tags": ["voicemail"],
                "description": "Marks the message heard, or not.",
                "requestBody": body("VoicemailHeard"),
                "responses": with(problems(&[400, 404, 415]), "200",
                                  answer("The message", schema_ref("VoicemailMessage"))),
            },
            "delete": {
                "operationId": "delete-voicemail-message",
                "tags": ["voicemail"],
                "description": "Deletes the message and its file.",
                "responses": with(problems(&[404]), "204", json!({"description": "Deleted"})),
            },
        }),
    );
    paths.insert(
        "/api/voicemail-messages/{id}/audio".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-voicemail-audio",
                "tags": ["voicemail"],
                "description": "The message's audio: a mono WAV file (PCM 16-bit, 8 kHz).",
                "responses": with(problems(&[404]), "200", json!({
                    "description": "The message",
                    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
                })),
            },
        }),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 5;
