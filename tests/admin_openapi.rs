//! The OpenAPI document at /api/openapi.json against the real server: it lists
//! every route, each listed route answers, and every operation's answers (in
//! success and refusal forms) match the document.

mod common;

use common::http::{assert_problem, request, server, Reply};
use serde_json::{json, Value};

#[test]
fn the_openapi_document_lists_every_route_and_they_answer() {
    let (_server, api) = server();
    let doc = api.get("/api/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    // Resources, the users' extras, the agent panel, interactions, callbacks,
    // the supervisor panel, the wallboard, the supervisor's monitor, reports,
    // the checks of queues and tags.
    // And voicemail boxes and messages; IVR menus, time conditions and the
    // blacklist (three more resources); a result code's integrations and the
    // outbox's deliveries; announcements, one and its audio.
    assert_eq!(
        paths.len(),
        32 + 6 + 18 + 4 + 2 + 5 + 2 + 1 + 4 + 2 + 5 + 6 + 4 + 3
    );
    // The operations beyond the five of each resource are answered in
    // tests/admin_users.rs, the agent panel's in tests/agent_panel.rs, the
    // supervisor panel's in tests/supervisor.rs, the wallboard's WebSocket in
    // tests/wallboard.rs, the monitor's in tests/monitor.rs and the checks in
    // tests/admin_rules.rs.
    let beyond = [
        "/api/queues/check",
        "/api/tags/check",
        "/api/login",
        "/api/logout",
        "/api/users/import",
        "/api/users/export",
        "/api/users/{id}/permissions",
        "/api/users/{id}/extensions/{sip_username}",
        "/api/outbound-routes/match",
        "/api/wallboard/socket",
        // A retry is answered in tests/webhooks.rs.
        "/api/deliveries/{id}/retry",
    ];
    let beyond = |p: &str| {
        beyond.contains(&p) || p.starts_with("/api/agent/") || p.starts_with("/api/supervisor/")
    };
    for (path, item) in paths.iter().filter(|(p, _)| !beyond(p)) {
        if path.contains("{id}") {
            let methods: &[&str] = if path.ends_with("/agents") || path.ends_with("/integration") {
                &["get", "put"]
            } else if path.starts_with("/api/callbacks/") {
                &["delete"]
            } else if path.ends_with("/offered-result-codes")
                || path.starts_with("/api/interactions/")
                || path.starts_with("/api/deliveries/")
                || path.ends_with("/messages")
                || path.ends_with("/audio")
            {
                &["get"]
            } else {
                &["get", "put", "delete"]
            };
            for method in methods {
                assert!(item[method].is_object(), "{path} {method}");
            }
            let reply = if methods.contains(&"get") {
                api.get(&path.replace("{id}", "777"))
            } else {
                api.delete(&path.replace("{id}", "777"))
            };
            let p = assert_problem(&reply, 404);
            assert_eq!(p["type"], "/api/problems/not-found");
        } else {
            // The interactions are listed with a filter only.
            let query = if path == "/api/interactions" {
                "?has_recording=true"
            } else {
                ""
            };
            let reply = api.get(&format!("{path}{query}"));
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            // The queue_log is Asterisk's text format.
            let kind = if path == "/api/reports/queue_log" {
                "text/plain; charset=utf-8"
            } else {
                "application/json"
            };
            assert_eq!(reply.header("content-type"), Some(kind), "{path}");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Problem",
        "FieldError",
        "Queue",
        "QueueInput",
        "ResultCodeFlags",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
}

/// Every operation, in its success and refusal forms, answers what the
/// OpenAPI document says it does (the subset of JSON Schema the document uses).
#[test]
fn every_answer_matches_the_openapi_document() {
    let (server, api) = server();
    let doc = api.get("/api/openapi.json").json();
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut conform = |method: &str, path: &str, reply: Reply| -> Value {
        for f in common::http::conformance(&doc, method, path, &reply) {
            failures.push(format!("{method} {path} {}: {f}", reply.status));
        }
        seen.insert(format!("{method} {path}"));
        if reply.body.is_empty() {
            Value::Null
        } else {
            reply.json()
        }
    };

    let p = conform(
        "POST",
        "/api/projects",
        api.post("/api/projects", &json!({"name": "Doc"})),
    );
    let pid = p["id"].as_i64().unwrap();
    let rc = conform(
        "POST",
        "/api/result-codes",
        api.post(
            "/api/result-codes",
            &json!({"category": "other", "type": "product", "display_name": "Doc",
                    "flags": {"http": true}}),
        ),
    );
    let integration = format!("/api/result-codes/{}/integration", rc["id"]);
    conform(
        "PUT",
        "/api/result-codes/{id}/integration",
        api.put(
            &integration,
            &json!({"http": {"url": "http://127.0.0.1:9/finished", "secret": "s3cret"}}),
        ),
    );
    let got = conform(
        "GET",
        "/api/result-codes/{id}/integration",
        api.get(&integration),
    );
    assert_eq!(got["http"]["signed"], true, "{got}");
    let q = conform(
        "POST",
        "/api/queues",
        api.post(
            "/api/queues",
            &json!({"project_id": pid, "name": "Doc", "number": "9001", "type": "text",
                    "queue_timeout_secs": 1, "result_codes": [rc["id"]]}),
        ),
    );
    // SIP calls never enter a text queue: routes and exits name a voice one.
    let voice = conform(
        "POST",
        "/api/queues",
        api.post(
            "/api/queues",
            &json!({"project_id": pid, "name": "Doc voice", "number": "9003"}),
        ),
    );
    let line = api.post(
        "/api/trunks",
        &json!({"name": "Doc line", "addresses": ["192.0.2.99"]}),
    );
    assert_eq!(line.status, 201, "{}", line.body);
    let line = line.json()["id"].clone();
    let samples = [
        (
            "projects",
            json!({"name": "Doc 2", "default_profile": "Agent"}),
        ),
        ("statuses", json!({"category": "break", "name": "Doc"})),
        (
            "queues",
            json!({"project_id": pid, "name": "Doc 2", "number": "9002",
                          "exit_queue_id": voice["id"]}),
        ),
        ("queue-groups", json!({"name": "Doc", "queues": [q["id"]]})),
        (
            "result-codes",
            json!({"category": "fail", "type": "call", "display_name": "Doc 2"}),
        ),
        (
            "tags",
            json!({"name": "Doc", "colour": "#abcdef", "queues": [q["id"]]}),
        ),
        (
            "trunks",
            json!({"name": "Doc", "addresses": ["127.0.0.1", "10.0.0.0/8"],
                   "username": "doc", "password": "pw", "codecs": ["PCMU"]}),
        ),
        (
            "routes",
            json!({"number": "+15550199", "queue_id": voice["id"]}),
        ),
        (
            "outbound-routes",
            json!({"project_id": pid, "name": "Doc", "pattern": "_0N.", "strip_digits": 1,
                   "prepend": "+49", "trunk_id": line, "caller_id": "+4930123"}),
        ),
    ];
    for (resource, body) in &samples {
        let list = format!("/api/{resource}");
        let item = format!("/api/{resource}/{{id}}");
        let made = conform("POST", &list, api.post(&list, body));
        let id = made["id"].as_i64().unwrap();
        let at = format!("/api/{resource}/{id}");
        conform("GET", &list, api.get(&list));
        conform("GET", &item, api.get(&at));
        conform("PUT", &item, api.put(&at, body));
        conform("POST", &list, api.post(&list, &json!({"nonsense": 1})));
        conform("PUT", &item, api.put(&at, &json!({})));
        conform("GET", &item, api.get(&format!("/api/{resource}/1234567")));
        conform(
            "DELETE",
            &item,
            api.delete(&format!("/api/{resource}/1234567")),
        );
        conform("GET", &list, request(server.http, "GET", &list, None, None));
        if *resource != "queues" {
            conform("DELETE", &item, api.delete(&at));
        }
    }
    // Checks without saving: warnings, a problem, an item as read.
    for (resource, body) in &samples[2..] {
        if !["queues", "tags"].contains(resource) {
            continue;
        }
        let check = format!("/api/{resource}/check");
        conform("POST", &check, api.post(&check, body));
        conform("POST", &check, api.post(&check, &json!({"nonsense": 1})));
        conform(
            "POST",
            &check,
            api.post(&format!("{check}?id=1234567"), body),
        );
    }
    let stored = api.get(&format!("/api/queues/{}", q["id"])).json();
    conform(
        "POST",
        "/api/queues/check",
        api.post(&format!("/api/queues/check?id={}", q["id"]), &stored),
    );
    let agents = "/api/queues/{id}/agents";
    let at = format!("/api/queues/{}/agents", q["id"]);
    conform("PUT", agents, api.put(&at, &json!([])));
    conform("GET", agents, api.get(&at));
    conform("PUT", agents, api.put(&at, &json!([{"user_id": 1234567}])));
    conform("PUT", agents, api.put(&at, &json!({"user_id": 1})));
    conform("GET", agents, api.get("/api/queues/1234567/agents"));
    let offered = "/api/queues/{id}/offered-result-codes";
    conform(
        "GET",
        offered,
        api.get(&format!("/api/queues/{}/offered-result-codes", q["id"])),
    );
    conform(
        "GET",
        offered,
        api.get("/api/queues/1234567/offered-result-codes"),
    );
    let matching = "/api/outbound-routes/match";
    for query in [
        format!("project_id={pid}&number=030123"),
        format!("project_id={pid}&number=030%20123"),
        "number=1".to_owned(),
        "project_id=1234567&number=1&user_id=1234567".to_owned(),
    ] {
        conform("GET", matching, api.get(&format!("{matching}?{query}")));
    }
    // Refusals: 409 (duplicate, still referenced), 422, 403.
    conform(
        "POST",
        "/api/projects",
        api.post("/api/projects", &json!({"name": "Doc"})),
    );
    conform(
        "DELETE",
        "/api/projects/{id}",
        api.delete(&format!("/api/projects/{pid}")),
    );
    conform(
        "POST",
        "/api/queues",
        api.post(
            "/api/queues",
            &json!({"project_id": pid, "name": "V", "number": "1",
                                        "type": "video"}),
        ),
    );
    conform(
        "PUT",
        "/api/statuses/{id}",
        api.put(
            "/api/statuses/1",
            &json!({"category": "available", "name": "Available"}),
        ),
    );
    conform(
        "DELETE",
        "/api/statuses/{id}",
        api.delete("/api/statuses/1"),
    );
    conform("GET", "/api/openapi.json", api.get("/api/openapi.json"));
    // Callback requests: asked for, listed, refused, cancelled twice.
    let callbacks = "/api/callbacks";
    let asked = conform(
        "POST",
        callbacks,
        api.post(
            callbacks,
            &json!({"queue_id": q["id"], "number": "+15550123"}),
        ),
    );
    conform(
        "POST",
        callbacks,
        api.post(
            callbacks,
            &json!({"queue_id": q["id"], "number": "call me"}),
        ),
    );
    conform(
        "POST",
        callbacks,
        api.post(callbacks, &json!({"nonsense": 1})),
    );
    conform("GET", callbacks, api.get(callbacks));
    conform(
        "GET",
        callbacks,
        api.get(&format!("{callbacks}?open=true&queue_id={}", q["id"])),
    );
    conform(
        "GET",
        callbacks,
        api.get(&format!("{callbacks}?queue_id=x")),
    );
    let asked_at = format!("{callbacks}/{}", asked["id"]);
    conform("DELETE", "/api/callbacks/{id}", api.delete(&asked_at));
    conform("DELETE", "/api/callbacks/{id}", api.delete(&asked_at));
    conform(
        "DELETE",
        "/api/callbacks/{id}",
        api.delete("/api/callbacks/1234567"),
    );
    let form = common::http::request_typed(
        server.http,
        "PUT",
        "/api/projects/1",
        Some(&api.token),
        "text/plain",
        Some("Doc"),
    );
    conform("PUT", "/api/projects/{id}", form);

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The check itself notices a wrong answer.
    let wrong = Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: r#"[{"id": "seven", "name": "", "colour": 1}]"#.into(),
    };
    let found = common::http::conformance(&doc, "GET", "/api/projects", &wrong);
    assert!(found.len() >= 4, "{found:?}");
    let unlisted = Reply {
        status: 418,
        ..wrong
    };
    assert_eq!(
        common::http::conformance(&doc, "GET", "/api/projects", &unlisted).len(),
        1
    );
    // This test covers the first resources; tests/admin_users.rs the rest.
    let covered = [
        "projects",
        "statuses",
        "queues",
        "queue-groups",
        "result-codes",
        "tags",
        "trunks",
        "routes",
        "outbound-routes",
        "openapi.json",
        "callbacks",
    ];
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| covered.contains(&path.split('/').nth(2).unwrap_or("")))
        .map(|(_, item)| {
            ["get", "post", "put", "delete"]
                .iter()
                .filter(|m| item[**m].is_object())
                .count()
        })
        .sum();
    assert_eq!(seen.len(), documented, "operations exercised: {seen:?}");
}
