//! User priority in dispatch: of two free agents, the one of higher priority
//! rings first, whatever the queue's strategy would say.

use std::time::Duration;

use serde_json::json;
use switchboard::cdr::Disposition;

use super::change_user;
use crate::common::calls::*;

#[test]
fn the_higher_priority_agent_rings_first() {
    let (server, api) = demo("");
    change_demo_queue(
        &api,
        json!({"strategy": "longest_idle", "agent_timeout_secs": 2, "after_call_work_secs": 0}),
    );
    let _slow = Phones::start(&server, &["1001"], "agent_noanswer.xml");
    let _quick = Phones::start(&server, &["1002"], "agent_answer.xml");

    // 1001, who does not answer, has the higher priority: their phone rings
    // for the agent timeout before 1002's.
    change_user(&server, &api, "1001", json!({"priority": 80}));
    let run = call(&server, "queue_caller.xml", DID, &["-d", "5000"]);
    assert_sipp_ok(&run, "the first caller");
    let records = completed_records(&server, 1);
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.agent.map(|a| a.0), Some(agent_id(&server, "1002")));
    assert!(
        r.alert_length >= Duration::from_secs(2),
        "1001 rang for the agent timeout first: {r:#?}"
    );
    let missed = server.metric("switchboard_call_agent_misses_total");
    assert!(missed >= 1);

    // Now 1002 has it: although 1002 has just had a call and Longest Idle
    // would choose 1001, 1002 rings first and answers at once.
    change_user(&server, &api, "1001", json!({"priority": 0}));
    change_user(&server, &api, "1002", json!({"priority": 60}));
    let run = call(&server, "queue_caller.xml", DID, &["-d", "2000"]);
    assert_sipp_ok(&run, "the second caller");
    let records = completed_records(&server, 2);
    let r = &records[1].record;
    assert_eq!(
        r.agent.map(|a| a.0),
        Some(agent_id(&server, "1002")),
        "{r:#?}"
    );
    assert!(r.alert_length < Duration::from_secs(2), "{r:#?}");
    assert_eq!(
        server.metric("switchboard_call_agent_misses_total"),
        missed,
        "1001's phone was not rung"
    );
}
