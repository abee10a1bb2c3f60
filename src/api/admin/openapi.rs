//! The OpenAPI 3.1 document of the admin API, served at `/api/openapi.json`.
//!
//! Written by hand next to the handlers: [`document`] builds the paths from the
//! same [`RESOURCES`] table the router is built from, and the schemas from the
//! input definitions below, so a new resource cannot be routed without being
//! described (the unit test checks every route and problem type is listed).
//! Output schemas are the input fields plus `id`, read-only fields and
//! `warnings`.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

use super::problem::KINDS;
use super::{AdminState, RESOURCES};
use crate::store::admin::permissions::{CATALOGUE, GROUPS, MAX_KEYS};
use crate::store::admin::queues::{PositionAnnouncement, QueueKind, Strategy};
use crate::store::admin::result_codes::{ResultCategory, ResultCodeType, MAX_DISPLAY_NAME};
use crate::store::admin::statuses::StatusCategory;
use crate::store::admin::users::STATES;

/// `GET /api/openapi.json`.
pub async fn serve(State(_): State<Arc<AdminState>>) -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}

/// The schema name of each resource in [`RESOURCES`].
fn schema_of(resource: &str) -> &'static str {
    match resource {
        "projects" => "Project",
        "statuses" => "Status",
        "queues" => "Queue",
        "queue-groups" => "QueueGroup",
        "result-codes" => "ResultCode",
        "tags" => "Tag",
        "profiles" => "Profile",
        "users" => "User",
        "agent-groups" => "AgentGroup",
        "pickup-groups" => "PickupGroup",
        other => panic!("resource {other} has no schema"),
    }
}

fn int(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn id_list() -> Value {
    json!({"type": "array", "items": {"type": "integer", "format": "int64"}})
}

/// An input object: `fields` as `(name, schema)`, of which `required` must be sent.
fn input(fields: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let properties: Map<String, Value> =
        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// The stored form of an input: every field present, plus `id`, `extra` and
/// the `warnings` of a write. Nullable inputs stay nullable.
fn output(input: &Value, extra: Vec<(&str, Value)>) -> Value {
    let mut properties = input["properties"].as_object().cloned().unwrap_or_default();
    properties.insert("id".into(), json!({"type": "integer", "format": "int64"}));
    for (k, v) in extra {
        properties.insert(k.into(), v);
    }
    let required: Vec<String> = properties.keys().cloned().collect();
    properties.insert(
        "warnings".into(),
        json!({"type": "array", "items": {"type": "string"},
               "description": "Present on answers to writes: what the server changed or advises."}),
    );
    json!({"type": "object", "required": required, "properties": properties})
}

fn schemas() -> Map<String, Value> {
    let project = input(
        vec![
            ("name", text(100)),
            (
                "default_profile",
                json!({"type": ["string", "null"], "maxLength": 100}),
            ),
            ("break_minutes", int(0, 1440)),
        ],
        &["name"],
    );
    let status = input(
        vec![
            ("category", one_of(StatusCategory::ALL)),
            ("name", text(64)),
            ("agent_changeable", boolean()),
            ("supervisor_only", boolean()),
            ("show_on_dashboard", boolean()),
            ("transferable", boolean()),
            ("play_sound", boolean()),
            ("crm_card_trigger", boolean()),
            ("active", boolean()),
        ],
        &["category", "name"],
    );
    let queue = input(
        vec![
            ("project_id", json!({"type": "integer", "format": "int64"})),
            ("name", text(100)),
            ("call_mode", json!({"type": "string", "maxLength": 64})),
            (
                "number",
                json!({"type": "string", "pattern": "^[0-9]{1,20}$"}),
            ),
            ("strategy", one_of(Strategy::ALL)),
            (
                "type",
                json!({"type": "string", "enum": QueueKind::ALL,
                             "description": "video is refused (422) unless enabled on the server"}),
            ),
            (
                "channel_weight",
                json!({"type": ["integer", "null"], "minimum": 1, "maximum": 100,
                                       "description": "text queues only; voice is fixed at 100"}),
            ),
            ("agent_timeout_secs", int(1, 600)),
            ("after_call_work_secs", int(0, 3600)),
            ("position_announcement", one_of(PositionAnnouncement::ALL)),
            ("announcement_frequency_secs", int(0, 3600)),
            (
                "exit_queue_id",
                json!({"type": ["integer", "null"], "format": "int64"}),
            ),
            ("hold_music", text(100)),
            ("priority", int(0, 100)),
            (
                "queue_timeout_secs",
                json!({"type": "integer", "minimum": 0, "maximum": 86400,
                                           "description": "raised to 30 with a warning when shorter"}),
            ),
            ("service_level_secs", int(1, 3600)),
            ("auto_answer", boolean()),
            (
                "profile",
                json!({"type": ["string", "null"], "maxLength": 100}),
            ),
            (
                "result_codes",
                json!({"type": "array", "items": {"type": "integer", "format": "int64"},
                                     "description": "result codes offered for this queue, in order"}),
            ),
        ],
        &["project_id", "name", "number"],
    );
    let group = input(vec![("name", text(100)), ("queues", id_list())], &["name"]);
    let flag_names = [
        "ask_date",
        "final_result",
        "contact",
        "show_on_dashboard",
        "delete_action_date",
        "phone_answered",
        "self",
        "note_required",
        "contact_callable",
        "phone_callable",
        "deactivate_phone",
        "send_sms",
        "send_email",
        "deactivate",
        "extra_time",
        "call_again",
        "remind",
        "assign",
        "delete_assignment",
        "http",
    ];
    let flags = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "Feature flags, each false when left out. ask_date with call_again is refused.",
        "properties": flag_names.iter().map(|f| (f.to_string(), boolean())).collect::<Map<_, _>>(),
    });
    let result_code = input(
        vec![
            ("category", one_of(ResultCategory::ALL)),
            ("type", one_of(ResultCodeType::ALL)),
            ("display_name", text(MAX_DISPLAY_NAME)),
            (
                "flags",
                json!({"$ref": "#/components/schemas/ResultCodeFlags"}),
            ),
        ],
        &["category", "type", "display_name"],
    );
    let tag = input(
        vec![
            ("name", text(64)),
            ("category", json!({"type": "string", "maxLength": 64})),
            (
                "colour",
                json!({"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}),
            ),
            ("queues", id_list()),
        ],
        &["name", "colour"],
    );
    let mut out = Map::new();
    out.insert("Project".into(), output(&project, vec![]));
    out.insert("ProjectInput".into(), project);
    out.insert(
        "Status".into(),
        output(&status, vec![("system", boolean())]),
    );
    out.insert("StatusInput".into(), status);
    let mut stored_queue = output(&queue, vec![]);
    stored_queue["properties"]["channel_weight"] = int(1, 100);
    out.insert("Queue".into(), stored_queue);
    out.insert("QueueInput".into(), queue);
    out.insert("QueueGroup".into(), output(&group, vec![]));
    out.insert("QueueGroupInput".into(), group);
    out.insert("ResultCodeFlags".into(), flags);
    out.insert("ResultCode".into(), output(&result_code, vec![]));
    out.insert("ResultCodeInput".into(), result_code);
    out.insert("Tag".into(), output(&tag, vec![]));
    out.insert("TagInput".into(), tag);
    users_schemas(&mut out);
    out.insert(
        "FieldError".into(),
        json!({"type": "object", "required": ["field", "message"],
               "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}),
    );
    let types: Vec<String> = KINDS
        .iter()
        .map(|(slug, _, _)| format!("/api/problems/{slug}"))
        .collect();
    out.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "description": "RFC 9457 problem details (application/problem+json).",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "enum": types},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            },
        }),
    );
    out
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn answer(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

/// The problem answers of an operation, by status.
fn problems(statuses: &[u16]) -> Map<String, Value> {
    statuses
        .iter()
        .chain(&[401, 403, 500])
        .map(|s| {
            let title = KINDS
                .iter()
                .find(|(_, st, _)| st == s)
                .map(|(_, _, t)| *t)
                .unwrap_or("problem");
            (
                s.to_string(),
                json!({"description": title, "content": {"application/problem+json":
                    {"schema": schema_ref("Problem")}}}),
            )
        })
        .collect()
}

fn with(mut responses: Map<String, Value>, status: &str, value: Value) -> Value {
    responses.insert(status.into(), value);
    Value::Object(responses)
}

fn id_parameter() -> Value {
    json!([{"name": "id", "in": "path", "required": true,
            "schema": {"type": "integer", "format": "int64"}}])
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema_ref(schema)}}})
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for resource in RESOURCES {
        let schema = schema_of(resource);
        let input = format!("{schema}Input");
        let tag = [resource];
        paths.insert(
            format!("/api/{resource}"),
            json!({
                "get": {
                    "operationId": format!("list-{resource}"),
                    "tags": tag,
                    "responses": with(problems(&[]), "200", answer("All of them",
                        json!({"type": "array", "items": schema_ref(schema)}))),
                },
                "post": {
                    "operationId": format!("create-{resource}"),
                    "tags": tag,
                    "requestBody": body(&input),
                    "responses": with(problems(&[400, 404, 409, 415, 422]), "201",
                        answer("Created; Location names it", schema_ref(schema))),
                },
            }),
        );
        paths.insert(
            format!("/api/{resource}/{{id}}"),
            json!({
                "parameters": id_parameter(),
                "get": {
                    "operationId": format!("get-{resource}"),
                    "tags": tag,
                    "responses": with(problems(&[404]), "200", answer("The item", schema_ref(schema))),
                },
                "put": {
                    "operationId": format!("replace-{resource}"),
                    "tags": tag,
                    "requestBody": body(&input),
                    "responses": with(problems(&[400, 403, 404, 409, 415, 422]), "200",
                        answer("Saved", schema_ref(schema))),
                },
                "delete": {
                    "operationId": format!("delete-{resource}"),
                    "tags": tag,
                    "responses": with(problems(&[403, 404, 409]), "204", json!({"description": "Deleted"})),
                },
            }),
        );
    }
    users_paths(&mut paths);
    paths.insert(
        "/api/openapi.json".into(),
        json!({"get": {
            "operationId": "openapi",
            "responses": with(problems(&[]), "200", answer("This document", json!({"type": "object"}))),
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard administration API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Projects, statuses, queues, queue groups, result codes, tags, \
                            profiles, users, agent groups and pickup groups. Every request but \
                            POST /api/login needs Authorization: Bearer <admin token or session \
                            token>, or the session cookie, and the Menu permission of its screen.",
        },
        "security": [{"adminToken": []}, {"sessionCookie": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer",
                    "description": "The admin token, or the token of a session"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": super::auth::COOKIE},
            },
        },
    })
}

/// The schemas of profiles, users, their groups, permissions and sessions.
fn users_schemas(out: &mut Map<String, Value>) {
    let catalogue: Vec<&str> = CATALOGUE.iter().map(|(_, k, _)| *k).collect();
    let key = json!({"anyOf": [
        {"type": "string", "enum": catalogue},
        {"type": "string", "pattern": "^queue\\.[1-9][0-9]{0,15}$"},
    ]});
    let profile = input(
        vec![
            ("name", text(100)),
            ("description", json!({"type": "string", "maxLength": 500})),
            (
                "permissions",
                json!({"type": "array", "maxItems": MAX_KEYS, "items": key}),
            ),
        ],
        &["name"],
    );
    let user = input(
        vec![
            (
                "username",
                json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^\\S+$"}),
            ),
            ("first_name", text(100)),
            ("last_name", text(100)),
            (
                "password",
                json!({"type": "string", "minLength": 8, "maxLength": 256,
                       "description": "write-only; on a replace, the administrator's \
                                       password reset (it unlocks a locked user)"}),
            ),
            ("priority", int(0, 100)),
            ("state", one_of(STATES)),
            ("projects", id_list()),
            (
                "profiles",
                json!({"type": "array", "minItems": 1,
                       "items": {"type": "integer", "format": "int64"}}),
            ),
            ("queues", id_list()),
        ],
        &["username", "first_name", "last_name", "profiles"],
    );
    let mut stored_user = output(
        &user,
        vec![
            (
                "extensions",
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            ("has_password", boolean()),
            ("failed_logins", json!({"type": "integer"})),
        ],
    );
    // Users made by `switchboard extension set` have no names or profiles yet.
    stored_user["properties"]
        .as_object_mut()
        .map(|p| p.remove("password"));
    stored_user["properties"]["username"] = json!({"type": "string"});
    stored_user["properties"]["first_name"] = json!({"type": "string", "maxLength": 100});
    stored_user["properties"]["last_name"] = json!({"type": "string", "maxLength": 100});
    stored_user["properties"]["profiles"] = id_list();
    if let Some(required) = stored_user["required"].as_array_mut() {
        required.retain(|r| r != "password");
    }
    let mut user = user;
    // The seeded profiles have ids 1 (Agent) to 3 (Admin).
    user["examples"] = json!([{"username": "example", "first_name": "Ex", "last_name": "Ample",
                               "password": "example password", "priority": 10,
                               "state": "active", "profiles": [1, 2]}]);
    let mut profile = profile;
    profile["examples"] = json!([{"name": "Example", "description": "an example",
                                  "permissions": ["menu.users", "queue.all"]}]);
    let group = input(vec![("name", text(100)), ("members", id_list())], &["name"]);
    out.insert("Profile".into(), output(&profile, vec![]));
    out.insert("ProfileInput".into(), profile);
    out.insert("User".into(), stored_user);
    out.insert("UserInput".into(), user);
    out.insert("AgentGroup".into(), output(&group, vec![]));
    out.insert("AgentGroupInput".into(), group.clone());
    out.insert("PickupGroup".into(), output(&group, vec![]));
    out.insert("PickupGroupInput".into(), group);
    let profile_name = json!({"type": "string"});
    out.insert(
        "PermissionSource".into(),
        json!({"oneOf": [
            {"type": "object", "required": ["kind", "profile"], "additionalProperties": false,
             "properties": {"kind": {"const": "user_profile"}, "profile": profile_name}},
            {"type": "object", "required": ["kind", "profile", "project_id"],
             "additionalProperties": false,
             "properties": {"kind": {"const": "project_default"}, "profile": profile_name,
                            "project_id": {"type": "integer", "format": "int64"}}},
            {"type": "object", "required": ["kind", "profile", "queue_id", "queue"],
             "additionalProperties": false,
             "properties": {"kind": {"const": "queue_profile"}, "profile": profile_name,
                            "queue_id": {"type": "integer", "format": "int64"},
                            "queue": {"type": "string"}}},
        ]}),
    );
    out.insert(
        "EffectivePermissions".into(),
        json!({"type": "object", "required": ["user_id", "project_id", "permissions"],
        "properties": {
            "user_id": {"type": "integer", "format": "int64"},
            "project_id": {"type": ["integer", "null"], "format": "int64"},
            "permissions": {"type": "array", "items": {
                "type": "object", "required": ["key", "sources"],
                "properties": {
                    "key": {"type": "string"},
                    "sources": {"type": "array", "minItems": 1,
                        "items": schema_ref("PermissionSource")},
                }}},
        }}),
    );
    out.insert(
        "PermissionGroup".into(),
        json!({"type": "object", "required": ["group", "keys"],
        "properties": {
            "group": {"type": "string", "enum": GROUPS},
            "keys": {"type": "array", "items": {"type": "object",
                "required": ["key", "description"],
                "properties": {"key": {"type": "string"},
                               "description": {"type": "string"}}}},
        }}),
    );
    out.insert(
        "ExtensionInput".into(),
        input(
            vec![(
                "password",
                json!({"type": "string", "minLength": 8, "maxLength": 256}),
            )],
            &["password"],
        ),
    );
    out.insert(
        "Imported".into(),
        json!({"type": "object", "required": ["imported", "users"],
               "properties": {"imported": {"type": "integer", "minimum": 0},
                              "users": id_list()}}),
    );
    out.insert(
        "LoginInput".into(),
        input(
            vec![
                ("username", json!({"type": "string"})),
                ("password", json!({"type": "string"})),
                (
                    "project",
                    json!({"type": ["integer", "null"], "format": "int64"}),
                ),
            ],
            &["username", "password"],
        ),
    );
    out.insert(
        "LoggedIn".into(),
        json!({"type": "object", "required": ["token", "user_id", "project_id", "expires_at"],
        "properties": {
            "token": {"type": "string"},
            "user_id": {"type": "integer", "format": "int64"},
            "project_id": {"type": ["integer", "null"], "format": "int64"},
            "expires_at": {"type": "integer", "format": "int64"},
        }}),
    );
    out.insert(
        "Session".into(),
        json!({"type": "object",
        "required": ["superuser", "user_id", "username", "project_id", "permissions"],
        "properties": {
            "superuser": boolean(),
            "user_id": {"type": ["integer", "null"], "format": "int64"},
            "username": {"type": ["string", "null"]},
            "project_id": {"type": ["integer", "null"], "format": "int64"},
            "permissions": {"type": "array", "items": {"type": "string"}},
        }}),
    );
}

/// The paths beyond the five operations of each resource.
fn users_paths(paths: &mut Map<String, Value>) {
    let user_id = json!({"name": "id", "in": "path", "required": true,
                         "schema": {"type": "integer", "format": "int64"}});
    let sip_username = json!({"name": "sip_username", "in": "path", "required": true,
                              "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,32}$"}});
    let tag = ["users"];
    paths.insert(
        "/api/users/{id}/permissions".into(),
        json!({"get": {
            "operationId": "user-permissions",
            "tags": tag,
            "description": "The user's effective permissions in a project (one of the user's), \
                            each with every source that granted it.",
            "parameters": [user_id, {"name": "project", "in": "query", "required": false,
                                     "schema": {"type": "integer", "format": "int64"}}],
            "responses": with(problems(&[400, 404, 422]), "200",
                answer("Effective permissions", schema_ref("EffectivePermissions"))),
        }}),
    );
    paths.insert(
        "/api/users/{id}/extensions/{sip_username}".into(),
        json!({
            "parameters": [user_id, sip_username],
            "put": {
                "operationId": "set-user-extension",
                "tags": tag,
                "description": "Gives the user this extension or sets its SIP password; \
                                this also unlocks a locked user.",
                "requestBody": body("ExtensionInput"),
                "responses": with(problems(&[400, 404, 409, 415, 422]), "200",
                    answer("The user", schema_ref("User"))),
            },
            "delete": {
                "operationId": "remove-user-extension",
                "tags": tag,
                "responses": with(problems(&[404]), "204", json!({"description": "Removed"})),
            },
        }),
    );
    paths.insert(
        "/api/users/import".into(),
        json!({"post": {
            "operationId": "import-users",
            "tags": tag,
            "description": "CSV with a header line; username, first_name, last_name and \
                            profiles are required, password, priority, state and projects \
                            optional (profiles and projects by name, separated by ';'). \
                            Every bad row is reported (field 'line N.column'); nothing is \
                            imported unless every row is good.",
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": with(problems(&[400, 415, 422]), "200",
                answer("Imported", schema_ref("Imported"))),
        }}),
    );
    paths.insert(
        "/api/users/export".into(),
        json!({"get": {
            "operationId": "export-users",
            "tags": tag,
            "responses": with(problems(&[]), "200", json!({"description": "Every user as CSV",
                "content": {"text/csv; charset=utf-8": {"schema": {"type": "string"}}}})),
        }}),
    );
    paths.insert(
        "/api/permissions".into(),
        json!({"get": {
            "operationId": "permission-catalogue",
            "tags": ["profiles"],
            "description": "The permission keys by group; queue keys also come as queue.<id>.",
            "responses": with(problems(&[]), "200", answer("The catalogue",
                json!({"type": "array", "items": schema_ref("PermissionGroup")}))),
        }}),
    );
    paths.insert(
        "/api/login".into(),
        json!({"post": {
            "operationId": "login",
            "tags": ["sessions"],
            "security": [],
            "description": "Opens a session: a cookie (HttpOnly, SameSite=Strict) for pages and \
                            the same token for scripts. Logging into another project moves the \
                            user's other sessions to it.",
            "requestBody": body("LoginInput"),
            "responses": with(problems(&[400, 415, 422]), "200",
                answer("Logged in", schema_ref("LoggedIn"))),
        }}),
    );
    paths.insert(
        "/api/logout".into(),
        json!({"post": {
            "operationId": "logout",
            "tags": ["sessions"],
            "responses": with(problems(&[]), "204", json!({"description": "Logged out"})),
        }}),
    );
    paths.insert(
        "/api/session".into(),
        json!({"get": {
            "operationId": "session",
            "tags": ["sessions"],
            "responses": with(problems(&[]), "200", answer("Who is asking",
                schema_ref("Session"))),
        }}),
    );
}

/// How many paths [`users_paths`] adds.
pub const EXTRA_PATHS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_schema_is_described() {
        let doc = document();
        for resource in RESOURCES {
            for path in [
                format!("/api/{resource}"),
                format!("/api/{resource}/{{id}}"),
            ] {
                assert!(doc["paths"][&path].is_object(), "{path} missing");
            }
            let schema = schema_of(resource);
            assert!(doc["components"]["schemas"][schema].is_object());
            assert!(doc["components"]["schemas"][format!("{schema}Input")].is_object());
        }
        assert_eq!(
            doc["paths"].as_object().unwrap().len(),
            RESOURCES.len() * 2 + 1 + EXTRA_PATHS
        );
        let text = doc.to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} dangling"
            );
        }
    }
}
