//! A SIP call never enters a text queue: the admin API refuses a route, an
//! exit or a kind change that would send calls there (422 naming the field),
//! and a call that still reaches one is refused 404 and counted.

use serde_json::json;

use crate::common::calls::*;
use crate::common::http::{assert_problem, created, fields};

#[test]
fn routes_and_exits_to_a_text_queue_are_refused() {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let project = support["project_id"].as_i64().unwrap();
    let chat = created(api.post(
        "/api/queues",
        &json!({"project_id": project, "name": "Chat", "number": "650", "type": "text",
                "channel_weight": 50}),
    ));
    let chat_id = chat["id"].as_i64().unwrap();

    let p = assert_problem(
        &api.post(
            "/api/routes",
            &json!({"number": "+15550177", "queue_id": chat_id}),
        ),
        422,
    );
    assert_eq!(fields(&p), ["queue_id"], "{p}");
    assert!(p.to_string().contains("text queue"), "{p}");

    let reply = api.put(&format!("/api/queues/{}", support["id"]), &{
        let mut q = queue_input(&support);
        q["exit_kind"] = json!("queue");
        q["exit_queue_id"] = json!(chat_id);
        q
    });
    let p = assert_problem(&reply, 422);
    assert_eq!(fields(&p), ["exit_queue_id"], "{p}");

    // The demo queue, where the DID's route leads, cannot become a text queue.
    let mut q = queue_input(&support);
    q["type"] = json!("text");
    let p = assert_problem(&api.put(&format!("/api/queues/{}", support["id"]), &q), 422);
    assert_eq!(fields(&p), ["type"], "{p}");

    // A route to a voice queue is still taken.
    created(api.post(
        "/api/routes",
        &json!({"number": "+15550178", "queue_id": support["id"]}),
    ));
    drop(server);
}

#[test]
fn a_call_to_a_text_queue_number_is_refused_and_counted() {
    let (server, api) = demo("");
    let project = demo_queue(&api)["project_id"].as_i64().unwrap();
    created(api.post(
        "/api/queues",
        &json!({"project_id": project, "name": "Chat", "number": "650", "type": "text"}),
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run = call(&server, "caller_not_found.xml", "650", &[]);
    assert_sipp_ok(&run, "the caller refused 404");
    assert_eq!(
        server.metric("switchboard_call_text_queue_refused_total"),
        1
    );
    // The voice queue's number still answers.
    let run = call(&server, "queue_caller.xml", "600", &["-d", "500"]);
    assert_sipp_ok(&run, "a caller of the voice queue");
}
