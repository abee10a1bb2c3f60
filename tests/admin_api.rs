//! The administration API over real HTTP against the real server and a real
//! SQLite file: the bearer-token guard, projects, queues and queue groups with
//! their delete refusals, data kept across a restart, and the OpenAPI document.

mod common;

use common::http::{assert_problem, created, fields, project, queue, request, server, Api};
use common::TestServer;
use serde_json::{json, Value};

#[test]
fn every_request_needs_the_admin_token() {
    let (server, api) = server();
    let p = assert_problem(
        &request(server.http, "GET", "/api/projects", None, None),
        401,
    );
    assert_eq!(p["type"], "/api/problems/unauthorized");
    let wrong = request(server.http, "GET", "/api/queues", Some("nope"), None);
    assert_problem(&wrong, 401);
    let post = request(
        server.http,
        "POST",
        "/api/projects",
        None,
        Some(&json!({"name": "x"})),
    );
    assert_problem(&post, 401);
    assert_problem(
        &request(server.http, "GET", "/api/openapi.json", None, None),
        401,
    );
    assert_eq!(api.get("/api/projects").json(), json!([]));
    // Nothing was created by the refused POST.
    assert_eq!(api.get("/api/projects").json(), json!([]));
    // The rest of the HTTP surface is not behind the admin guard.
    assert_eq!(common::http_get(server.http, "/healthz"), "ok\n");
}

#[test]
fn projects_are_kept_and_one_with_queues_cannot_be_deleted() {
    let (_server, api) = server();
    let id = project(&api, "Support");
    let dup = assert_problem(&api.post("/api/projects", &json!({"name": "Support"})), 409);
    assert_eq!(fields(&dup), ["name"]);
    let got = api.get(&format!("/api/projects/{id}")).json();
    assert_eq!(got["name"], "Support");
    assert_eq!(got["break_minutes"], 30);
    assert_eq!(got["default_profile"], Value::Null);
    // The working day turns at midnight UTC unless the project says where.
    assert_eq!(got["time_zone"], "UTC");

    let put = api.put(
        &format!("/api/projects/{id}"),
        &json!({"name": "Support EU", "default_profile": "Agent", "break_minutes": 45,
                "time_zone": "Europe/Berlin"}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["default_profile"], "Agent");
    let got = api.get(&format!("/api/projects/{id}")).json();
    assert_eq!(got["time_zone"], "Europe/Berlin");

    let bad = assert_problem(
        &api.post(
            "/api/projects",
            &json!({"name": " ", "break_minutes": -1, "time_zone": "Europe/Atlantis"}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["name", "break_minutes", "time_zone"]);

    let q = queue(&api, id, "First line", "2001");
    let blocked = assert_problem(&api.delete(&format!("/api/projects/{id}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("First line"),
        "{blocked}"
    );
    assert_eq!(api.delete(&format!("/api/queues/{q}")).status, 204);
    assert_eq!(api.delete(&format!("/api/projects/{id}")).status, 204);
    assert_problem(&api.get(&format!("/api/projects/{id}")), 404);
    assert_problem(&api.delete(&format!("/api/projects/{id}")), 404);
    assert_problem(&api.get("/api/projects/not-a-number"), 404);
    assert_problem(
        &api.put("/api/projects/12345", &json!({"name": "Ghost"})),
        404,
    );
}

#[test]
fn queues_keep_the_product_rules() {
    let (_server, api) = server();
    let p = project(&api, "Sales");
    let base = json!({"project_id": p, "name": "Inbound", "number": "3001"});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };

    let video = assert_problem(
        &api.post("/api/queues", &with(json!({"type": "video"}))),
        422,
    );
    assert_eq!(fields(&video), ["type"]);
    let voice_weight = assert_problem(
        &api.post("/api/queues", &with(json!({"channel_weight": 50}))),
        422,
    );
    assert_eq!(fields(&voice_weight), ["channel_weight"]);
    let text_weight = assert_problem(
        &api.post(
            "/api/queues",
            &with(json!({"type": "text", "channel_weight": 150})),
        ),
        422,
    );
    assert_eq!(fields(&text_weight), ["channel_weight"]);
    let no_project = assert_problem(
        &api.post("/api/queues", &with(json!({"project_id": 424242}))),
        422,
    );
    assert_eq!(fields(&no_project), ["project_id"]);
    let several = assert_problem(
        &api.post(
            "/api/queues",
            &with(json!({"number": "12a", "agent_timeout_secs": 0, "priority": 500})),
        ),
        422,
    );
    assert_eq!(
        fields(&several),
        ["number", "agent_timeout_secs", "priority"]
    );
    let strategy = assert_problem(
        &api.post("/api/queues", &with(json!({"strategy": "whoever"}))),
        400,
    );
    assert!(strategy["errors"].is_array());
    assert_eq!(
        api.get("/api/queues").json(),
        json!([]),
        "nothing half-saved"
    );

    let q = created(api.post(
        "/api/queues",
        &with(json!({"queue_timeout_secs": 10, "strategy": "ring_all",
                     "position_announcement": "both", "announcement_frequency_secs": 5})),
    ));
    assert_eq!(q["queue_timeout_secs"], 30);
    assert_eq!(q["channel_weight"], 100);
    assert_eq!(q["strategy"], "ring_all");
    let warnings = q["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{q}");
    assert!(warnings
        .iter()
        .any(|w| w.as_str().unwrap().contains("raised")));
    assert!(warnings
        .iter()
        .any(|w| w.as_str().unwrap().contains("announcement_frequency_secs")));

    let dup = assert_problem(
        &api.post("/api/queues", &with(json!({"name": "Other"}))),
        409,
    );
    assert_eq!(fields(&dup), ["number"]);

    let text = created(api.post(
        "/api/queues",
        &with(json!({"number": "3002", "type": "text", "channel_weight": 25})),
    ));
    assert_eq!(text["type"], "text");
    assert_eq!(text["channel_weight"], 25);
    assert_eq!(text["warnings"], json!([]));

    let id = q["id"].as_i64().unwrap();
    let self_exit = assert_problem(
        &api.put(
            &format!("/api/queues/{id}"),
            &with(json!({"exit_queue_id": id})),
        ),
        422,
    );
    assert_eq!(fields(&self_exit), ["exit_queue_id"]);
    let put = api.put(
        &format!("/api/queues/{id}"),
        &with(json!({"strategy": "fewest_calls", "queue_timeout_secs": 600})),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let got = api.get(&format!("/api/queues/{id}")).json();
    assert_eq!(got["strategy"], "fewest_calls");
    assert_eq!(got["queue_timeout_secs"], 600);
    assert!(got.get("warnings").is_none());
}

#[test]
fn a_referenced_queue_cannot_be_deleted() {
    let (_server, api) = server();
    let p = project(&api, "Care");
    let a = queue(&api, p, "Billing", "4001");
    let b = queue(&api, p, "Overflow", "4002");
    let c = queue(&api, p, "Front", "4003");

    let bad_group = assert_problem(
        &api.post(
            "/api/queue-groups",
            &json!({"name": "Back office", "queues": [a, 999, a]}),
        ),
        422,
    );
    assert_eq!(fields(&bad_group), ["queues[1]", "queues[2]"]);
    assert_eq!(api.get("/api/queue-groups").json(), json!([]));

    let group = created(api.post(
        "/api/queue-groups",
        &json!({"name": "Back office", "queues": [a]}),
    ));
    assert_eq!(group["queues"], json!([a]));
    let blocked = assert_problem(&api.delete(&format!("/api/queues/{a}")), 409);
    assert!(blocked["detail"].as_str().unwrap().contains("Back office"));

    let put = api.put(
        &format!("/api/queues/{c}"),
        &json!({"project_id": p, "name": "Front", "number": "4003", "exit_queue_id": b}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let looped = assert_problem(
        &api.put(
            &format!("/api/queues/{b}"),
            &json!({"project_id": p, "name": "Overflow", "number": "4002", "exit_queue_id": c}),
        ),
        422,
    );
    assert_eq!(fields(&looped), ["exit_queue_id"]);
    let blocked = assert_problem(&api.delete(&format!("/api/queues/{b}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("Front"),
        "{blocked}"
    );

    let gid = group["id"].as_i64().unwrap();
    let emptied = api.put(
        &format!("/api/queue-groups/{gid}"),
        &json!({"name": "Back office", "queues": [c]}),
    );
    assert_eq!(emptied.status, 200, "{}", emptied.body);
    assert_eq!(api.delete(&format!("/api/queues/{a}")).status, 204);
    assert_eq!(api.delete(&format!("/api/queue-groups/{gid}")).status, 204);
    assert_problem(&api.get(&format!("/api/queue-groups/{gid}")), 404);
}

#[test]
fn configuration_survives_a_restart() {
    let (mut server, api) = server();
    let p = project(&api, "Kept");
    let q = queue(&api, p, "Kept queue", "6001");
    created(api.post(
        "/api/queue-groups",
        &json!({"name": "Kept group", "queues": [q]}),
    ));
    created(api.post(
        "/api/statuses",
        &json!({"category": "offline", "name": "Gone home"}),
    ));
    created(api.post(
        "/api/result-codes",
        &json!({"category": "success", "type": "call", "display_name": "Done"}),
    ));
    created(api.post(
        "/api/tags",
        &json!({"name": "Kept tag", "colour": "#123456", "queues": [q]}),
    ));
    let before: Vec<Value> = [
        "projects",
        "queues",
        "queue-groups",
        "statuses",
        "result-codes",
        "tags",
    ]
    .iter()
    .map(|r| api.get(&format!("/api/{r}")).json())
    .collect();

    let old_token = server.admin_token.clone();
    server.restart();
    assert_ne!(server.admin_token, old_token, "a new token each start");
    let old = request(server.http, "GET", "/api/projects", Some(&old_token), None);
    assert_problem(&old, 401);
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    let after: Vec<Value> = [
        "projects",
        "queues",
        "queue-groups",
        "statuses",
        "result-codes",
        "tags",
    ]
    .iter()
    .map(|r| api.get(&format!("/api/{r}")).json())
    .collect();
    assert_eq!(before, after);
    assert_eq!(after[0].as_array().unwrap().len(), 1);
    assert_eq!(after[3].as_array().unwrap().len(), 2);
}

#[test]
fn a_configured_admin_token_is_used_and_not_printed() {
    let server = TestServer::start(
        "[http]\nlisten = \"127.0.0.1:0\"\nadmin_token = \"operator-secret-1\"\n",
        &[],
    );
    assert_eq!(server.admin_token, "", "a configured token is not printed");
    let ok = request(
        server.http,
        "GET",
        "/api/projects",
        Some("operator-secret-1"),
        None,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let other = request(
        server.http,
        "GET",
        "/api/projects",
        Some("operator-secret-2"),
        None,
    );
    assert_problem(&other, 401);
}
