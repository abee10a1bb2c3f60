//! The part of the OpenAPI document that describes profiles, users, their
//! groups, permissions and login sessions.

use serde_json::{json, Map, Value};

use super::{
    answer, body, boolean, id_list, input, int, one_of, output, problems, schema_ref, text, with,
};
use crate::store::admin::permissions::{CATALOGUE, GROUPS, MAX_KEYS};
use crate::store::admin::users::STATES;

/// The schemas of profiles, users, their groups, permissions and sessions.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let catalogue: Vec<&str> = CATALOGUE.iter().map(|(_, k, _)| *k).collect();
    let key = json!({"anyOf": [
        {"type": "string", "enum": catalogue},
        {"type": "string", "pattern": "^queue\\.[1-9][0-9]{0,15}$"},
        {"type": "string", "pattern": "^dial_plan\\.route\\.[1-9][0-9]{0,15}$",
         "description": "calling out through the outbound route of this id"},
    ]});
    let profile = input(
        vec![
            ("name", text(100)),
            ("description", json!({"type": "string", "maxLength": 500})),
            (
                "permissions",
                json!({"type": "array", "maxItems": MAX_KEYS, "items": key}),
            ),
            (
                "result_codes",
                json!({"type": "array", "items": {"type": "integer", "format": "int64"},
                       "description": "result codes offered for queues that name none, in order"}),
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
            vec![
                (
                    "password",
                    json!({"type": "string", "minLength": 8, "maxLength": 256}),
                ),
                (
                    "sip_username",
                    json!({"type": "string",
                           "description": "read-only: when sent, it must be the \
                                           sip_username in the path (422 otherwise)"}),
                ),
            ],
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
pub(super) fn paths(paths: &mut Map<String, Value>) {
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
                                     "schema": {"type": "integer", "format": "int64"}},
                           {"name": "key", "in": "query", "required": false,
                            "description": "only this permission: who granted it, if anyone",
                            "schema": {"type": "string"}}],
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
                            user's other sessions to it. Repeated failures are refused for a \
                            while (429 with Retry-After); when every password check is busy the \
                            answer is 503 with Retry-After.",
            "requestBody": body("LoginInput"),
            "responses": with(problems(&[400, 415, 422, 429, 503]), "200",
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

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 8;
