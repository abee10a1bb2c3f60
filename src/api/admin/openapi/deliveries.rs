//! The part of the OpenAPI document that describes the outbox: result code
//! integrations and deliveries with their attempts.

use serde_json::{json, Map, Value};

use super::{answer, body, id_parameter, problems, schema_ref, with};

/// The schemas of integrations, deliveries and attempts.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let nullable_int = json!({"type": ["integer", "null"], "format": "int64"});
    let nullable_text = json!({"type": ["string", "null"]});
    let headers = json!({"type": "object", "additionalProperties": {"type": "string"},
                         "description": "extra request headers"});
    let method = json!({"type": "string", "enum": ["POST", "GET"]});
    let email = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["to", "subject", "body"],
        "description": "Placeholders {Field} take the finish_interaction payload's fields.",
        "properties": {
            "to": {"type": "string", "minLength": 1, "maxLength": 1024,
                   "description": "recipients, separated by commas"},
            "subject": {"type": "string", "maxLength": 998},
            "body": {"type": "string", "maxLength": 65536},
        },
    });
    let sms = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["text"],
        "properties": {
            "to": {"type": "string", "minLength": 1, "maxLength": 256,
                   "description": "the number; {RemoteNumber} (the caller) by default"},
            "text": {"type": "string", "minLength": 1, "maxLength": 1600},
        },
    });
    out.insert("IntegrationEmail".into(), email);
    out.insert("IntegrationSms".into(), sms);
    out.insert(
        "ResultCodeIntegration".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["result_code_id", "http", "email", "sms"],
            "properties": {
                "result_code_id": int,
                "http": {"oneOf": [{"type": "null"}, {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["url", "method", "headers", "signed"],
                    "properties": {
                        "url": {"type": "string"},
                        "method": method,
                        "headers": headers,
                        "signed": {"type": "boolean",
                                   "description": "whether a signing secret is set"},
                    },
                }]},
                "email": {"oneOf": [{"type": "null"}, schema_ref("IntegrationEmail")]},
                "sms": {"oneOf": [{"type": "null"}, schema_ref("IntegrationSms")]},
            },
        }),
    );
    out.insert(
        "ResultCodeIntegrationInput".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "http": {"oneOf": [{"type": "null"}, {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["url"],
                    "properties": {
                        "url": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://\\S+$",
                                "maxLength": 2048},
                        "method": method,
                        "headers": headers,
                        "secret": {"type": ["string", "null"], "maxLength": 512,
                                   "description": "HMAC-SHA256 signing secret; left out keeps \
                                                   the stored one, \"\" removes it"},
                    },
                }]},
                "email": {"oneOf": [{"type": "null"}, schema_ref("IntegrationEmail")]},
                "sms": {"oneOf": [{"type": "null"}, schema_ref("IntegrationSms")]},
            },
        }),
    );
    out.insert(
        "DeliveryAttempt".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["attempt", "started_at_ms", "duration_ms", "status", "error"],
            "properties": {
                "attempt": {"type": "integer", "minimum": 1},
                "started_at_ms": int,
                "duration_ms": int,
                "status": {"type": ["integer", "null"],
                           "description": "the HTTP status or SMTP reply code received"},
                "error": nullable_text,
            },
        }),
    );
    out.insert(
        "Delivery".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "kind", "state", "interaction_id", "result_code_id", "target",
                         "payload", "attempt_count", "next_attempt_at_ms", "last_status",
                         "last_error", "created_at_ms", "delivered_at_ms", "attempts"],
            "properties": {
                "id": {"type": "integer", "format": "int64",
                       "description": "sent as X-Switchboard-Delivery"},
                "kind": {"type": "string", "enum": ["webhook", "email", "sms"]},
                "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                "interaction_id": nullable_int,
                "result_code_id": nullable_int,
                "target": {"type": "object"},
                "payload": {},
                "attempt_count": {"type": "integer", "minimum": 0},
                "next_attempt_at_ms": nullable_int,
                "last_status": {"type": ["integer", "null"]},
                "last_error": nullable_text,
                "created_at_ms": int,
                "delivered_at_ms": nullable_int,
                "attempts": {"type": "array", "items": schema_ref("DeliveryAttempt")},
            },
        }),
    );
}

/// The outbox's paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    paths.insert(
        "/api/result-codes/{id}/integration".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-result-code-integration",
                "tags": ["result codes"],
                "description": "The webhook, e-mail and SMS the result code sends when an \
                                agent closes an interaction with it (each while its flag \
                                http, send_email or send_sms is on).",
                "responses": with(problems(&[404]), "200",
                                  answer("The integrations", schema_ref("ResultCodeIntegration"))),
            },
            "put": {
                "operationId": "set-result-code-integration",
                "tags": ["result codes"],
                "description": "Replaces the result code's integrations; a part left out or \
                                null is removed.",
                "requestBody": body("ResultCodeIntegrationInput"),
                "responses": with(problems(&[400, 404, 415, 422]), "200",
                                  answer("Saved", schema_ref("ResultCodeIntegration"))),
            },
        }),
    );
    let list = json!({"type": "array", "items": schema_ref("Delivery")});
    paths.insert(
        "/api/deliveries".into(),
        json!({
            "get": {
                "operationId": "list-deliveries",
                "tags": ["deliveries"],
                "description": "Webhooks, e-mails and SMS queued in the outbox, newest first, \
                                each with its attempts.",
                "parameters": [
                    {"name": "state", "in": "query", "required": false,
                     "schema": {"type": "string", "enum": ["pending", "delivered", "failed"]}},
                    {"name": "kind", "in": "query", "required": false,
                     "schema": {"type": "string", "enum": ["webhook", "email", "sms"]}},
                    {"name": "interaction_id", "in": "query", "required": false,
                     "schema": {"type": "integer", "format": "int64"}},
                    {"name": "limit", "in": "query", "required": false,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                ],
                "responses": with(problems(&[400]), "200", answer("The deliveries", list)),
            },
        }),
    );
    paths.insert(
        "/api/deliveries/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-delivery",
                "tags": ["deliveries"],
                "responses": with(problems(&[404]), "200",
                                  answer("The delivery", schema_ref("Delivery"))),
            },
        }),
    );
    paths.insert(
        "/api/deliveries/{id}/retry".into(),
        json!({
            "parameters": id_parameter(),
            "post": {
                "operationId": "retry-delivery",
                "tags": ["deliveries"],
                "description": "Makes a pending or failed delivery due now, with a new round \
                                of attempts; one already delivered is a conflict.",
                "responses": with(problems(&[404, 409]), "200",
                                  answer("Due now", schema_ref("Delivery"))),
            },
        }),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 4;
