//! Blind transfers to an external number as tables: the caller stays with
//! the agent until the number answers.

use std::time::Duration;

use super::tests::{completed, connected, counts, drain, moves, queue, t, A1, A2, C1, C2, Q1};
use super::*;
use crate::cdr::{Disposition, TerminateSide};
use crate::media::prompts::Prompt;

const NUMBER: &str = "0049301234";

fn transferring() -> CallFlow {
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::External {
                number: NUMBER.into(),
            },
            next: C2,
        },
    );
    flow
}

#[test]
fn the_number_is_dialled_while_the_caller_stays_with_the_agent() {
    let mut flow = transferring();
    let started = drain(&mut flow);
    assert_eq!(
        moves(&started),
        vec![
            Action::TransferPending,
            Action::RingExternal {
                number: NUMBER.into()
            },
        ]
    );
    assert_eq!(flow.connected_agent(), Some(A1), "still talking");
    assert_eq!(
        flow.poll_timeout(),
        Some(t(30) + crate::call::dial::RING_LIMIT)
    );
    // A second transfer meanwhile is refused.
    flow.handle(
        t(31),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Unknown,
            next: CallId(300),
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::TransferVerdict(TransferVerdict::NotNow)]
    );
}

#[test]
fn on_the_answer_the_caller_is_bridged_and_the_agent_goes_to_after_call_work() {
    let mut flow = transferring();
    drain(&mut flow);
    flow.handle(t(40), Input::ExternalAnswered);
    let answered = drain(&mut flow);
    assert_eq!(counts(&answered), vec![Count::Transfers]);
    assert_eq!(
        moves(&answered),
        vec![
            Action::TransferVerdict(TransferVerdict::Accepted),
            Action::Unbridge,
            Action::HangUpAgent { agent: A1 },
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::BridgeExternal,
        ]
    );
    assert_eq!(flow.connected_agent(), None);
    // The caller talks on; the agent's after-call work ends meanwhile.
    flow.handle(
        t(45),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    assert!(completed(&drain(&mut flow)).is_empty(), "the call goes on");
    flow.handle(t(90), Input::CallerHungUp);
    let ended = drain(&mut flow);
    assert_eq!(
        moves(&ended),
        vec![
            Action::HangUpExternal,
            Action::CloseCaller,
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Finished,
        ]
    );
    let records = completed(&ended);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    assert_eq!(r.interaction_id.0, C1.0);
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.transfer_type, Some(TransferType::Blind));
    assert_eq!(r.transfer_target.as_deref(), Some("external-0049301234"));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
}

#[test]
fn the_external_party_hanging_up_ends_the_call() {
    let mut flow = transferring();
    drain(&mut flow);
    flow.handle(t(40), Input::ExternalAnswered);
    drain(&mut flow);
    flow.handle(t(60), Input::ExternalHungUp);
    let ended = moves(&drain(&mut flow));
    assert_eq!(
        ended[..3],
        [
            Action::CloseExternal,
            Action::ByeCaller,
            Action::CloseCaller
        ]
    );
    assert!(!ended.contains(&Action::HangUpExternal), "{ended:?}");
}

#[test]
fn a_failed_attempt_leaves_the_caller_with_the_agent() {
    // (what happens, when, the transfer's verdict, the leg's end)
    let table = [
        (
            "busy",
            Input::ExternalMissed { status: 486 },
            486,
            Action::CloseExternal,
        ),
        (
            "refused",
            Input::ExternalMissed { status: 404 },
            404,
            Action::CloseExternal,
        ),
        (
            "no response",
            Input::ExternalMissed { status: 0 },
            408,
            Action::CloseExternal,
        ),
    ];
    for (what, input, status, end) in table {
        let mut flow = transferring();
        drain(&mut flow);
        flow.handle(t(35), input);
        let failed = drain(&mut flow);
        assert_eq!(counts(&failed), vec![Count::TransfersRefused], "{what}");
        assert_eq!(
            moves(&failed),
            vec![
                end,
                Action::TransferVerdict(TransferVerdict::Failed { status })
            ],
            "{what}"
        );
        assert_eq!(flow.connected_agent(), Some(A1), "{what}");
        assert_eq!(flow.poll_timeout(), None, "{what}");
    }
    // Nobody answers in time.
    let mut flow = transferring();
    drain(&mut flow);
    flow.handle_timeout(t(30) + crate::call::dial::RING_LIMIT);
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::HangUpExternal,
            Action::TransferVerdict(TransferVerdict::Failed { status: 480 })
        ]
    );
    assert_eq!(flow.connected_agent(), Some(A1));
    // A late answer changes nothing.
    flow.handle(t(95), Input::ExternalAnswered);
    assert_eq!(moves(&drain(&mut flow)), vec![]);
}

#[test]
fn refusals_and_calls_that_end_while_the_number_rings() {
    let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
    // Routes take the number, the agent may use none of them.
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::ExternalNotAllowed,
            next: C2,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::TransferVerdict(TransferVerdict::Forbidden)]
    );
    // Another agent may not send this caller anywhere.
    flow.handle(
        t(31),
        Input::Transfer {
            agent: A2,
            to: TransferTo::External {
                number: NUMBER.into(),
            },
            next: C2,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::TransferVerdict(TransferVerdict::NotNow)]
    );
    // The caller leaves while the number rings.
    let mut flow = transferring();
    drain(&mut flow);
    flow.handle(t(33), Input::CallerHungUp);
    let ended = moves(&drain(&mut flow));
    assert_eq!(
        ended[..2],
        [
            Action::HangUpExternal,
            Action::TransferVerdict(TransferVerdict::Failed { status: 487 })
        ]
    );
    assert!(
        ended.contains(&Action::HangUpAgent { agent: A1 }),
        "{ended:?}"
    );
}

#[test]
fn an_agent_who_hangs_up_while_the_number_rings_leaves_the_caller_to_it() {
    // (what the number does, the caller's last moves)
    let answered = vec![
        Action::TransferVerdict(TransferVerdict::Accepted),
        Action::BridgeExternal,
    ];
    let table = [
        ("answers", Input::ExternalAnswered, answered),
        (
            "is busy",
            Input::ExternalMissed { status: 486 },
            vec![
                Action::CloseExternal,
                Action::TransferVerdict(TransferVerdict::Failed { status: 486 }),
                Action::Goodbye(Prompt::Goodbye),
            ],
        ),
    ];
    for (what, input, expected) in table {
        let mut flow = transferring();
        drain(&mut flow);
        // The phone leaves as soon as its REFER is taken.
        flow.handle(t(32), Input::AgentHungUp { agent: A1 });
        let left = drain(&mut flow);
        assert_eq!(
            moves(&left),
            vec![
                Action::Unbridge,
                Action::CloseAgent { agent: A1 },
                Action::Dispatch(acd::Event::Hangup { call: C1 }),
                Action::PlayHoldMusic {
                    queue: queue(Q1, None, Duration::from_secs(10)),
                },
            ],
            "{what}: the caller hears music while it rings"
        );
        assert!(!moves(&left).contains(&Action::ByeCaller), "{what}");
        assert_eq!(flow.connected_agent(), None, "{what}");
        flow.handle(t(40), input);
        assert_eq!(moves(&drain(&mut flow)), expected, "{what}");
    }
    // The record keeps the transfer and who left when.
    let mut flow = transferring();
    drain(&mut flow);
    flow.handle(t(32), Input::AgentHungUp { agent: A1 });
    flow.handle(t(40), Input::ExternalAnswered);
    flow.handle(
        t(45),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    flow.handle(t(90), Input::CallerHungUp);
    let records = completed(&drain(&mut flow));
    let r = &records[0];
    assert_eq!(r.transfer_target.as_deref(), Some("external-0049301234"));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
}
