//! Callback attempts as tables: inputs in, the core's actions out, on a
//! virtual clock.

use std::time::Duration;

use super::*;
use crate::acd::{ProjectId, QueueId};
use crate::cdr::{Disposition, TerminateSide};

const A1: AgentId = AgentId(1);
const CB: CallId = CallId(900);
const REC: u64 = 4242;

fn t(secs: u64) -> Millis {
    Millis::from_secs(1_000 + secs)
}

fn attempt(recording: RecordingMode) -> AttemptFlow {
    let attempt = Attempt {
        callback: CB,
        agent: A1,
        queue: QueueId(1),
        project: ProjectId(1),
        after_call_work: Duration::from_secs(10),
        recording,
    };
    let arrival = cdr::Arrival {
        id: cdr::InteractionId(REC),
        interaction_type: cdr::InteractionType::Call,
        direction: cdr::Direction::Outbound,
        domain: "example.com".into(),
        remote_number: "5551234".into(),
        local_number: "2001".into(),
    };
    AttemptFlow::new(attempt, arrival, cdr::RecordConfig::default())
}

fn drain(flow: &mut AttemptFlow) -> Vec<AttemptAction> {
    std::iter::from_fn(|| flow.poll_action()).collect()
}

/// The actions without record writes.
fn moves(actions: &[AttemptAction]) -> Vec<AttemptAction> {
    actions
        .iter()
        .filter(|a| !matches!(a, AttemptAction::Record(..)))
        .cloned()
        .collect()
}

fn writes(actions: &[AttemptAction]) -> Vec<(RecordWrite, InteractionRecord)> {
    actions
        .iter()
        .filter_map(|a| match a {
            AttemptAction::Record(how, r) => Some((*how, (**r).clone())),
            _ => None,
        })
        .collect()
}

/// An attempt whose agent answered at `t(5)`: the customer is being dialled.
fn dialling(recording: RecordingMode) -> AttemptFlow {
    let mut flow = attempt(recording);
    assert_eq!(drain(&mut flow), vec![AttemptAction::RingAgent]);
    flow.handle(t(5), AttemptInput::AgentAnswered);
    let actions = drain(&mut flow);
    assert_eq!(
        moves(&actions),
        vec![
            AttemptAction::Dispatch(acd::Event::OfferAccepted {
                call: CB,
                agent: A1
            }),
            AttemptAction::DialCustomer,
        ]
    );
    let opened = writes(&actions);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].0, RecordWrite::Open);
    assert_eq!(opened[0].1.agent, Some(A1));
    assert_eq!(opened[0].1.queue, Some(QueueId(1)));
    assert_eq!(opened[0].1.direction, cdr::Direction::Outbound);
    flow
}

#[test]
fn an_offer_the_agent_does_not_take_goes_back_to_dispatch() {
    // (what, input while the agent rings, expected moves)
    let table = vec![
        (
            "rejected",
            AttemptInput::AgentMissed { rejected: true },
            vec![
                AttemptAction::CloseAgent,
                AttemptAction::Dispatch(acd::Event::OfferRejected {
                    call: CB,
                    agent: A1,
                }),
                AttemptAction::BackInQueue,
                AttemptAction::Finished,
            ],
        ),
        (
            "unreachable phone",
            AttemptInput::AgentMissed { rejected: false },
            vec![
                AttemptAction::CloseAgent,
                AttemptAction::Dispatch(acd::Event::OfferFailed {
                    call: CB,
                    agent: A1,
                }),
                AttemptAction::BackInQueue,
                AttemptAction::Finished,
            ],
        ),
        (
            "agent timeout",
            AttemptInput::OfferCancelled,
            vec![
                AttemptAction::HangUpAgent,
                AttemptAction::Dispatch(acd::Event::OfferFailed {
                    call: CB,
                    agent: A1,
                }),
                AttemptAction::BackInQueue,
                AttemptAction::Finished,
            ],
        ),
    ];
    for (what, input, expected) in table {
        let mut flow = attempt(RecordingMode::Never);
        drain(&mut flow);
        flow.handle(t(3), input);
        let actions = drain(&mut flow);
        assert_eq!(
            actions, expected,
            "{what}: no record for an offer nobody took"
        );
        assert!(flow.is_finished(), "{what}");
    }
}

#[test]
fn a_connected_callback_is_bridged_and_its_record_waits_for_after_call_work() {
    let mut flow = dialling(RecordingMode::Never);
    flow.handle(t(6), AttemptInput::CustomerRinging);
    assert!(drain(&mut flow).is_empty());
    flow.handle(t(9), AttemptInput::CustomerAnswered);
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            AttemptAction::Dispatch(acd::Event::CallbackConnected { call: CB }),
            AttemptAction::Connected,
            AttemptAction::Bridge,
        ]
    );
    flow.handle(t(60), AttemptInput::CustomerHungUp);
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            AttemptAction::CloseCustomer,
            AttemptAction::HangUpAgent,
            AttemptAction::Dispatch(acd::Event::Hangup { call: CB }),
        ]
    );
    assert!(
        !flow.is_finished(),
        "the record waits for the after-call work"
    );
    flow.handle(t(65), AttemptInput::Record(CallEvent::AcwEnded));
    let done = drain(&mut flow);
    assert_eq!(moves(&done), vec![AttemptAction::Finished]);
    let (how, record) = writes(&done).pop().expect("completed");
    assert_eq!(how, RecordWrite::Complete);
    assert_eq!(record.disposition, Some(Disposition::Answered));
    assert_eq!(record.terminate_side, Some(TerminateSide::Caller));
    assert_eq!(record.dialing_length, Duration::from_secs(4));
}

#[test]
fn after_call_work_never_reported_still_completes_the_record() {
    let mut flow = dialling(RecordingMode::Never);
    flow.handle(t(9), AttemptInput::CustomerAnswered);
    flow.handle(t(20), AttemptInput::AgentHungUp);
    drain(&mut flow);
    let due = flow.poll_timeout().expect("a deadline");
    assert_eq!(due, t(20) + Duration::from_secs(10) + ACW_GRACE);
    flow.handle_timeout(due);
    let done = drain(&mut flow);
    assert_eq!(moves(&done), vec![AttemptAction::Finished]);
    assert_eq!(
        writes(&done)[0].1.terminate_side,
        Some(TerminateSide::Agent)
    );
}

#[test]
fn a_customer_who_cannot_be_reached_frees_the_agent_and_is_retried_when_worth_it() {
    // (what, input while dialling, retry)
    let table = vec![
        ("busy", AttemptInput::CustomerMissed { status: 486 }, true),
        (
            "no response",
            AttemptInput::CustomerMissed { status: 0 },
            true,
        ),
        (
            "unavailable",
            AttemptInput::CustomerMissed { status: 480 },
            true,
        ),
        (
            "no such number",
            AttemptInput::CustomerMissed { status: 404 },
            false,
        ),
        (
            "declined",
            AttemptInput::CustomerMissed { status: 603 },
            false,
        ),
        ("no route", AttemptInput::Unroutable, false),
    ];
    for (what, input, retry) in table {
        let mut flow = dialling(RecordingMode::Never);
        let routed = input != AttemptInput::Unroutable;
        flow.handle(t(8), input);
        let actions = drain(&mut flow);
        let mut expected = Vec::new();
        if routed {
            expected.push(AttemptAction::CloseCustomer);
        }
        expected.extend([
            AttemptAction::HangUpAgent,
            AttemptAction::Dispatch(acd::Event::CallbackUnreachable { call: CB, retry }),
            AttemptAction::Finished,
        ]);
        assert_eq!(moves(&actions), expected, "{what}");
        let (how, record) = writes(&actions).pop().expect("written");
        assert_eq!(how, RecordWrite::Complete, "{what}");
        assert_eq!(record.disposition, Some(Disposition::Failed), "{what}");
    }
}

#[test]
fn a_customer_who_never_answers_is_given_up_after_the_ring_limit() {
    let mut flow = dialling(RecordingMode::Never);
    assert_eq!(flow.poll_timeout(), Some(t(5) + RING_LIMIT));
    flow.handle_timeout(t(5) + RING_LIMIT);
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            AttemptAction::HangUpCustomer,
            AttemptAction::HangUpAgent,
            AttemptAction::Dispatch(acd::Event::CallbackUnreachable {
                call: CB,
                retry: true
            }),
            AttemptAction::Finished,
        ]
    );
}

#[test]
fn an_agent_who_hangs_up_while_dialling_cancels_the_callback() {
    let mut flow = dialling(RecordingMode::Never);
    flow.handle(t(7), AttemptInput::AgentHungUp);
    let actions = drain(&mut flow);
    assert_eq!(
        moves(&actions),
        vec![
            AttemptAction::HangUpCustomer,
            AttemptAction::CloseAgent,
            AttemptAction::Dispatch(acd::Event::Hangup { call: CB }),
            AttemptAction::Finished,
        ]
    );
    let (_, record) = writes(&actions).pop().expect("written");
    assert_ne!(record.disposition, Some(Disposition::Answered));
}

#[test]
fn a_queue_that_records_every_call_records_the_callback_too() {
    let mut flow = dialling(RecordingMode::Always);
    flow.handle(t(9), AttemptInput::CustomerAnswered);
    assert_eq!(
        moves(&drain(&mut flow)).last(),
        Some(&AttemptAction::StartRecording { interaction: REC })
    );
    flow.handle(
        t(9),
        AttemptInput::Recording {
            file: "r.wav".into(),
        },
    );
    flow.handle(t(30), AttemptInput::AgentHungUp);
    flow.handle(t(31), AttemptInput::Record(CallEvent::AcwEnded));
    let (_, record) = writes(&drain(&mut flow)).pop().expect("written");
    assert_eq!(record.recording_file.as_deref(), Some("r.wav"));
}
