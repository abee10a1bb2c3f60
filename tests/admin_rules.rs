//! The administration API's rules for statuses (the system status Available),
//! result codes, tags and malformed bodies, over real HTTP against the real
//! server and a real SQLite file.

mod common;

use common::http::{
    assert_problem, created, fields, project, queue, request, request_raw, request_typed, server,
};
use serde_json::json;

#[test]
fn the_system_status_is_listed_but_read_only() {
    let (_server, api) = server();
    let list = api.get("/api/statuses").json();
    let available = &list.as_array().unwrap()[0];
    assert_eq!(available["name"], "Available");
    assert_eq!(available["category"], "available");
    assert_eq!(available["system"], true);
    let id = available["id"].as_i64().unwrap();
    let edit = json!({"category": "available", "name": "Ready"});
    assert_problem(&api.put(&format!("/api/statuses/{id}"), &edit), 403);
    assert_problem(&api.delete(&format!("/api/statuses/{id}")), 403);
    assert_eq!(
        api.get(&format!("/api/statuses/{id}")).json()["name"],
        "Available"
    );

    let lunch = created(api.post(
        "/api/statuses",
        &json!({"category": "break", "name": "Lunch", "agent_changeable": true,
                "show_on_dashboard": true}),
    ));
    assert_eq!(lunch["system"], false);
    assert_eq!(lunch["active"], true);
    let dup = assert_problem(
        &api.post(
            "/api/statuses",
            &json!({"category": "offline", "name": "Available"}),
        ),
        409,
    );
    assert_eq!(fields(&dup), ["name"]);
    let both = assert_problem(
        &api.post(
            "/api/statuses",
            &json!({"category": "break", "name": "Coaching",
                    "agent_changeable": true, "supervisor_only": true}),
        ),
        422,
    );
    assert_eq!(fields(&both), ["supervisor_only"]);
    let bad_category = assert_problem(
        &api.post(
            "/api/statuses",
            &json!({"category": "asleep", "name": "Zz"}),
        ),
        400,
    );
    assert!(bad_category["errors"].is_array());
    let lid = lunch["id"].as_i64().unwrap();
    let put = api.put(
        &format!("/api/statuses/{lid}"),
        &json!({"category": "break", "name": "Lunch", "active": false}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        api.get(&format!("/api/statuses/{lid}")).json()["active"],
        false
    );
    assert_eq!(api.delete(&format!("/api/statuses/{lid}")).status, 204);
    assert_eq!(api.get("/api/statuses").json().as_array().unwrap().len(), 1);
}

#[test]
fn result_codes_refuse_incompatible_flags_and_long_names() {
    let (_server, api) = server();
    let clash = assert_problem(
        &api.post(
            "/api/result-codes",
            &json!({"category": "schedule", "type": "call", "display_name": "Call back",
                    "flags": {"ask_date": true, "call_again": true}}),
        ),
        422,
    );
    assert_eq!(fields(&clash), ["flags.call_again"]);
    let long = assert_problem(
        &api.post(
            "/api/result-codes",
            &json!({"category": "other", "type": "product", "display_name": "x".repeat(33)}),
        ),
        422,
    );
    assert_eq!(fields(&long), ["display_name"]);
    let unknown_flag = assert_problem(
        &api.post(
            "/api/result-codes",
            &json!({"category": "other", "type": "call", "display_name": "X",
                    "flags": {"teleport": true}}),
        ),
        400,
    );
    assert!(unknown_flag["detail"]
        .as_str()
        .unwrap()
        .contains("teleport"));

    let code = created(api.post(
        "/api/result-codes",
        &json!({"category": "schedule", "type": "call", "display_name": "Call back",
                "flags": {"ask_date": true, "note_required": true, "self": true}}),
    ));
    assert_eq!(code["flags"]["ask_date"], true);
    assert_eq!(code["flags"]["self"], true);
    assert_eq!(code["flags"]["call_again"], false);
    let dup = assert_problem(
        &api.post(
            "/api/result-codes",
            &json!({"category": "fail", "type": "written_channel", "display_name": "Call back"}),
        ),
        409,
    );
    assert_eq!(fields(&dup), ["display_name"]);
    let id = code["id"].as_i64().unwrap();
    let put = api.put(
        &format!("/api/result-codes/{id}"),
        &json!({"category": "success", "type": "call", "display_name": "Sold",
                "flags": {"final_result": true}}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let got = api.get(&format!("/api/result-codes/{id}")).json();
    assert_eq!(got["display_name"], "Sold");
    assert_eq!(got["flags"]["final_result"], true);
    assert_eq!(got["flags"]["ask_date"], false);
    assert_eq!(api.delete(&format!("/api/result-codes/{id}")).status, 204);
}

#[test]
fn tags_need_a_colour_and_warn_without_queues() {
    let (_server, api) = server();
    let p = project(&api, "Retail");
    let q = queue(&api, p, "Orders", "5001");
    let bad = assert_problem(
        &api.post(
            "/api/tags",
            &json!({"name": "VIP", "colour": "red", "queues": [q]}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["colour"]);
    let lonely = created(api.post("/api/tags", &json!({"name": "Lonely", "colour": "#00FF00"})));
    assert_eq!(lonely["colour"], "#00ff00");
    assert_eq!(lonely["warnings"].as_array().unwrap().len(), 1);
    let vip = created(api.post(
        "/api/tags",
        &json!({"name": "VIP", "category": "Customer", "colour": "#aa0000", "queues": [q]}),
    ));
    assert_eq!(vip["queues"], json!([q]));
    assert_eq!(vip["warnings"], json!([]));
    // Deleting the queue takes it off the tag.
    assert_eq!(api.delete(&format!("/api/queues/{q}")).status, 204);
    let id = vip["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&format!("/api/tags/{id}")).json()["queues"],
        json!([])
    );
}

#[test]
fn malformed_bodies_are_problems_naming_the_field() {
    let (server, api) = server();
    let token = Some(api.token.as_str());
    let broken = request_raw(
        server.http,
        "POST",
        "/api/projects",
        token,
        Some("{\"name\":"),
    );
    assert_problem(&broken, 400);
    let missing = assert_problem(
        &api.post("/api/projects", &json!({"break_minutes": 3})),
        400,
    );
    assert_eq!(fields(&missing), ["name"]);
    let unknown = assert_problem(
        &api.post("/api/projects", &json!({"name": "A", "colour": "blue"})),
        400,
    );
    assert_eq!(fields(&unknown), ["colour"]);
    assert_problem(&api.get("/api/nothing-here"), 404);
    let form = request_typed(
        server.http,
        "POST",
        "/api/projects",
        token,
        "application/x-www-form-urlencoded",
        Some("name=A"),
    );
    assert_problem(&form, 415);
    let charset = request_typed(
        server.http,
        "POST",
        "/api/projects",
        token,
        "application/json; charset=utf-8",
        Some(r#"{"name": "A"}"#),
    );
    assert_eq!(charset.status, 201, "{}", charset.body);
    let patch = request(server.http, "PATCH", "/api/projects", token, None);
    assert_problem(&patch, 405);
}

#[test]
fn a_queue_offers_result_codes_that_then_cannot_be_deleted() {
    let (_server, api) = server();
    let p = project(&api, "Collections");
    let paid = created(api.post(
        "/api/result-codes",
        &json!({"category": "success", "type": "call", "display_name": "Paid"}),
    ))["id"]
        .as_i64()
        .unwrap();
    let bad = assert_problem(
        &api.post(
            "/api/queues",
            &json!({"project_id": p, "name": "Dunning", "number": "7001",
                    "result_codes": [paid, 31337]}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["result_codes[1]"]);
    let q = created(api.post(
        "/api/queues",
        &json!({"project_id": p, "name": "Dunning", "number": "7001", "profile": "Agent",
                "result_codes": [paid]}),
    ));
    assert_eq!(q["result_codes"], json!([paid]));
    assert_eq!(q["profile"], "Agent");
    let qid = q["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&format!("/api/queues/{qid}")).json()["result_codes"],
        json!([paid])
    );
    let blocked = assert_problem(&api.delete(&format!("/api/result-codes/{paid}")), 409);
    assert!(
        blocked["detail"].as_str().unwrap().contains("Dunning"),
        "{blocked}"
    );
    // Deleting the queue frees the code.
    assert_eq!(api.delete(&format!("/api/queues/{qid}")).status, 204);
    assert_eq!(api.delete(&format!("/api/result-codes/{paid}")).status, 204);
}

#[test]
fn the_announcement_warning_uses_the_measured_prompts() {
    let (_server, api) = server();
    let p = project(&api, "Announcements");
    let mut warned = Vec::new();
    for (i, (mode, every)) in [
        ("position", 10),
        ("both", 10),
        ("both", 30),
        ("queue_exit", 3),
    ]
    .into_iter()
    .enumerate()
    {
        let q = created(api.post(
            "/api/queues",
            &json!({"project_id": p, "name": format!("Q{i}"), "number": format!("80{i}"),
                    "position_announcement": mode, "announcement_frequency_secs": every}),
        ));
        warned.push(!q["warnings"].as_array().unwrap().is_empty());
    }
    // The shipped English prompts: about 6 s for position and wait, about 3 s
    // for the callback offer, so "both" does not fit in 10 s.
    assert_eq!(warned, [false, true, false, true]);
}

/// Writes racing for the same unique name: one wins, the others are told of
/// the conflict, and none fails with a server error.
#[test]
fn concurrent_writes_conflict_cleanly() {
    let (_server, api) = server();
    let api = std::sync::Arc::new(api);
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let api = api.clone();
            std::thread::spawn(move || {
                let name = format!("Race {}", i % 2);
                api.post("/api/projects", &json!({"name": name})).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(api.get("/api/projects").json().as_array().unwrap().len(), 2);
}

/// The console asks, as the operator types, what a save would answer: the
/// warnings next to their fields, or the problem, and nothing is saved.
#[test]
fn a_check_answers_what_a_save_would_without_saving() {
    let (_server, api) = server();
    let p = project(&api, "Retail");
    let orders = queue(&api, p, "Orders", "5001");
    let draft = json!({"project_id": p, "name": "Returns", "number": "5002",
                       "queue_timeout_secs": 10});
    let answer = api.post("/api/queues/check", &draft);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let warnings = answer.json()["warnings"].clone();
    assert_eq!(warnings.as_array().unwrap().len(), 1, "{warnings}");
    assert_eq!(warnings[0]["field"], "queue_timeout_secs");
    assert!(warnings[0]["message"]
        .as_str()
        .unwrap()
        .contains("raised to the minimum of 30"));
    assert_eq!(
        api.get("/api/queues").json().as_array().unwrap().len(),
        1,
        "a check saves nothing"
    );

    // The problems a save would get: a bad field, a taken number.
    let bad = assert_problem(
        &api.post(
            "/api/queues/check",
            &json!({"project_id": p, "name": "", "number": "5002"}),
        ),
        422,
    );
    assert_eq!(fields(&bad), ["name"]);
    let taken = assert_problem(
        &api.post(
            "/api/queues/check",
            &json!({"project_id": p, "name": "Again", "number": "5001"}),
        ),
        409,
    );
    assert_eq!(fields(&taken), ["number"]);

    // Editing: the queue as read, changed, checks against itself.
    let mut stored = api.get(&format!("/api/queues/{orders}")).json();
    let same = api.post(&format!("/api/queues/check?id={orders}"), &stored);
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(same.json()["warnings"], json!([]));
    stored["exit_queue_id"] = json!(orders);
    let itself = assert_problem(
        &api.post(&format!("/api/queues/check?id={orders}"), &stored),
        422,
    );
    assert_eq!(fields(&itself), ["exit_queue_id"]);
    assert_problem(&api.post("/api/queues/check?id=999999", &draft), 404);
    assert_problem(&api.post("/api/queues/check?id=x", &draft), 400);

    // A tag without queues warns on its queues field.
    let tag = api.post(
        "/api/tags/check",
        &json!({"name": "Lonely", "colour": "#00ff00"}),
    );
    assert_eq!(tag.status, 200, "{}", tag.body);
    assert_eq!(
        tag.json()["warnings"],
        json!([{"field": "queues",
                "message": "the tag has no queue, so no agent is offered it"}])
    );
    assert_eq!(
        api.get("/api/tags").json(),
        json!([]),
        "a check saves nothing"
    );
}
