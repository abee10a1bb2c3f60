//! The OpenAPI 3.1 document of the admin API, served at `/api/openapi.json`.
//!
//! Written by hand next to the handlers: [`document`] builds the paths from the
//! same [`RESOURCES`] table the router is built from, and the schemas from the
//! input definitions below, so a new resource cannot be routed without being
//! described (the unit test checks every route and problem type is listed).
//! Output schemas are the input fields plus `id`, read-only fields and
//! `warnings`. A replace (`PUT`) takes the input fields and, back unchanged,
//! the read-only ones each resource names (`Replacement` schemas).

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

mod agent;
mod announcements;
mod callbacks;
mod check;
mod deliveries;
mod interactions;
mod ivr;
mod monitor;
mod reports;
mod supervisor;
mod users;
mod voicemail;
mod wallboard;

use super::problem::KINDS;
use super::{AdminState, RESOURCES};
use crate::store::admin::queues::{
    ExitKind, PositionAnnouncement, QueueKind, RecordingMode, Strategy,
};
use crate::store::admin::result_codes::{
    ResultCategory, ResultCodeType, MAX_DISPLAY_NAME, MAX_EXTRA_TIME_SECS, MAX_FOLLOW_UP_SECS,
};
use crate::store::admin::statuses::StatusCategory;
use crate::store::admin::trunks::CODECS;

/// `GET /api/openapi.json`.
pub async fn serve(State(_): State<Arc<AdminState>>) -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
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

/// The body of a replace: the fields of `input`, and the `read_only` fields
/// of the `stored` form, which a client may send back holding the stored value.
fn replacement(input: &Value, stored: &Value, read_only: &[&str]) -> Value {
    let mut out = input.clone();
    for name in read_only {
        let mut schema = stored["properties"][*name].clone();
        schema["description"] = json!(if *name == "id" {
            "read-only: when sent, it must be the id in the path (422 otherwise)"
        } else {
            "read-only: when sent, it must be the stored value (422 otherwise)"
        });
        out["properties"][*name] = schema;
    }
    out
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
            (
                "caller_id",
                json!({"type": ["string", "null"], "pattern": "^\\+?[0-9]{1,32}$",
                       "description": "presented on the project's outbound calls whose route \
                                       sets none (a queue's, for calls made for it, comes first)"}),
            ),
            (
                "time_zone",
                json!({"type": "string", "minLength": 1, "maxLength": 64, "default": "UTC",
                       "description": "IANA time zone (such as Europe/Berlin) whose midnight \
                                       turns the project's working day"}),
            ),
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
                "exit_kind",
                json!({"type": "string", "enum": ExitKind::ALL,
                       "description": "what the queue timeout does; when left out, queue if \
                                       exit_queue_id is sent, otherwise none"}),
            ),
            (
                "exit_queue_id",
                json!({"type": ["integer", "null"], "format": "int64",
                       "description": "required with exit_kind queue, refused with the others"}),
            ),
            (
                "exit_voicemail_id",
                json!({"type": ["integer", "null"], "format": "int64",
                       "description": "the voicemail box: required with exit_kind voicemail, \
                                       refused with the others"}),
            ),
            (
                "exit_menu_id",
                json!({"type": ["integer", "null"], "format": "int64",
                       "description": "the IVR menu of the queue's project: required with \
                                       exit_kind menu, refused with the others"}),
            ),
            ("hold_music", text(100)),
            ("priority", int(0, 100)),
            (
                "queue_timeout_secs",
                json!({"type": "integer", "minimum": 0, "maximum": 86400,
                                           "description": "raised to 30 with a warning when shorter"}),
            ),
            ("service_level_secs", int(1, 3600)),
            (
                "service_level_target",
                json!({"type": "integer", "minimum": 1, "maximum": 100,
                       "description": "percent of calls to answer within service_level_secs \
                                       (80 when left out); the wallboard colours against it"}),
            ),
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
            (
                "recording",
                json!({"type": "string", "enum": RecordingMode::ALL,
                       "description": "whether bridged calls are recorded (both sides, one \
                                       stereo WAV): never (the default), always, or on_demand \
                                       when the agent asks"}),
            ),
            (
                "caller_id",
                json!({"type": ["string", "null"], "pattern": "^\\+?[0-9]{1,32}$",
                       "description": "presented on outbound calls made for the queue \
                                       (transfers, callbacks) whose route sets none, before \
                                       the project's"}),
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
            ("extra_time_secs", int(0, MAX_EXTRA_TIME_SECS.into())),
            ("follow_up_secs", int(0, MAX_FOLLOW_UP_SECS.into())),
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
    let trunk = input(
        vec![
            ("name", text(100)),
            (
                "addresses",
                json!({"type": "array", "items": {"type": "string"},
                       "description": "IP addresses or CIDR networks calls may come from"}),
            ),
            (
                "username",
                json!({"type": ["string", "null"], "maxLength": 64,
                       "description": "when set, INVITEs must carry digest credentials"}),
            ),
            (
                "password",
                json!({"type": ["string", "null"], "minLength": 1, "maxLength": 128,
                       "description": "write-only: only its digest HA1 values are stored; \
                                       left out on replace, the stored credentials stay"}),
            ),
            (
                "codecs",
                json!({"type": "array", "items": {"type": "string", "enum": CODECS}}),
            ),
            ("enabled", boolean()),
            (
                "register",
                json!({"type": "boolean",
                       "description": "register to the carrier as this trunk (needs registrar, \
                                       register_username and register_password)"}),
            ),
            (
                "registrar",
                json!({"type": ["string", "null"], "maxLength": 257,
                       "pattern": "^sip:[A-Za-z0-9.:\\[\\]-]+$",
                       "description": "the carrier's registrar, sip:host or sip:host:port"}),
            ),
            (
                "register_username",
                json!({"type": ["string", "null"], "minLength": 1, "maxLength": 64}),
            ),
            (
                "register_password",
                json!({"type": ["string", "null"], "minLength": 1, "maxLength": 128,
                       "description": "write-only: kept as given (the carrier's realm is only \
                                       known from its challenge); left out on replace, the \
                                       stored one stays"}),
            ),
            ("register_expires", int(60, 86_400)),
            (
                "outbound_destination",
                json!({"type": ["string", "null"], "maxLength": 300,
                       "description": "where outbound calls through the trunk go, \
                                       host[:port][;transport=udp|tcp] (port 5060 and udp when \
                                       left out); unset, the first single-host address of \
                                       addresses on port 5060"}),
            ),
        ],
        &["name", "addresses"],
    );
    let mut shown_trunk = trunk.clone();
    if let Some(p) = shown_trunk["properties"].as_object_mut() {
        p.remove("password");
        p.remove("register_password");
    }
    let route = input(
        vec![
            (
                "number",
                json!({"type": "string", "pattern": "^\\+?[0-9]{1,20}$"}),
            ),
            (
                "queue_id",
                json!({"type": ["integer", "null"], "format": "int64",
                       "description": "the queue the route leads to (the same as a queue \
                                       destination); one of queue_id and destination is required"}),
            ),
            (
                "destination",
                json!({"oneOf": [schema_ref("Destination"), {"type": "null"}]}),
            ),
        ],
        &["number"],
    );
    let menu = ivr::ivr_menu();
    let outbound_route = input(
        vec![
            ("project_id", json!({"type": "integer", "format": "int64"})),
            ("name", text(100)),
            (
                "position",
                json!({"type": "integer", "minimum": 0, "maximum": 1_000_000,
                       "description": "a project's routes are tried by position, then name;                                        the first whose pattern takes the number is used"}),
            ),
            (
                "pattern",
                json!({"type": "string", "minLength": 1, "maxLength": 64,
                       "description": "a literal number, or after _ a pattern: X any digit,                                        Z 1-9, N 2-9, [1-5] a set, digits + * # themselves,                                        and a final . (one or more more) or ! (zero or more)"}),
            ),
            (
                "strip_digits",
                json!({"type": "integer", "minimum": 0, "maximum": 32,
                       "description": "leading characters removed; at most those the                                        pattern fixes"}),
            ),
            (
                "prepend",
                json!({"type": "string", "pattern": "^[0-9+*#]{0,32}$",
                       "description": "put in front of the number after stripping"}),
            ),
            ("trunk_id", json!({"type": "integer", "format": "int64"})),
            (
                "caller_id",
                json!({"type": ["string", "null"], "pattern": "^\\+?[0-9]{1,32}$",
                       "description": "presented on the route's calls; when unset, the queue's (for \
                                       calls made for a queue), else the project's"}),
            ),
        ],
        &["project_id", "name", "pattern", "trunk_id"],
    );
    let queue_agent = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["user_id"],
        "properties": {
            "user_id": {"type": "integer", "format": "int64"},
            "mandatory": {"type": "boolean",
                          "description": "joins the queue whenever logging in to its project"},
        },
    });
    let mut out = Map::new();
    let registration = json!({
        "type": ["object", "null"],
        "description": "where the registration to the carrier stands; null when the trunk \
                        does not register",
        "required": ["state", "expires_at", "last_error"],
        "properties": {
            "state": {"type": "string", "enum": ["registering", "registered", "retrying",
                                                 "failed", "unregistering", "stopped"]},
            "expires_at": {"type": ["integer", "null"],
                           "description": "Unix milliseconds the carrier's binding runs out"},
            "last_error": {"type": ["string", "null"]},
        },
    });
    out.insert(
        "Trunk".into(),
        output(&shown_trunk, vec![("registration", registration)]),
    );
    out.insert("TrunkInput".into(), trunk);
    out.insert("Route".into(), output(&route, vec![]));
    out.insert("RouteInput".into(), route);
    out.insert("Destination".into(), ivr::destination());
    out.insert("IvrMenu".into(), output(&menu, vec![]));
    out.insert("IvrMenuInput".into(), menu);
    let condition = ivr::time_condition();
    out.insert("TimeCondition".into(), output(&condition, vec![]));
    out.insert("TimeConditionInput".into(), condition);
    let blacklist = input(
        vec![
            ("project_id", json!({"type": "integer", "format": "int64"})),
            (
                "number",
                json!({"type": "string", "pattern": "^\\+?[0-9]{1,20}\\*?$",
                "description": "a caller number, or a prefix ending in *"}),
            ),
            (
                "action",
                json!({"type": "string", "enum": crate::store::admin::blacklist::BlockAction::ALL,
                "default": "refuse",
                "description": "refuse: 403; prompt: answered, the prompt played, hung up"}),
            ),
            (
                "prompt",
                json!({"type": ["string", "null"], "maxLength": crate::store::admin::ivr::MAX_PROMPT,
                "pattern": "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                "description": "required for action prompt, none for refuse"}),
            ),
        ],
        &["project_id", "number"],
    );
    out.insert("BlacklistEntry".into(), output(&blacklist, vec![]));
    out.insert("BlacklistEntryInput".into(), blacklist);
    out.insert("OutboundRoute".into(), output(&outbound_route, vec![]));
    out.insert("OutboundRouteInput".into(), outbound_route);
    out.insert(
        "OutboundMatch".into(),
        json!({
            "type": "object",
            "required": ["outcome", "route_id", "trunk_id", "request_uri_user", "caller_id"],
            "properties": {
                "outcome": {"type": "string", "enum": ["routed", "no_route", "not_allowed"]},
                "route_id": {"type": ["integer", "null"], "format": "int64"},
                "trunk_id": {"type": ["integer", "null"], "format": "int64"},
                "request_uri_user": {"type": ["string", "null"]},
                "caller_id": {"type": ["string", "null"]},
            },
        }),
    );
    out.insert("QueueAgent".into(), queue_agent);
    out.insert(
        "OfferedResultCodes".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["source", "result_codes"],
            "properties": {
                "source": {"type": "string", "enum": ["queue", "profile", "general"]},
                "result_codes": {"type": "array", "items": schema_ref("ResultCode")},
            },
        }),
    );
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
    users::schemas(&mut out);
    agent::schemas(&mut out);
    callbacks::schemas(&mut out);
    deliveries::schemas(&mut out);
    supervisor::schemas(&mut out);
    wallboard::schemas(&mut out);
    monitor::schemas(&mut out);
    check::schemas(&mut out);
    reports::schemas(&mut out);
    interactions::schemas(&mut out);
    voicemail::schemas(&mut out);
    announcements::schemas(&mut out);
    for resource in RESOURCES {
        let replace = replacement(
            &out[&format!("{}Input", resource.schema)],
            &out[resource.schema],
            resource.read_only,
        );
        out.insert(format!("{}Replacement", resource.schema), replace);
    }
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
            // Several kinds share 401 and 403; the description names them all.
            let titles: Vec<&str> = KINDS
                .iter()
                .filter(|(_, st, _)| st == s)
                .map(|(_, _, t)| *t)
                .collect();
            let title = if titles.is_empty() {
                "problem".to_owned()
            } else {
                titles.join("; or ")
            };
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
    for described in RESOURCES {
        let resource = described.path;
        let schema = described.schema;
        let input = format!("{schema}Input");
        let replace = format!("{schema}Replacement");
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
                    "description": "Replaces the whole item. The body may be the item as read, \
                                    changed: its read-only fields are accepted unchanged.",
                    "requestBody": body(&replace),
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
    let agents = json!({"type": "array", "items": schema_ref("QueueAgent")});
    paths.insert(
        "/api/queues/{id}/agents".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-queue-agents",
                "tags": ["queues"],
                "responses": with(problems(&[404]), "200", answer("The queue's assigned agents", agents.clone())),
            },
            "put": {
                "operationId": "replace-queue-agents",
                "tags": ["queues"],
                "requestBody": {"required": true, "content": {"application/json": {"schema": agents.clone()}}},
                "responses": with(problems(&[400, 404, 415, 422]), "200", answer("Saved", agents)),
            },
        }),
    );
    paths.insert(
        "/api/queues/{id}/offered-result-codes".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-offered-result-codes",
                "tags": ["queues"],
                "description": "The result codes an agent sees for a call of the queue: the \
                                queue's, else its profile's or the user's profiles', else the \
                                general codes (those no queue or profile names).",
                "parameters": [{"name": "user", "in": "query", "required": false,
                                "schema": {"type": "integer", "format": "int64"},
                                "description": "whose profiles count"}],
                "responses": with(problems(&[400, 404]), "200",
                                  answer("The codes and their source", schema_ref("OfferedResultCodes"))),
            },
        }),
    );
    paths.insert(
        "/api/outbound-routes/match".into(),
        json!({
            "get": {
                "operationId": "match-outbound-route",
                "tags": ["outbound-routes"],
                "description": "How the running server routes a number dialled in a project: \
                                the first of its outbound routes whose pattern takes it, the \
                                number the trunk is asked for and the caller ID presented. \
                                With user_id, only the routes the user's Dial Plan permission \
                                allows count.",
                "parameters": [
                    {"name": "project_id", "in": "query", "required": true,
                     "schema": {"type": "integer", "format": "int64"}},
                    {"name": "number", "in": "query", "required": true,
                     "schema": {"type": "string", "pattern": "^[0-9+*#]{1,64}$"}},
                    {"name": "queue_id", "in": "query", "required": false,
                     "schema": {"type": "integer", "format": "int64"},
                     "description": "the queue the call is made for (its caller ID wins)"},
                    {"name": "user_id", "in": "query", "required": false,
                     "schema": {"type": "integer", "format": "int64"},
                     "description": "whose Dial Plan permission applies"},
                ],
                "responses": with(problems(&[400, 404, 422]), "200",
                                  answer("What the dial plan does with the number",
                                         schema_ref("OutboundMatch"))),
            },
        }),
    );
    paths.insert(
        "/api/interactions".into(),
        json!({
            "get": {
                "operationId": "list-recorded-interactions",
                "tags": ["interactions"],
                "description": "The interaction records that have a recording, newest first, \
                                a page at a time (the recordings page). Needs \
                                other.recordings; only the caller's queues (queue.all, or \
                                queue.<id>) are listed, and records of no queue only with \
                                queue.all. Each item has the record's fields the page shows \
                                with QueueName, AgentName and RecordingUrl (the download, \
                                logged at each use).",
                "parameters": [
                    {"name": "has_recording", "in": "query", "required": true,
                     "schema": {"type": "string", "enum": ["true"]}},
                    {"name": "limit", "in": "query", "required": false,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "offset", "in": "query", "required": false,
                     "schema": {"type": "integer", "minimum": 0, "default": 0}},
                ],
                "responses": with(problems(&[400, 422]), "200", answer("One page of them",
                    schema_ref("RecordedInteractions"))),
            },
        }),
    );
    paths.insert(
        "/api/interactions/{id}".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-interaction",
                "tags": ["interactions"],
                "description": "The interaction record. Needs menu.reports; an interaction \
                                of a queue the caller cannot see is not found.",
                "responses": with(problems(&[404]), "200",
                                  answer("The record", schema_ref("Interaction"))),
            },
        }),
    );
    paths.insert(
        "/api/interactions/{id}/recording".into(),
        json!({
            "parameters": id_parameter(),
            "get": {
                "operationId": "get-interaction-recording",
                "tags": ["interactions"],
                "description": "The call's recording, a stereo WAV file (PCM 16-bit, 8 kHz; \
                                left the caller, right the agent). Needs other.recordings; \
                                every download is logged (see /api/recording-listens). Not \
                                found when the interaction has no recording or its queue is \
                                not the caller's.",
                "responses": with(problems(&[404]), "200", json!({
                    "description": "The recording",
                    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
                })),
            },
        }),
    );
    paths.insert(
        "/api/recording-listens".into(),
        json!({
            "get": {
                "operationId": "list-recording-listens",
                "tags": ["interactions"],
                "description": "Who played or downloaded which recording and when, newest \
                                first (at most 1000). Needs menu.reports and queue.all.",
                "parameters": [{"name": "interaction", "in": "query", "required": false,
                                "schema": {"type": "integer", "format": "int64"},
                                "description": "only this interaction's"}],
                "responses": with(problems(&[400]), "200", answer("The listens",
                    json!({"type": "array", "items": schema_ref("RecordingListen")}))),
            },
        }),
    );
    users::paths(&mut paths);
    agent::paths(&mut paths);
    callbacks::paths(&mut paths);
    deliveries::paths(&mut paths);
    supervisor::paths(&mut paths);
    wallboard::paths(&mut paths);
    monitor::paths(&mut paths);
    check::paths(&mut paths);
    reports::paths(&mut paths);
    voicemail::paths(&mut paths);
    announcements::paths(&mut paths);
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
            "title": "Switchboard administration and agent panel API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Projects, statuses, queues, queue groups, result codes, tags, \
                            profiles, users, agent groups, pickup groups, trunks, routes, \
                            outbound routes and queue agents, and the agent panel under /api/agent. Every request but POST /api/login needs \
                            Authorization: Bearer <admin token or session token>, or the \
                            session cookie, and the Menu permission of its screen.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_schema_is_described() {
        let doc = document();
        for resource in RESOURCES {
            let path = resource.path;
            for path in [format!("/api/{path}"), format!("/api/{path}/{{id}}")] {
                assert!(doc["paths"][&path].is_object(), "{path} missing");
            }
            let schema = resource.schema;
            assert!(doc["components"]["schemas"][schema].is_object());
            assert!(doc["components"]["schemas"][format!("{schema}Input")].is_object());
            assert!(doc["components"]["schemas"][format!("{schema}Replacement")].is_object());
        }
        assert_eq!(
            doc["paths"].as_object().unwrap().len(),
            // Queue agents, offered result codes, the outbound-route match,
            // this document; the four of interactions and their recordings.
            RESOURCES.len() * 2
                + 4
                + 4
                + users::EXTRA_PATHS
                + agent::EXTRA_PATHS
                + callbacks::EXTRA_PATHS
                + deliveries::EXTRA_PATHS
                + supervisor::EXTRA_PATHS
                + wallboard::EXTRA_PATHS
                + monitor::EXTRA_PATHS
                + check::EXTRA_PATHS
                + reports::EXTRA_PATHS
                + voicemail::EXTRA_PATHS
                + announcements::EXTRA_PATHS
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

    /// What a `GET` answers, a `PUT` takes back: every field of the stored
    /// form is an input field or one of the resource's read-only fields, and
    /// those are no input field.
    #[test]
    fn a_replace_takes_back_every_field_of_the_stored_form() {
        let schemas = schemas();
        for resource in RESOURCES {
            let names = |schema: &str| -> Vec<String> {
                schemas[schema]["properties"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{schema} has no properties"))
                    .keys()
                    .cloned()
                    .collect()
            };
            let input = names(&format!("{}Input", resource.schema));
            let replacement = names(&format!("{}Replacement", resource.schema));
            for name in names(resource.schema) {
                if name != "warnings" {
                    assert!(
                        replacement.contains(&name),
                        "{}: PUT refuses {name}",
                        resource.path
                    );
                }
            }
            for name in resource.read_only {
                assert!(
                    !input.iter().any(|i| i == name),
                    "{}: {name} is an input field",
                    resource.path
                );
                assert!(
                    schemas[resource.schema]["properties"][*name].is_object(),
                    "{}: {name} is not shown",
                    resource.path
                );
            }
        }
    }
}
