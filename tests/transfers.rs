//! Blind transfers from an agent's desk phone (REFER, RFC 3515), end to end:
//! the real server, SIPp as caller and as agents' phones, and the records
//! each part of the call leaves in the real database file.

mod common;

use common::calls::*;
use common::http::Api;
use serde_json::json;
use switchboard::cdr::{Disposition, TerminateSide, TransferType};

/// A second queue, number 601, served by `agent` only.
fn sales_queue(server: &common::TestServer, api: &Api, agent: &str) -> i64 {
    let support = demo_queue(api);
    let sales = api.post(
        "/api/queues",
        &json!({"project_id": support["project_id"], "name": "Sales", "number": "601"}),
    );
    assert_eq!(sales.status, 201, "{}", sales.body);
    let id = sales.json()["id"].as_i64().unwrap();
    let assigned = api.put(
        &format!("/api/queues/{id}/agents"),
        &json!([{"user_id": agent_id(server, agent), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
    id
}

/// The demo queue Support served by 1001 only.
fn support_for_1001(server: &common::TestServer, api: &Api) {
    let support = demo_queue(api);
    let id = support["id"].as_i64().unwrap();
    let assigned = api.put(
        &format!("/api/queues/{id}/agents"),
        &json!([{"user_id": agent_id(server, "1001"), "mandatory": true}]),
    );
    assert!(assigned.status < 300, "{}", assigned.body);
}

#[test]
fn a_blind_transfer_to_a_queue_number_is_answered_there_under_a_new_record() {
    let (server, api) = demo("");
    support_for_1001(&server, &api);
    let sales = sales_queue(&server, &api, "1003");
    let _sales_agent = Phones::start(&server, &["1003"], "agent_hangup.xml");
    let _transferring = Phones::start_with(
        &server,
        &["1001"],
        "agent_transfer.xml",
        &["-key", "transfer_to", "601"],
    );
    let run = call(
        &server,
        "queue_caller_waits.xml",
        DID,
        &["-recv_timeout", "60s"],
    );
    assert_sipp_ok(&run, "the caller");

    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "one record per part: {records:#?}");
    let first = &records[0].record;
    assert_eq!(first.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(first.disposition, Some(Disposition::Answered));
    assert_eq!(first.transfer_type, Some(TransferType::Blind));
    assert_eq!(
        first.transfer_target.as_deref(),
        Some(format!("queue-{sales}").as_str())
    );
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    let second = &records[1].record;
    assert_eq!(second.queue.map(|q| q.0 as i64), Some(sales));
    assert_eq!(second.agent.map(|a| a.0), Some(agent_id(&server, "1003")));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.remote_number, first.remote_number);
    assert_ne!(second.interaction_id, first.interaction_id);
    assert_eq!(server.metric("switchboard_call_transfers_total"), 1);
}

#[test]
fn a_blind_transfer_to_an_available_agent_rings_them_directly() {
    let (server, api) = demo("");
    support_for_1001(&server, &api);
    // 1002 works (in Sales) and is Available, but is not in Support.
    sales_queue(&server, &api, "1002");
    let _target = Phones::start(&server, &["1002"], "agent_hangup.xml");
    let _transferring = Phones::start_with(
        &server,
        &["1001"],
        "agent_transfer.xml",
        &["-key", "transfer_to", "1002"],
    );
    let run = call(
        &server,
        "queue_caller_waits.xml",
        DID,
        &["-recv_timeout", "60s"],
    );
    assert_sipp_ok(&run, "the caller");

    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "{records:#?}");
    let first = &records[0].record;
    assert_eq!(first.transfer_type, Some(TransferType::Blind));
    let agent_1002 = agent_id(&server, "1002");
    assert_eq!(
        first.transfer_target.as_deref(),
        Some(format!("agent-{agent_1002}").as_str())
    );
    let second = &records[1].record;
    assert_eq!(second.agent.map(|a| a.0), Some(agent_1002));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(server.metric("switchboard_call_transfers_total"), 1);
}

#[test]
fn a_transfer_to_an_agent_who_cannot_take_it_is_refused_and_the_call_goes_on() {
    let (server, api) = demo("");
    support_for_1001(&server, &api);
    // 1002 is not working at all (no phone registered): not Available, not
    // in a Transferable status.
    let _transferring = Phones::start_with(
        &server,
        &["1001"],
        "agent_transfer.xml",
        &["-key", "transfer_to", "1002"],
    );
    let run = call(&server, "queue_caller.xml", DID, &["-d", "4000"]);
    assert_sipp_ok(&run, "the caller");

    let records = completed_records(&server, 1);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0].record;
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(r.transfer_type, None);
    assert_eq!(
        r.terminate_side,
        Some(TerminateSide::Caller),
        "the caller hung up, still with 1001"
    );
    assert_eq!(server.metric("switchboard_call_transfers_total"), 0);
    assert_eq!(server.metric("switchboard_call_transfers_refused_total"), 1);
}

/// Attended transfer (RFC 5589 section 7): 1001 takes the queue call, holds
/// the caller, calls 1002 by extension, and once 1002 answers sends REFER
/// with Replaces naming that consultation. The caller is then talking to
/// 1002: neither of them gets a BYE until the caller hangs up, 1001's phone
/// gets the 202, a NOTIFY of 200 and a BYE on both of its dialogs (its
/// scenario ends only then), and each agent's part has its own record.
#[test]
fn an_attended_transfer_hands_the_caller_to_the_consulted_agent() {
    let (server, api) = demo("");
    support_for_1001(&server, &api);
    // 1002 works (in Sales) and is Available, but is not in Support.
    sales_queue(&server, &api, "1002");
    let _consulted = Phones::start(&server, &["1002"], "agent_answer.xml");
    let done = server.dir.path().join("transferred");
    let _transferring = Phones::start_with(
        &server,
        &["1001"],
        "agent_attended.xml",
        // Not from the demo trunk's address: the phone's own INVITE must be
        // taken as a user's (digest), not a trunk's.
        &[
            "-key",
            "consult_to",
            "1002",
            "-key",
            "done_file",
            done.to_str().unwrap(),
            "-i",
            "127.0.0.3",
        ],
    );
    let run = call(&server, "queue_caller.xml", DID, &["-d", "8000"]);
    assert_sipp_ok(&run, "the caller, who gets no BYE");

    let records = completed_records(&server, 2);
    assert_eq!(records.len(), 2, "one record per agent: {records:#?}");
    let first = &records[0].record;
    assert_eq!(first.agent.map(|a| a.0), Some(agent_id(&server, "1001")));
    assert_eq!(first.disposition, Some(Disposition::Answered));
    assert_eq!(first.transfer_type, Some(TransferType::Attended));
    let agent_1002 = agent_id(&server, "1002");
    assert_eq!(
        first.transfer_target.as_deref(),
        Some(format!("agent-{agent_1002}").as_str())
    );
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    assert!(first.hold_length > std::time::Duration::ZERO, "{first:#?}");
    let second = &records[1].record;
    assert_eq!(second.agent.map(|a| a.0), Some(agent_1002));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.queue, first.queue);
    assert_eq!(second.remote_number, first.remote_number);
    assert_eq!(
        second.terminate_side,
        Some(TerminateSide::Caller),
        "the caller talked to 1002 until they hung up"
    );
    assert_eq!(server.metric("switchboard_call_transfers_total"), 1);
    assert_eq!(server.metric("switchboard_call_transfers_refused_total"), 0);
    // 1001's phone saw the 202, the NOTIFY of 200 and a BYE on each dialog.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "1001's phone did not see its scenario through"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// An agent's phone may call a colleague's extension (the consultation of
/// an attended transfer) only when dispatch would hand them a transfer: a
/// colleague who is not working is busy, and nobody's phone rings.
#[test]
fn calling_a_colleague_who_cannot_take_a_call_is_busy() {
    let (server, _api) = demo("");
    // 1002 is not working at all (no phone registered).
    let inf = server.sipp_users("consulting.csv", &[("1001", "pw-1001")]);
    let run = common::sipp_from(
        "127.0.0.3",
        "agent_dials_busy.xml",
        server.udp,
        &inf,
        &["-s", "1002", "-m", "1"],
    );
    assert_sipp_ok(&run, "1001's phone hears 486");
    assert_eq!(server.metric("switchboard_call_agent_invites_total"), 0);
}
