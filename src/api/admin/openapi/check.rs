//! The part of the OpenAPI document that describes trying a write without
//! saving it (`POST /api/queues/check`, `POST /api/tags/check`), which the
//! admin console calls as the operator types.

use serde_json::{json, Map, Value};

use super::{answer, body, problems, schema_ref, with};

/// The resources that can be checked, with their stored form's schema.
const CHECKED: &[(&str, &str)] = &[("queues", "Queue"), ("tags", "Tag")];

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = CHECKED.len();

/// A warning and the answer of a check.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    out.insert(
        "Warning".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["field", "message"],
            "properties": {
                "field": {"type": "string", "description": "the input field it is about"},
                "message": {"type": "string",
                            "description": "the sentence a save's warnings carry"},
            },
        }),
    );
    out.insert(
        "CheckAnswer".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["warnings"],
            "properties": {"warnings": {"type": "array", "items": schema_ref("Warning")}},
        }),
    );
}

/// One check path per checked resource.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    for (resource, schema) in CHECKED {
        paths.insert(
            format!("/api/{resource}/check"),
            json!({
                "post": {
                    "operationId": format!("check-{resource}"),
                    "tags": [resource],
                    "description": "What creating the body (or, with id, replacing that item \
                                    with it) would answer, without saving anything: the \
                                    warnings, or the problem the write would get. With id, the \
                                    item as read is accepted too, as a replace accepts it.",
                    "parameters": [{"name": "id", "in": "query", "required": false,
                                    "schema": {"type": "integer", "format": "int64"},
                                    "description": "the item a replace would write over"}],
                    "requestBody": body(&format!("{schema}Input")),
                    "responses": with(problems(&[400, 403, 404, 409, 415, 422]), "200",
                                      answer("It would be saved, with these warnings",
                                             schema_ref("CheckAnswer"))),
                },
            }),
        );
    }
}
