//! The part of the OpenAPI document that describes announcements: prompts
//! uploaded as audio files (the Announcements screen).

use serde_json::{json, Map, Value};

use super::{answer, body, id_parameter, problems, replacement, schema_ref, with};
use crate::api::admin::uploads::{MAX_SECS, READ_ONLY};
use crate::store::admin::announcements::{AudioFormat, MAX_NAME};

/// The schemas of an announcement, its rename and the replacement.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let input = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME}},
    });
    let stored = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "project_id", "name", "library_name", "format", "length_ms",
                     "created_at"],
        "properties": {
            "id": int,
            "project_id": int,
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
            "library_name": {"type": "string", "pattern": "^uploads/[0-9]+/[0-9]+$",
                             "description": "what a menu's prompt or invalid_prompt, a \
                                             blacklist entry's prompt, a voicemail box's \
                                             greeting or a queue's hold_music names to play it"},
            "format": {"type": "string", "enum": AudioFormat::ALL,
                       "description": "the uploaded original's format"},
            "length_ms": {"type": "integer", "minimum": 0,
                          "description": "the converted audio's length"},
            "created_at": {"type": "integer", "format": "int64",
                           "description": "milliseconds since the Unix epoch"},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    });
    out.insert(
        "AnnouncementReplacement".into(),
        replacement(&input, &stored, READ_ONLY),
    );
    out.insert("AnnouncementInput".into(), input);
    out.insert("Announcement".into(), stored);
}

/// The announcement paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let all = json!({"type": "array", "items": schema_ref("Announcement")});
    let audio = json!({"type": "string", "format": "binary"});
    paths.insert(
        "/api/announcements".into(),
        json!({
            "get": {
                "operationId": "list-announcements",
                "tags": ["announcements"],
                "description": "The announcements, by project and name. Needs menu.dial_plan.",
                "parameters": [{"name": "project_id", "in": "query", "required": false,
                                "schema": {"type": "integer", "format": "int64"},
                                "description": "only this project's"}],
                "responses": with(problems(&[400]), "200", answer("The announcements", all)),
            },
            "post": {
                "operationId": "upload-announcement",
                "tags": ["announcements"],
                "description": format!(
                    "Uploads an audio file as the raw body: WAV, MP3, Ogg or FLAC, sent as \
                     application/octet-stream (the format is told by the file's first bytes) \
                     or as audio/wav, audio/mpeg, audio/ogg or audio/flac. It is decoded, mixed to mono and \
                     resampled to 8 kHz once, stored, and playable at once by its \
                     library_name. At most {MAX_SECS} s of audio and media.max_upload_bytes \
                     of body (413). Undecodable, empty or too long audio is a 422 \
                     (unplayable-audio) naming why. Needs menu.dial_plan."),
                "parameters": [
                    {"name": "project_id", "in": "query", "required": true,
                     "schema": {"type": "integer", "format": "int64"}},
                    {"name": "name", "in": "query", "required": true,
                     "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                     "description": "unique in the project"},
                ],
                "requestBody": {"required": true, "content": {
                    "application/octet-stream": {"schema": audio},
                }},
                "responses": with(problems(&[400, 409, 413, 415, 422]), "201",
                                  answer("Uploaded", schema_ref("Announcement"))),
            },
        }),
    );
    paths.insert(
        "/api/announcements/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-announcement",
                "tags": ["announcements"],
                "description": "One announcement.",
                "responses": with(problems(&[404]), "200",
                                  answer("The announcement", schema_ref("Announcement"))),
            },
            "put": {
                "operationId": "rename-announcement",
                "tags": ["announcements"],
                "description": "Renames an announcement; the item as read is taken back with \
                                another name. Its library_name, and so what plays it, stays.",
                "requestBody": body("AnnouncementReplacement"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "200",
                                  answer("Renamed", schema_ref("Announcement"))),
            },
            "delete": {
                "operationId": "delete-announcement",
                "tags": ["announcements"],
                "description": "Deletes an announcement and its file; one a menu, blacklist \
                                entry, voicemail box or queue names is a conflict naming them.",
                "responses": with(problems(&[404, 409]), "204", json!({"description": "Deleted"})),
            },
        }),
    );
    paths.insert(
        "/api/announcements/{id}/audio".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-announcement-audio",
                "tags": ["announcements"],
                "description": "The converted audio: a mono WAV file (PCM 16-bit, 8 kHz).",
                "responses": with(problems(&[404]), "200", json!({
                    "description": "The audio",
                    "content": {"audio/wav": {"schema": audio}},
                })),
            },
        }),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 3;
