//! Click-to-dial flows as tables, on a virtual clock.

use std::time::Duration;

use super::*;
use crate::cdr::{Direction, Disposition, TerminateSide};

const ALICE: AgentId = AgentId(7);
const CALL: CallId = CallId(900);

fn t(secs: u64) -> Millis {
    Millis::from_secs(2_000 + secs)
}

fn started() -> ClickDialFlow {
    let arrival = cdr::Arrival {
        id: cdr::InteractionId(CALL.0),
        interaction_type: cdr::InteractionType::Call,
        direction: Direction::Outbound,
        domain: "example.com".into(),
        remote_number: "0301234567".into(),
        local_number: "+49302222".into(),
    };
    ClickDialFlow::new(t(0), ALICE, arrival, cdr::RecordConfig::default())
}

fn drain(flow: &mut ClickDialFlow) -> Vec<ClickAction> {
    std::iter::from_fn(|| flow.poll_action()).collect()
}

/// The actions but record writes; the last completed record apart.
fn split(actions: Vec<ClickAction>) -> (Vec<ClickAction>, Option<InteractionRecord>) {
    let mut done = None;
    let moves = actions
        .into_iter()
        .filter(|a| match a {
            ClickAction::Record(RecordWrite::Complete, r) => {
                done = Some((**r).clone());
                false
            }
            ClickAction::Record(..) => false,
            _ => true,
        })
        .collect();
    (moves, done)
}

/// What every end does after its own actions: dispatch frees the agent, the
/// panel hears `progress`, and the task stops.
fn ending(mut actions: Vec<ClickAction>, progress: DialProgress) -> Vec<ClickAction> {
    actions.push(ClickAction::Dispatch(acd::Event::Hangup { call: CALL }));
    actions.push(ClickAction::Panel(progress));
    actions.push(ClickAction::Finished);
    actions
}

/// The agent answered at t(5): the number is being dialled.
fn dialling() -> ClickDialFlow {
    let mut flow = started();
    drain(&mut flow);
    flow.handle(t(5), ClickInput::AgentAnswered);
    drain(&mut flow);
    flow
}

#[test]
fn the_agent_is_held_and_their_phone_rung_first() {
    let mut flow = started();
    assert_eq!(
        drain(&mut flow),
        vec![
            ClickAction::Dispatch(acd::Event::TransferStarted {
                call: CALL,
                agent: ALICE
            }),
            ClickAction::Panel(DialProgress::CallingPhone),
            ClickAction::RingAgent,
        ]
    );
    assert_eq!(flow.record(), None, "nothing dialled yet");
    assert_eq!(flow.poll_timeout(), Some(t(0) + PHONE_RING_LIMIT));

    flow.handle(t(5), ClickInput::AgentAnswered);
    let actions = drain(&mut flow);
    assert!(
        matches!(&actions[0], ClickAction::Record(RecordWrite::Open, r) if r.agent == Some(ALICE)),
        "the dial opens the outbound record: {actions:?}"
    );
    assert_eq!(
        actions[1..],
        [
            ClickAction::Panel(DialProgress::Dialling),
            ClickAction::DialRemote
        ]
    );
    assert_eq!(flow.poll_timeout(), Some(t(5) + RING_LIMIT));
}

#[test]
fn a_phone_that_does_not_answer_dials_nothing() {
    // (what happens, input, actions before the end, why)
    let table = [
        (
            "declined",
            Some(ClickInput::AgentMissed { status: 603 }),
            vec![ClickAction::CloseAgent],
            DialFailure::PhoneDeclined(603),
        ),
        (
            "busy",
            Some(ClickInput::AgentMissed { status: 486 }),
            vec![ClickAction::CloseAgent],
            DialFailure::PhoneDeclined(486),
        ),
        (
            "no phone registered, or none responded",
            Some(ClickInput::AgentMissed { status: 0 }),
            vec![ClickAction::CloseAgent],
            DialFailure::PhoneUnreachable,
        ),
        (
            "unavailable",
            Some(ClickInput::AgentMissed { status: 480 }),
            vec![ClickAction::CloseAgent],
            DialFailure::PhoneUnreachable,
        ),
        (
            "rings past the limit",
            None,
            vec![ClickAction::HangUpAgent],
            DialFailure::PhoneNoAnswer,
        ),
    ];
    for (what, input, before, why) in table {
        let mut flow = started();
        drain(&mut flow);
        match input {
            Some(input) => flow.handle(t(3), input),
            None => flow.handle_timeout(t(0) + PHONE_RING_LIMIT),
        }
        let actions = drain(&mut flow);
        assert!(
            !actions
                .iter()
                .any(|a| matches!(a, ClickAction::DialRemote | ClickAction::Record(..))),
            "{what}: nothing dialled, nothing recorded"
        );
        assert_eq!(actions, ending(before, DialProgress::Failed(why)), "{what}");
        assert!(flow.is_finished(), "{what}");
        assert_eq!(flow.poll_timeout(), None, "{what}");
    }
}

#[test]
fn early_media_is_bridged_before_the_answer() {
    let mut flow = dialling();
    flow.handle(t(6), ClickInput::RemoteRinging);
    flow.handle(t(6), ClickInput::RemoteRinging);
    assert_eq!(
        drain(&mut flow),
        vec![ClickAction::Panel(DialProgress::Ringing)],
        "ringing told once"
    );
    flow.handle(t(7), ClickInput::RemoteEarlyMedia);
    flow.handle(t(7), ClickInput::RemoteEarlyMedia);
    assert_eq!(drain(&mut flow), vec![ClickAction::Bridge], "bridged once");
    flow.handle(t(11), ClickInput::RemoteAnswered);
    let (moves, _) = split(drain(&mut flow));
    assert_eq!(
        moves,
        vec![ClickAction::Panel(DialProgress::Connected)],
        "already bridged"
    );

    // Early media with no 180 before it still says it rings.
    let mut flow = dialling();
    flow.handle(t(6), ClickInput::RemoteEarlyMedia);
    assert_eq!(
        drain(&mut flow),
        vec![
            ClickAction::Bridge,
            ClickAction::Panel(DialProgress::Ringing)
        ]
    );
}

#[test]
fn answered_then_hung_up_by_either_side() {
    // (who hangs up, actions, terminate side)
    let table = [
        (
            ClickInput::AgentHungUp,
            vec![ClickAction::HangUpRemote, ClickAction::CloseAgent],
            TerminateSide::Agent,
        ),
        (
            ClickInput::RemoteHungUp,
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            TerminateSide::Caller,
        ),
        (
            ClickInput::SipGone,
            vec![ClickAction::HangUpRemote, ClickAction::HangUpAgent],
            TerminateSide::System,
        ),
    ];
    for (input, before, side) in table {
        let mut flow = dialling();
        flow.handle(t(7), ClickInput::RemoteRinging);
        flow.handle(t(11), ClickInput::RemoteAnswered);
        let (moves, _) = split(drain(&mut flow));
        assert_eq!(
            moves,
            vec![
                ClickAction::Panel(DialProgress::Ringing),
                ClickAction::Bridge,
                ClickAction::Panel(DialProgress::Connected)
            ]
        );
        assert_eq!(flow.poll_timeout(), None, "no limit once talking");
        flow.handle(t(71), input.clone());
        let (moves, done) = split(drain(&mut flow));
        assert_eq!(moves, ending(before, DialProgress::Ended), "{input:?}");
        let r = done.expect("record completed");
        assert_eq!(r.direction, Direction::Outbound);
        assert_eq!(r.agent, Some(ALICE));
        assert_eq!(r.remote_number, "0301234567");
        assert_eq!(r.disposition, Some(Disposition::Answered), "{input:?}");
        assert_eq!(r.dialing_length, Duration::from_secs(6), "{input:?}");
        assert_eq!(r.connected_length, Duration::from_secs(60), "{input:?}");
        assert_eq!(r.terminate_side, Some(side), "{input:?}");
    }
}

#[test]
fn a_remote_party_that_does_not_answer_ends_the_agent_leg() {
    // (what happens, input, actions before the end, why, disposition)
    let table = [
        (
            "busy",
            Some(ClickInput::RemoteMissed { status: 486 }),
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            DialFailure::Remote(486),
            Disposition::Failed,
        ),
        (
            "no such number",
            Some(ClickInput::RemoteMissed { status: 484 }),
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            DialFailure::Remote(404),
            Disposition::Failed,
        ),
        (
            "the trunk never responds",
            Some(ClickInput::RemoteMissed { status: 0 }),
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            DialFailure::Remote(503),
            Disposition::Failed,
        ),
        (
            "a challenge without credentials",
            Some(ClickInput::RemoteChallenged {
                status: 407,
                nonce: None,
            }),
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            DialFailure::Remote(503),
            Disposition::Failed,
        ),
        (
            "the agent hangs up while it rings",
            Some(ClickInput::AgentHungUp),
            vec![ClickAction::HangUpRemote, ClickAction::CloseAgent],
            DialFailure::Cancelled,
            Disposition::Abandoned,
        ),
        (
            "rings past the limit",
            None,
            vec![ClickAction::HangUpRemote, ClickAction::HangUpAgent],
            DialFailure::Remote(480),
            Disposition::Failed,
        ),
    ];
    for (what, input, before, why, disposition) in table {
        let mut flow = dialling();
        let at = match input {
            Some(input) => {
                flow.handle(t(9), input);
                t(9)
            }
            None => {
                let at = t(5) + RING_LIMIT;
                flow.handle_timeout(at);
                at
            }
        };
        let (moves, done) = split(drain(&mut flow));
        assert_eq!(moves, ending(before, DialProgress::Failed(why)), "{what}");
        let r = done.expect("record completed");
        assert_eq!(r.disposition, Some(disposition), "{what}");
        assert_eq!(r.dialing_length, at.since(t(5)), "{what}");
        assert_eq!(r.connection_moment, None, "{what}");
        assert!(flow.is_finished(), "{what}");
    }
}

#[test]
fn a_carrier_challenge_is_answered_once_per_nonce() {
    let mut flow = dialling();
    let challenge = |nonce: &str| ClickInput::RemoteChallenged {
        status: 401,
        nonce: Some(nonce.into()),
    };
    flow.handle(t(6), challenge("n1"));
    assert_eq!(drain(&mut flow), vec![ClickAction::AuthorizeRemote]);
    flow.handle(t(6), challenge("n1"));
    let (moves, _) = split(drain(&mut flow));
    assert_eq!(
        moves,
        ending(
            vec![ClickAction::CloseRemote, ClickAction::HangUpAgent],
            DialProgress::Failed(DialFailure::Remote(503))
        ),
        "the same nonce again: the credentials were refused"
    );

    let mut flow = dialling();
    for n in 0..MAX_CHALLENGES {
        flow.handle(t(6), challenge(&format!("n{n}")));
        assert_eq!(drain(&mut flow), vec![ClickAction::AuthorizeRemote]);
    }
    flow.handle(t(6), challenge("one more"));
    assert!(flow.is_finished(), "past the limit");
}

#[test]
fn late_and_stray_inputs_change_nothing() {
    let mut flow = started();
    drain(&mut flow);
    for input in [
        ClickInput::RemoteRinging,
        ClickInput::RemoteAnswered,
        ClickInput::RemoteHungUp,
        ClickInput::RemoteMissed { status: 486 },
    ] {
        flow.handle(t(1), input.clone());
        assert_eq!(drain(&mut flow), vec![], "{input:?} while the phone rings");
    }
    flow.handle(t(2), ClickInput::AgentMissed { status: 486 });
    drain(&mut flow);
    flow.handle(t(3), ClickInput::AgentAnswered);
    flow.handle_timeout(t(1_000));
    assert_eq!(drain(&mut flow), vec![], "over is over");
}

#[test]
fn every_failure_says_why_with_a_status() {
    let table = [
        (
            DialFailure::PhoneDeclined(603),
            603,
            "your phone declined the call",
        ),
        (DialFailure::PhoneNoAnswer, 408, "your phone did not answer"),
        (
            DialFailure::PhoneUnreachable,
            480,
            "your phone could not be reached",
        ),
        (DialFailure::Remote(486), 486, "the number is busy"),
        (DialFailure::Remote(404), 404, "the number does not exist"),
        (
            DialFailure::Remote(503),
            503,
            "the number could not be reached",
        ),
        (DialFailure::Cancelled, 487, "you hung up before the answer"),
    ];
    for (why, status, reason) in table {
        assert_eq!((why.status(), why.reason()), (status, reason), "{why:?}");
    }
}
