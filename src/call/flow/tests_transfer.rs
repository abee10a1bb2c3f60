//! Transfers to a queue, to an agent and attended as tables: inputs in, the call
//! core's actions out, on a virtual clock.

use std::time::Duration;

use super::tests::*;
use super::*;
use crate::cdr::{Disposition, TerminateSide};

#[test]
fn a_blind_transfer_to_a_queue_keeps_the_first_record_for_the_agents_after_call_work() {
    let q2 = queue(Q2, None, Duration::ZERO);
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Queue(q2.clone()),
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    assert_eq!(counts(&moved), vec![Count::Transfers]);
    assert_eq!(
        moves(&moved),
        vec![
            Action::TransferVerdict(TransferVerdict::Accepted),
            Action::Unbridge,
            Action::HangUpAgent { agent: A1 },
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Listen(C2),
            Action::PlayHoldMusic { queue: q2 },
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q2
            }),
        ]
    );
    assert!(
        completed(&moved).is_empty(),
        "the first record waits for the after-call work"
    );
    // The agent's result and the end of their after-call work reach the
    // first record, not the caller's new one.
    flow.handle(
        t(35),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let closed = drain(&mut flow);
    let first = &completed(&closed)[0];
    assert_eq!(first.interaction_id.0, C1.0);
    assert_eq!(first.disposition, Some(Disposition::Answered));
    assert_eq!(first.transfer_type, Some(TransferType::Blind));
    assert_eq!(first.transfer_target.as_deref(), Some("queue-2"));
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(first.acw_length, Duration::from_secs(5));
    assert_eq!(moves(&closed), vec![Action::Forget(C1)]);
    // The caller waits in the new queue under the new record.
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.record().queue, Some(Q2));
    assert!(flow.is_live());
}

#[test]
fn transfers_that_are_refused_leave_the_call_as_it_was() {
    // (what, target, verdict, dispatch told)
    let reserved = TransferTo::Agent {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        accepted: true,
    };
    let table: Vec<(&str, AgentId, TransferTo, TransferVerdict, bool)> = vec![
        (
            "an agent who does not take transfers",
            A1,
            TransferTo::Agent {
                agent: A2,
                aor: "sip:1002@example.com".into(),
                accepted: false,
            },
            TransferVerdict::Forbidden,
            false,
        ),
        (
            "an unknown target",
            A1,
            TransferTo::Unknown,
            TransferVerdict::NotFound,
            false,
        ),
        (
            "a request from an agent not on the call frees the reserved target",
            A2,
            reserved,
            TransferVerdict::NotNow,
            true,
        ),
    ];
    for (what, from, to, verdict, freed) in table {
        let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
        flow.handle(
            t(30),
            Input::Transfer {
                agent: from,
                to,
                next: C2,
            },
        );
        let mut expected = Vec::new();
        if freed {
            expected.push(Action::Dispatch(acd::Event::Hangup { call: C2 }));
        }
        expected.push(Action::Count(Count::TransfersRefused));
        expected.push(Action::TransferVerdict(verdict));
        assert_eq!(drain(&mut flow), expected, "{what}");
        assert_eq!(flow.connected_agent(), Some(A1), "{what}");
        assert_eq!(flow.id(), C1, "{what}");
    }
}

#[test]
fn a_transfer_to_an_agent_rings_them_and_falls_back_to_the_queue() {
    let q1 = queue(Q1, None, Duration::ZERO);
    let to = TransferTo::Agent {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        accepted: true,
    };
    // Answered: the two are bridged and the new record is answered by A2.
    let mut flow = connected(q1.clone(), A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: to.clone(),
            next: C2,
        },
    );
    let rung = moves(&drain(&mut flow));
    assert!(rung.contains(&Action::Ring {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        auto_answer: false
    }));
    assert!(
        !rung
            .iter()
            .any(|a| matches!(a, Action::Dispatch(acd::Event::CallArrived { .. }))),
        "the caller is not queued while the agent rings"
    );
    flow.handle(
        t(33),
        Input::AgentAnswered {
            agent: A2,
            browser: false,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Bridge { agent: A2 }],
        "no queue offer to accept"
    );
    assert_eq!(flow.record().agent, Some(A2));
    assert_eq!(flow.record().disposition, Some(Disposition::Answered));
    // The call ends: dispatch gives no after-call work for a transfer, so
    // the task is done once the first record's after-call work is.
    flow.handle(t(90), Input::AgentHungUp { agent: A2 });
    let ended = drain(&mut flow);
    assert!(!ended.contains(&Action::Finished));
    flow.handle(
        t(90),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let done = drain(&mut flow);
    assert_eq!(completed(&done).len(), 2);
    assert_eq!(done.last(), Some(&Action::Finished));

    // Not answered in the agent timeout: the caller waits in the queue.
    let mut flow = connected(q1, A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to,
            next: C2,
        },
    );
    drain(&mut flow);
    assert_eq!(flow.poll_timeout(), Some(t(45)));
    flow.handle_timeout(t(45));
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::HangUpAgent { agent: A2 },
            Action::Dispatch(acd::Event::Hangup { call: C2 }),
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q1
            }),
        ]
    );
    assert_eq!(flow.connected_agent(), None);
    assert!(flow.is_live());
}

#[test]
fn an_attended_transfer_bridges_the_consulted_agent_under_a_new_record() {
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    // The agent puts the caller on hold while they consult A2.
    flow.handle(t(20), Input::AgentHold { on_hold: true });
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Consulted { agent: A2 },
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    assert_eq!(counts(&moved), vec![Count::Transfers]);
    assert_eq!(
        moves(&moved),
        vec![
            Action::TransferVerdict(TransferVerdict::Accepted),
            Action::Unbridge,
            Action::HangUpAgent { agent: A1 },
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Listen(C2),
            Action::Bridge { agent: A2 },
        ],
        "no ringing, no queueing: A2 is on the line already"
    );
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.connected_agent(), Some(A2));
    let second = flow.record().clone();
    assert_eq!(second.agent, Some(A2));
    assert_eq!(second.queue, Some(Q1));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.transfer_type, None);
    // A1's result and after-call work still reach the first record.
    flow.handle(
        t(36),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let closed = drain(&mut flow);
    let first = &completed(&closed)[0];
    assert_eq!(first.interaction_id.0, C1.0);
    assert_eq!(first.agent, Some(A1));
    assert_eq!(first.transfer_type, Some(TransferType::Attended));
    assert_eq!(first.transfer_target.as_deref(), Some("agent-2"));
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(first.acw_length, Duration::from_secs(6));
    // The caller and A2 talk on; A2 may hold and transfer in turn.
    flow.handle(t(40), Input::AgentHold { on_hold: true });
    flow.handle(t(45), Input::AgentHold { on_hold: false });
    flow.handle(t(90), Input::CallerHungUp);
    let ended = drain(&mut flow);
    assert!(moves(&ended).contains(&Action::HangUpAgent { agent: A2 }));
    assert!(moves(&ended).contains(&Action::Dispatch(acd::Event::Hangup { call: C2 })));
    let done = completed(&ended);
    assert_eq!(done.len(), 1, "dispatch gives a transfer's agent no ACW");
    assert_eq!(done[0].terminate_side, Some(TerminateSide::Caller));
    assert_eq!(done[0].hold_length, Duration::from_secs(5));
    assert_eq!(ended.last(), Some(&Action::Finished));
}

#[test]
fn attended_transfers_that_cannot_happen_leave_the_caller_with_the_agent() {
    // (what, from, target, verdict, leg hung up, reservation freed)
    let table: Vec<(&str, AgentId, TransferTo, TransferVerdict, bool, bool)> = vec![
        (
            "no consultation by that Replaces (unknown, or either side hung up)",
            A1,
            TransferTo::NoConsultation,
            TransferVerdict::NoDialog,
            false,
            false,
        ),
        (
            "the request does not come from the connected agent",
            A2,
            TransferTo::Consulted { agent: A2 },
            TransferVerdict::NotNow,
            true,
            true,
        ),
        (
            "an agent consulting themselves keeps their own leg",
            A1,
            TransferTo::Consulted { agent: A1 },
            TransferVerdict::Forbidden,
            false,
            true,
        ),
    ];
    for (what, from, to, verdict, hung_up, freed) in table {
        let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
        let consulted = match &to {
            TransferTo::Consulted { agent } => Some(*agent),
            _ => None,
        };
        flow.handle(
            t(30),
            Input::Transfer {
                agent: from,
                to,
                next: C2,
            },
        );
        let mut expected = Vec::new();
        if hung_up {
            expected.push(Action::HangUpAgent {
                agent: consulted.unwrap(),
            });
        }
        if freed {
            expected.push(Action::Dispatch(acd::Event::Hangup { call: C2 }));
        }
        expected.push(Action::Count(Count::TransfersRefused));
        expected.push(Action::TransferVerdict(verdict));
        assert_eq!(drain(&mut flow), expected, "{what}");
        assert_eq!(flow.connected_agent(), Some(A1), "{what}");
        assert_eq!(flow.id(), C1, "{what}");
        assert_eq!(flow.record().transfer_type, None, "{what}");
    }
}
