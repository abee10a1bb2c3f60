//! The OpenAPI schemas of the inbound routing objects: a destination (where
//! a route, a menu key or a time condition sends a call), IVR menus and time
//! conditions.

use serde_json::{json, Map, Value};

use super::{input, int, schema_ref, text};

/// Where a route, a menu key or a menu's fallback sends a caller.
pub(super) fn destination() -> Value {
    let kind = |kind: &str, field: Option<(&str, Value)>| {
        let mut properties = Map::new();
        properties.insert("kind".into(), json!({"type": "string", "const": kind}));
        let mut required = vec![json!("kind")];
        if let Some((name, schema)) = field {
            properties.insert(name.into(), schema);
            required.push(json!(name));
        }
        json!({"type": "object", "additionalProperties": false,
               "required": required, "properties": properties})
    };
    let id = json!({"type": "integer", "format": "int64"});
    json!({"oneOf": [
        kind("queue", Some(("queue_id", id.clone()))),
        kind("menu", Some(("menu_id", id.clone()))),
        kind("condition", Some(("condition_id", id.clone()))),
        kind("voicemail", Some(("voicemail_id", id))),
        kind("extension", Some(("extension", text(100)))),
        kind("number", Some(("number", json!({"type": "string", "pattern": "^\\+?[0-9]{1,20}$"})))),
        kind("hangup", None),
    ]})
}

pub(super) fn ivr_menu() -> Value {
    use crate::store::admin::ivr::{MAX_NAME, MAX_PROMPT, MAX_REPEAT, MAX_TIMEOUT_SECS};
    let prompt = json!({"type": "string", "minLength": 1, "maxLength": MAX_PROMPT,
                        "pattern": "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                        "description": "a file of the media library, such as prompts/en/goodbye"});
    input(
        vec![
            ("project_id", json!({"type": "integer", "format": "int64"})),
            ("name", text(MAX_NAME)),
            ("prompt", prompt.clone()),
            (
                "invalid_prompt",
                json!({"oneOf": [prompt, {"type": "null"}],
                "description": "played after a key the menu does not take"}),
            ),
            ("timeout_secs", int(1, MAX_TIMEOUT_SECS)),
            (
                "repeat_count",
                json!({"type": "integer", "minimum": 0, "maximum": MAX_REPEAT,
                "description": "how often the menu plays again after a timeout or a wrong key \
                                before the fallback"}),
            ),
            (
                "options",
                json!({"type": "object",
                "propertyNames": {"pattern": "^[0-9*#]$"},
                "additionalProperties": schema_ref("Destination"),
                "description": "key (0-9, *, #) to destination"}),
            ),
            ("fallback", schema_ref("Destination")),
        ],
        &["project_id", "name", "prompt"],
    )
}

pub(super) fn time_condition() -> Value {
    use crate::store::admin::conditions::{MAX_HOLIDAYS, MAX_INTERVALS, MAX_NAME, WEEKDAYS};
    let intervals = json!({"type": "array", "maxItems": MAX_INTERVALS,
        "items": {"type": "string", "pattern": "^([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$",
                  "description": "HH:MM-HH:MM, local time; 24:00 ends the day"}});
    let days: Map<String, Value> = WEEKDAYS
        .iter()
        .map(|d| ((*d).to_owned(), intervals.clone()))
        .collect();
    input(
        vec![
            ("project_id", json!({"type": "integer", "format": "int64"})),
            ("name", text(MAX_NAME)),
            (
                "weekly",
                json!({"type": "object", "additionalProperties": false,
                "properties": days,
                "description": "open intervals per weekday, in the project's time zone; \
                                a day left out is closed"}),
            ),
            (
                "holidays",
                json!({"type": "array", "maxItems": MAX_HOLIDAYS,
                "items": {"type": "string", "format": "date"},
                "description": "dates closed all day"}),
            ),
            ("open", schema_ref("Destination")),
            ("closed", schema_ref("Destination")),
        ],
        &["project_id", "name", "open", "closed"],
    )
}
