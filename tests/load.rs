//! REGISTER with digest at 1,000 per second for 10 seconds from SIPp, against
//! the real server with its SQLite file: every transaction must succeed.
//! (Throughput is measured by tools/bench-register, not asserted here.)

mod common;

use common::{sipp, TestServer};

/// The two load tests take turns: run side by side on a small machine, each
/// slows the other's server enough that SIPp retransmits and then miscounts
/// the answer to its own retransmission. Each test's load is its own figure.
static ONE_LOAD_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_load_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_LOAD_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn ten_thousand_digest_registrations_at_1000_per_second_all_succeed() {
    let _turn = one_load_at_a_time();
    let users: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("{}", 50_000 + i), format!("pw{i}x")))
        .collect();
    let refs: Vec<(&str, &str)> = users
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .collect();
    // One SIPp address registers every phone, as a proxy would: its
    // registrations in flight must not count as a guessing source's.
    let server = TestServer::start("[auth]\nfailures_per_source_per_minute = 1000000\n", &refs);
    let csv = server.sipp_users("load.csv", &refs);
    let run = sipp(
        "register.xml",
        server.udp,
        &csv,
        &["-r", "1000", "-m", "10000", "-l", "2000"],
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(run.successful_calls, 10_000, "{}", run.output);
    assert_eq!(run.failed_calls, 0);
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 10_000);
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 0);
}

/// 50 calls per second for 30 seconds into the demo queue, served by 200
/// agents' phones (SIPp): every caller is answered by an agent, and every
/// call leaves one completed interaction record.
#[test]
fn calls_at_50_per_second_are_all_answered_and_recorded() {
    let _turn = one_load_at_a_time();
    use common::calls::{completed_records, demo_queue, demo_with_agents, Phones, DID};
    use switchboard::cdr::Disposition;

    let agents: Vec<String> = (0..200).map(|i| format!("{}", 3000 + i)).collect();
    let (server, api) = demo_with_agents("", &agents);
    let queue = demo_queue(&api)["id"].as_i64().unwrap();
    let ids = {
        let (rt, store) = common::calls::store_of(&server);
        let all = rt.block_on(store.agent_extensions()).unwrap();
        rt.block_on(store.close());
        all.into_iter()
            .filter(|(_, u)| agents.contains(u))
            .map(|(id, _)| serde_json::json!({"user_id": id, "mandatory": true}))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids.len(), 200);
    let put = api.put(
        &format!("/api/queues/{queue}/agents"),
        &serde_json::Value::Array(ids),
    );
    assert!(put.status < 300, "{}", put.body);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let names: Vec<&str> = agents.iter().map(String::as_str).collect();
    let _phones = Phones::start(&server, &names, "agent_answer_quiet.xml");

    let inf = server.dir.path().join("callers.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let run = sipp(
        "queue_caller.xml",
        server.udp,
        &inf,
        &[
            "-s", DID, "-r", "50", "-m", "1500", "-d", "1000", "-l", "1000",
        ],
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(run.successful_calls, 1500, "{}", run.output);
    assert_eq!(run.failed_calls, 0, "{}", run.output);

    let records = completed_records(&server, 1500);
    assert_eq!(records.len(), 1500, "one record per call");
    let answered = records
        .iter()
        .filter(|r| r.record.disposition == Some(Disposition::Answered))
        .count();
    assert_eq!(answered, 1500, "every caller reached an agent");
    assert_eq!(server.metric("switchboard_call_agent_answers_total"), 1500);
    assert_eq!(server.metric("switchboard_call_record_failures_total"), 0);
}
