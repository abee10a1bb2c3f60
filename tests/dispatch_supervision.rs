//! A panic in the dispatch task, end to end: the real server (a debug build,
//! whose fault hook `SWITCHBOARD_FAULT_DISPATCH_PANIC` makes dispatch panic
//! when a listed extension registers), SIPp callers waiting in the queue and
//! SIPp agents' phones, and the records in the real database file.
//!
//! Every test of this file sets the same list, so it does not matter which
//! server process reads it first.

mod common;

use std::time::{Duration, Instant};

use common::calls::*;
use switchboard::cdr::Disposition;
use switchboard::store::RowState;

/// 1001 panics dispatch once, in the restart test; 1004 to 1007 four times,
/// past the restart budget, in the stop test.
fn inject_faults() {
    std::env::set_var(
        "SWITCHBOARD_FAULT_DISPATCH_PANIC",
        "1001,1004,1005,1006,1007",
    );
}

fn wait_metric(server: &common::TestServer, name: &str, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.metric(name) < at_least {
        assert!(
            Instant::now() < deadline,
            "{name} stayed at {}",
            server.metric(name)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn after_a_panic_waiting_callers_keep_their_place_and_are_answered() {
    inject_faults();
    let (server, _api) = demo("");
    // Nobody is registered: two callers wait, the first 1.5 s before the
    // second. The agent's registration then makes dispatch panic.
    let wait = ["-recv_timeout", "60s"];
    std::thread::scope(|scope| {
        let first = scope.spawn(|| call(&server, "queue_caller_waits.xml", DID, &wait));
        std::thread::sleep(Duration::from_millis(1500));
        let second = scope.spawn(|| call(&server, "queue_caller_waits.xml", DID, &wait));
        std::thread::sleep(Duration::from_millis(1500));
        let _phone = Phones::start(&server, &["1001"], "agent_hangup.xml");
        assert_sipp_ok(&first.join().unwrap(), "the first caller");
        assert_sipp_ok(&second.join().unwrap(), "the second caller");
    });
    assert_eq!(server.metric("switchboard_call_dispatch_failures_total"), 1);
    assert_eq!(server.metric("switchboard_call_dispatch_restarts_total"), 1);
    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "{records:#?}");
    for r in &records {
        assert_eq!(r.state, RowState::Complete, "not interrupted: {records:#?}");
        assert_eq!(r.record.disposition, Some(Disposition::Answered));
        assert_eq!(r.record.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    }
    let (first, second) = (&records[0].record, &records[1].record);
    assert!(
        first.connection_moment < second.connection_moment,
        "the first caller kept their place: {records:#?}"
    );
    // The wait counts from the arrival, before the restart.
    assert!(
        first.queue_wait_length >= Duration::from_millis(2500),
        "{records:#?}"
    );
    assert!(
        first.queue_wait_length > second.queue_wait_length,
        "{records:#?}"
    );
}

#[test]
fn repeated_panics_stop_the_node_once_its_calls_end() {
    inject_faults();
    let more: Vec<String> = (1004..=1007).map(|n| n.to_string()).collect();
    let (mut server, _api) = demo_with_agents("[calls]\ndrain_secs = 120\n", &more);
    let _agent = Phones::start(&server, &["1002"], "agent_answer.xml");
    let (udp, inf) = (server.udp, server.dir.path().join("talking.csv"));
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    let talking = std::thread::spawn(move || {
        common::sipp(
            "queue_caller.xml",
            udp,
            &inf,
            &["-s", DID, "-m", "1", "-d", "10000"],
        )
    });
    wait_metric(&server, "switchboard_call_agent_answers_total", 1);
    // Four panics in a row, one registration each: three restarts, then the
    // node stops taking calls.
    let mut others = Vec::new();
    for (n, user) in ["1004", "1005", "1006", "1007"].into_iter().enumerate() {
        others.push(Phones::start(&server, &[user], "agent_answer.xml"));
        wait_metric(
            &server,
            "switchboard_call_dispatch_failures_total",
            n as u64 + 1,
        );
    }
    assert_eq!(server.metric("switchboard_call_dispatch_restarts_total"), 3);
    let refused = call(&server, "queue_caller.xml", DID, &["-d", "500"]);
    assert!(
        refused.output.contains("503") || refused.failed_calls == 1,
        "a new call is refused: {}",
        refused.output
    );
    assert_eq!(server.metric("switchboard_call_refused_stopping_total"), 1);
    // The call in progress goes on to its end, then the process exits
    // non-zero for the process supervisor and the SIP edge to see.
    assert_sipp_ok(
        &talking.join().unwrap(),
        "the caller talking through the panics",
    );
    let status = server
        .wait_exit(Duration::from_secs(60))
        .expect("the server stopped once its last call ended");
    assert!(!status.success(), "{status:?}");
    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].state, RowState::Complete);
    assert_eq!(records[0].record.disposition, Some(Disposition::Answered));
}
