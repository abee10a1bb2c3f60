//! Configuration removed through the admin API reaches dispatch without a
//! restart: the real server, real HTTP, an agent logged in through the panel
//! with SIPp as their phone, SIPp as the caller, and the interaction records
//! in the real database file.

mod common;

use std::time::{Duration, Instant};

use common::calls::*;
use common::http::{queue, Api};
use common::users::{as_user, id, profile_id, token};
use common::TestServer;
use serde_json::json;
use switchboard::cdr::Disposition;

/// The demo with a second queue, Sales (601), in its project; 1001 gets a
/// panel password and serves Support (600, mandatory in the demo) and Sales.
/// Answers the server, the admin client, the project and Sales's id.
fn two_queues() -> (TestServer, Api, i64, i64) {
    let (server, api) = demo("");
    let support = demo_queue(&api);
    let project = support["project_id"].as_i64().unwrap();
    let sales = queue(&api, project, "Sales", "601");
    let user = api
        .get("/api/users")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "1001")
        .cloned()
        .unwrap();
    let reply = api.put(
        &format!("/api/users/{}", id(&user)),
        &json!({"username": "1001", "first_name": "Ada", "last_name": "Lovelace",
                "password": "secret-1001", "profiles": [profile_id(&api, "Agent")],
                "projects": [project], "queues": [support["id"], sales]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    (server, api, project, sales)
}

/// The names of the queues the agent's session serves, sorted; `None` while
/// logged out.
fn session_queues(me: &Api) -> Option<Vec<String>> {
    let who = me.get("/api/agent/me").json();
    let mut names: Vec<String> = who["session"]["queues"]
        .as_array()?
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    Some(names)
}

/// Polls until the agent's session serves exactly `names`.
fn wait_for_queues(me: &Api, names: &[&str]) {
    let want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = session_queues(me);
        if now.as_ref() == Some(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "the session serves {now:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dispositions(server: &TestServer, n: usize) -> Vec<Option<Disposition>> {
    completed_records(server, n)
        .iter()
        .map(|r| r.record.disposition)
        .collect()
}

#[test]
fn a_panel_agent_taken_off_a_queue_is_not_offered_its_next_call() {
    let (server, api, project, sales) = two_queues();
    let me = as_user(&server, &token(&server, "1001", "secret-1001", None));
    // Logged in through the panel, choosing Sales: registration then
    // neither logs them in nor reshapes their queues, so only the reload of
    // the configuration can take Sales from them.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = me.post(
            "/api/agent/login",
            &json!({"project": project, "queues": [sales]}),
        );
        if reply.status == 200 {
            break;
        }
        // The user's queues reach dispatch through the reload after the PUT.
        assert!(Instant::now() < deadline, "{}", reply.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for_queues(&me, &["Sales", "Support"]);
    let _phone = Phones::start(&server, &["1001"], "agent_answer.xml");

    let run = call(&server, "queue_caller.xml", "601", &["-d", "1500"]);
    assert_sipp_ok(&run, "the first Sales caller");
    assert_eq!(dispositions(&server, 1), [Some(Disposition::Answered)]);
    let invites = server.metric("switchboard_call_agent_invites_total");

    // Sales's agents are replaced by nobody, through the API.
    let reply = api.put(&format!("/api/queues/{sales}/agents"), &json!([]));
    assert_eq!(reply.status, 200, "{}", reply.body);
    wait_for_queues(&me, &["Support"]);

    let run = call(&server, "queue_caller.xml", "601", &["-d", "3000"]);
    assert_sipp_ok(&run, "the second Sales caller");
    assert_eq!(
        server.metric("switchboard_call_agent_invites_total"),
        invites,
        "1001 was rung for a queue taken from them"
    );
    // Still working, in the queue they kept, without a restart.
    let run = call(&server, "queue_caller.xml", "600", &["-d", "1500"]);
    assert_sipp_ok(&run, "the Support caller");
    assert_eq!(
        dispositions(&server, 3),
        [
            Some(Disposition::Answered),
            Some(Disposition::Abandoned),
            Some(Disposition::Answered)
        ]
    );
}

#[test]
fn a_caller_waiting_in_a_deleted_queue_stays_until_they_hang_up() {
    let (server, api, _project, sales) = two_queues();
    // Nobody serves Sales: its caller waits.
    let reply = api.put(&format!("/api/queues/{sales}/agents"), &json!([]));
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The caller hangs up after 4 s, long after the queue is deleted.
    let caller = {
        let server_udp = server.udp;
        let inf = server.dir.path().join("waiting.csv");
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        std::thread::spawn(move || {
            common::sipp(
                "queue_caller.xml",
                server_udp,
                &inf,
                &["-s", "601", "-m", "1", "-d", "4000"],
            )
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.metric("switchboard_call_answered_callers_total") < 1 {
        assert!(Instant::now() < deadline, "the caller never reached Sales");
        std::thread::sleep(Duration::from_millis(50));
    }
    let reply = api.delete(&format!("/api/queues/{sales}"));
    assert_eq!(reply.status, 204, "{}", reply.body);
    let run = caller.join().unwrap();
    assert!(run.success, "the caller stayed to the end: {}", run.output);
    assert_eq!(dispositions(&server, 1), [Some(Disposition::Abandoned)]);
}
