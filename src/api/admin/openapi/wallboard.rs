//! The part of the OpenAPI document that describes the wallboard.

use serde_json::{json, Map, Value};

use super::{answer, problems, schema_ref, with};

/// The schema of a wallboard tile and of the snapshot.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let count = json!({"type": "integer", "minimum": 0});
    let share = json!({"type": ["number", "null"], "minimum": 0, "maximum": 1});
    let seconds = json!({"type": ["number", "null"], "minimum": 0});
    let counted = json!({
        "type": "array",
        "items": {"type": "object", "additionalProperties": false,
                  "required": ["id", "name", "count"],
                  "properties": {"id": {"type": "integer", "format": "int64"},
                                 "name": {"type": "string"}, "count": count}},
    });
    let agents: Map<String, Value> = [
        "available",
        "ringing",
        "in_call",
        "after_call_work",
        "break",
        "offline",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), count.clone()))
    .collect();
    let fields = [
        (
            "key",
            json!({"type": "string", "description": "queue-<id> or group-<id>"}),
        ),
        (
            "kind",
            json!({"type": "string", "enum": ["queue", "group"]}),
        ),
        ("id", json!({"type": "integer", "format": "int64"})),
        ("name", json!({"type": "string"})),
        (
            "date",
            json!({"type": "string", "description": "the project's local day \
                                                           the day's figures are of"}),
        ),
        (
            "queues",
            json!({"type": "array", "items": {"type": "integer", "format": "int64"},
                          "description": "the queues a group adds up"}),
        ),
        (
            "waiting",
            json!({"type": "integer", "minimum": 0,
                           "description": "waiting, being offered or a callback waiting \
                                           to retry"}),
        ),
        ("callbacks", count.clone()),
        (
            "longest_wait_since",
            json!({"type": ["integer", "null"], "format": "int64",
                                      "description": "when the longest waiter entered, ms \
                                                      since the Unix epoch"}),
        ),
        (
            "agents",
            json!({"type": "object", "additionalProperties": false,
                          "required": agents.keys().collect::<Vec<_>>(),
                          "properties": agents}),
        ),
        // Logged-in agents by each status flagged show_on_dashboard.
        ("statuses", counted.clone()),
        ("other_statuses", count.clone()),
        ("answered", count.clone()),
        ("abandoned", count.clone()),
        ("short_abandons", count.clone()),
        ("abandoned_by_queue_exit", count.clone()),
        ("redirected_by_queue_timeout", count.clone()),
        ("service_level", share.clone()),
        ("service_level_without_short_abandons", share),
        (
            "service_level_target",
            json!({"type": "number", "minimum": 0, "maximum": 1}),
        ),
        ("service_level_seconds", count.clone()),
        ("asa", seconds.clone()),
        ("aht", seconds),
        // The day's count of each result code flagged show_on_dashboard.
        ("result_codes", counted),
    ];
    let mut tile = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "A queue's or queue group's live figures and the figures of its \
                        project's day (from the completed interaction records).",
        "required": fields.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        "properties": fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>(),
    });
    out.insert("WallboardTile".into(), tile.clone());
    tile["properties"]["longest_wait"] = json!({"type": "number", "minimum": 0,
                                                "description": "seconds, at `at`"});
    tile["required"]
        .as_array_mut()
        .expect("a list")
        .push(json!("longest_wait"));
    out.insert("WallboardSnapshotTile".into(), tile);
    out.insert(
        "Wallboard".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["at", "tiles"],
            "properties": {
                "at": {"type": "integer", "format": "int64"},
                "tiles": {"type": "array", "items": schema_ref("WallboardSnapshotTile")},
            },
        }),
    );
}

/// The wallboard paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    paths.insert(
        "/api/wallboard".into(),
        json!({"get": {
            "operationId": "wallboard",
            "tags": ["wallboard"],
            "description": "The tiles of the queues the caller sees, then of the queue groups \
                            all of whose queues they see. Needs menu.supervisor_panel or \
                            report.queues.",
            "responses": with(problems(&[]), "200",
                              answer("The wallboard now", schema_ref("Wallboard"))),
        }}),
    );
    let mut responses = problems(&[400]);
    responses.insert(
        "101".into(),
        json!({"description": "A WebSocket: first {\"type\":\"snapshot\",\"at\",\"tiles\"} \
                               with every tile (WallboardTile), then \
                               {\"type\":\"update\",\"at\",\"tiles\",\"removed\"} with the \
                               tiles that changed and the keys of those gone; at most 4 a \
                               second, none while nothing changes."}),
    );
    paths.insert(
        "/api/wallboard/socket".into(),
        json!({"get": {
            "operationId": "wallboard-socket",
            "tags": ["wallboard"],
            "description": "The wallboard, pushed. Needs menu.supervisor_panel or \
                            report.queues; a request without a WebSocket upgrade is \
                            malformed.",
            "responses": Value::Object(responses),
        }}),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 2;
