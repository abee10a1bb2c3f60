//! What a client reads, it may write back: for every item with a `PUT` in the
//! OpenAPI document, the body of a `GET`, changed in one field, is accepted
//! whole by `PUT`, and the next `GET` shows the change and nothing else
//! changed. The read-only fields sent back must hold the stored value: a
//! different `id` than the path's, or a changed derived field, is a 422
//! naming it.

mod common;

use common::http::{assert_problem, created, fields, project, queue, server, Api};
use common::users::{id, make_user, profile_id};
use serde_json::{json, Value};

/// How to make an item of a resource, and which field to change.
struct Case {
    create: Value,
    field: &'static str,
    changed: Value,
}

fn case(api: &Api, resource: &str, p: i64, q: i64) -> Case {
    let agent = profile_id(api, "Agent");
    let user = id(&make_user(
        api,
        &format!("member-of-{resource}"),
        "member password",
        json!({}),
    ));
    let (create, field, changed) = match resource {
        "projects" => (
            json!({"name": "Round", "caller_id": "+4930100"}),
            "caller_id",
            json!("4930101"),
        ),
        "statuses" => (
            json!({"category": "break", "name": "Round"}),
            "name",
            json!("Trip"),
        ),
        "queues" => (
            json!({"project_id": p, "name": "Round", "number": "6101", "exit_queue_id": q,
                   "caller_id": "+4930200"}),
            "caller_id",
            json!("+4930201"),
        ),
        "queue-groups" => (
            json!({"name": "Round", "queues": [q]}),
            "name",
            json!("Trip"),
        ),
        "result-codes" => (
            json!({"category": "other", "type": "call", "display_name": "Round",
                   "flags": {"note_required": true}}),
            "display_name",
            json!("Trip"),
        ),
        "tags" => (
            json!({"name": "Round", "colour": "#123456", "queues": [q]}),
            "colour",
            json!("#654321"),
        ),
        "trunks" => (
            json!({"name": "Round", "addresses": ["192.0.2.1"], "username": "round",
                   "password": "trunk password"}),
            "name",
            json!("Trip"),
        ),
        "routes" => (
            json!({"number": "+15550161", "queue_id": q}),
            "number",
            json!("+15550162"),
        ),
        "profiles" => (
            json!({"name": "Round", "permissions": ["menu.reports"]}),
            "description",
            json!("changed"),
        ),
        "users" => (
            json!({"username": "round", "first_name": "Round", "last_name": "Trip",
                   "password": "user password", "profiles": [agent], "projects": [p],
                   "queues": [q]}),
            "first_name",
            json!("Changed"),
        ),
        "agent-groups" | "pickup-groups" => (
            json!({"name": "Round", "members": [user]}),
            "name",
            json!("Trip"),
        ),
        "outbound-routes" => {
            let trunk = api.post(
                "/api/trunks",
                &json!({"name": "Round route", "addresses": ["192.0.2.44"]}),
            );
            assert_eq!(trunk.status, 201, "{}", trunk.body);
            (
                json!({"project_id": p, "name": "Round", "pattern": "_X.",
                       "trunk_id": id(&trunk.json())}),
                "name",
                json!("Trip"),
            )
        }
        "ivr-menus" => (
            json!({"project_id": p, "name": "Round", "prompt": "prompts/en/goodbye",
                   "options": {"1": {"kind": "queue", "queue_id": q}}}),
            "name",
            json!("Trip"),
        ),
        "time-conditions" => (
            json!({"project_id": p, "name": "Round", "open": {"kind": "queue", "queue_id": q},
                   "closed": {"kind": "hangup"}}),
            "name",
            json!("Trip"),
        ),
        "blacklist" => (
            json!({"project_id": p, "number": "+16660000001"}),
            "number",
            json!("+16660000002"),
        ),
        "voicemail-boxes" => (
            json!({"project_id": p, "name": "Round", "queue_id": q, "max_message_secs": 60}),
            "name",
            json!("Trip"),
        ),
        other => panic!("no round trip for {other}: add one"),
    };
    Case {
        create,
        field,
        changed,
    }
}

/// The fields the document says a replace takes back read-only.
fn read_only(doc: &Value, operation: &Value) -> Vec<String> {
    let reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("no body schema: {operation}"));
    let name = reference.trim_start_matches("#/components/schemas/");
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, schema)| {
            schema["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("read-only"))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Another value of the same kind.
fn other_than(v: &Value) -> Value {
    match v {
        Value::Bool(b) => json!(!b),
        Value::Number(n) => json!(n.as_i64().unwrap() + 1),
        Value::String(s) => json!(format!("{s}x")),
        Value::Array(items) => {
            let mut items = items.clone();
            items.push(json!("x"));
            Value::Array(items)
        }
        // A read-only object (a trunk's registration), absent or not.
        Value::Null => json!({"state": "registered"}),
        Value::Object(fields) => {
            let mut fields = fields.clone();
            fields.insert("x".into(), json!("x"));
            Value::Object(fields)
        }
    }
}

#[test]
fn every_item_read_with_get_is_taken_back_by_put() {
    let (_server, api) = server();
    let doc = api.get("/api/openapi.json").json();
    let p = project(&api, "Home");
    let q = queue(&api, p, "Home", "6100");
    let mut tried = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        let Some(resource) = template
            .strip_prefix("/api/")
            .and_then(|t| t.strip_suffix("/{id}"))
            // Interaction records are read-only: written by calls alone;
            // callback requests are asked for and withdrawn, never replaced;
            // deliveries and voicemail messages are made by calls too.
            // Announcements are made by an audio upload, not a JSON POST:
            // their round trip is in tests/announcements.rs.
            .filter(|r| {
                !r.contains('/')
                    && ![
                        "interactions",
                        "callbacks",
                        "deliveries",
                        "voicemail-messages",
                        "announcements",
                    ]
                    .contains(r)
            })
        else {
            continue;
        };
        assert!(item["put"].is_object(), "{template} has no PUT");
        let c = case(&api, resource, p, q);
        let made = created(api.post(&format!("/api/{resource}"), &c.create));
        let at = format!("/api/{resource}/{}", id(&made));
        let read = api.get(&at).json();
        assert!(read[c.field] != c.changed, "{resource}: {read}");

        // Unchanged, it is accepted and changes nothing.
        let same = api.put(&at, &read);
        assert_eq!(same.status, 200, "{resource}: {}", same.body);
        assert_eq!(api.get(&at).json(), read, "{resource}");

        let mut body = read.clone();
        body[c.field] = c.changed.clone();
        let put = api.put(&at, &body);
        assert_eq!(put.status, 200, "{resource}: {}", put.body);
        let after = api.get(&at).json();
        assert_eq!(after, body, "{resource}: the change, and nothing else");

        let mut wrong = after.clone();
        wrong["id"] = json!(id(&after) + 1);
        let refused = assert_problem(&api.put(&at, &wrong), 422);
        assert_eq!(fields(&refused), ["id"], "{resource}");
        let read_only = read_only(&doc, &item["put"]);
        assert!(
            read_only.contains(&"id".to_owned()),
            "{resource}: {read_only:?}"
        );
        for field in read_only {
            let mut changed = after.clone();
            changed[&field] = other_than(&after[&field]);
            let refused = assert_problem(&api.put(&at, &changed), 422);
            assert_eq!(fields(&refused), vec![field], "{resource}");
        }
        // An unknown field is still malformed.
        let mut unknown = after.clone();
        unknown["colour_of_the_sky"] = json!("blue");
        let refused = assert_problem(&api.put(&at, &unknown), 400);
        assert_eq!(fields(&refused), ["colour_of_the_sky"], "{resource}");
        assert_eq!(
            api.get(&at).json(),
            after,
            "{resource}: refusals change nothing"
        );
        tried.push(resource.to_owned());
    }
    assert_eq!(tried.len(), 17, "{tried:?}");
}

#[test]
fn a_queue_s_agents_and_an_extension_are_taken_back_too() {
    let (_server, api) = server();
    let p = project(&api, "Home");
    let q = queue(&api, p, "Home", "6100");
    let user = id(&make_user(&api, "round", "user password", json!({})));
    let at = format!("/api/queues/{q}/agents");
    let put = api.put(&at, &json!([{"user_id": user}]));
    assert_eq!(put.status, 200, "{}", put.body);
    let mut read = api.get(&at).json();
    read[0]["mandatory"] = json!(true);
    let put = api.put(&at, &read);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(api.get(&at).json(), read);

    // An extension has no GET of its own; its path names it, and a body
    // that names it too must name the same.
    let ext = format!("/api/users/{user}/extensions/6200");
    let put = api.put(
        &ext,
        &json!({"sip_username": "6200", "password": "extension password"}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["extensions"], json!(["6200"]));
    let refused = assert_problem(
        &api.put(
            &ext,
            &json!({"sip_username": "6201", "password": "extension password"}),
        ),
        422,
    );
    assert_eq!(fields(&refused), ["sip_username"]);
    assert_eq!(
        api.get(&format!("/api/users/{user}")).json()["extensions"],
        json!(["6200"])
    );
}
