//! Outbound call flows as tables, on a virtual clock.

use std::time::Duration;

use super::*;
use crate::cdr::{Direction, Disposition, TerminateSide};

const ALICE: AgentId = AgentId(7);
const CALL: CallId = CallId(900);

fn t(secs: u64) -> Millis {
    Millis::from_secs(2_000 + secs)
}

fn dialling() -> DialFlow {
    let arrival = cdr::Arrival {
        id: cdr::InteractionId(CALL.0),
        interaction_type: cdr::InteractionType::Call,
        direction: Direction::Outbound,
        domain: "example.com".into(),
        remote_number: "5550123".into(),
        local_number: "+15550100".into(),
    };
    DialFlow::new(
        t(0),
        ALICE,
        arrival,
        cdr::RecordConfig::default(),
        Duration::from_secs(32),
    )
}

fn drain(flow: &mut DialFlow) -> Vec<DialAction> {
    std::iter::from_fn(|| flow.poll_action()).collect()
}

/// The actions but record writes; the last completed record apart.
fn split(actions: Vec<DialAction>) -> (Vec<DialAction>, Option<InteractionRecord>) {
    let mut done = None;
    let moves = actions
        .into_iter()
        .filter(|a| match a {
            DialAction::Record(RecordWrite::Complete, r) => {
                done = Some((**r).clone());
                false
            }
            DialAction::Record(..) => false,
            _ => true,
        })
        .collect();
    (moves, done)
}

const END: [DialAction; 3] = [
    DialAction::CloseAgent,
    DialAction::Dispatch(acd::Event::Hangup { call: CALL }),
    DialAction::Finished,
];

fn with_end(mut actions: Vec<DialAction>) -> Vec<DialAction> {
    actions.extend(END.iter().cloned());
    actions
}

#[test]
fn the_agent_is_held_for_the_call_and_the_trunk_is_rung() {
    let mut flow = dialling();
    let (moves, _) = split(drain(&mut flow));
    assert_eq!(
        moves,
        vec![
            DialAction::Dispatch(acd::Event::TransferStarted {
                call: CALL,
                agent: ALICE
            }),
            DialAction::RingRemote,
        ]
    );
    assert_eq!(flow.record().map(|r| r.agent), Some(Some(ALICE)));
}

#[test]
fn answered_then_hung_up_by_either_side() {
    // (who hangs up, actions, terminate side)
    let table = [
        (
            DialInput::AgentHungUp,
            with_end(vec![DialAction::HangUpRemote]),
            TerminateSide::Agent,
        ),
        (
            DialInput::RemoteHungUp,
            with_end(vec![DialAction::CloseRemote, DialAction::ByeAgent]),
            TerminateSide::Caller,
        ),
        (
            DialInput::MediaSilent,
            with_end(vec![DialAction::ByeAgent, DialAction::HangUpRemote]),
            TerminateSide::System,
        ),
    ];
    for (input, expected, side) in table {
        let mut flow = dialling();
        drain(&mut flow);
        flow.handle(t(1), DialInput::RemoteRinging);
        flow.handle(t(2), DialInput::RemoteRinging);
        assert_eq!(drain(&mut flow), vec![DialAction::Ringing], "180 once");
        flow.handle(t(6), DialInput::RemoteAnswered);
        let (moves, _) = split(drain(&mut flow));
        assert_eq!(moves, vec![DialAction::Answer, DialAction::Bridge]);
        flow.handle(t(6), DialInput::AgentAcked);
        flow.handle(t(66), input.clone());
        let (moves, done) = split(drain(&mut flow));
        assert_eq!(moves, expected, "{input:?}");
        let r = done.expect("record completed");
        assert_eq!(r.disposition, Some(Disposition::Answered), "{input:?}");
        assert_eq!(r.dialing_length, Duration::from_secs(6), "{input:?}");
        assert_eq!(r.connected_length, Duration::from_secs(60), "{input:?}");
        assert_eq!(r.terminate_side, Some(side), "{input:?}");
    }
}

#[test]
fn attempts_that_are_not_answered() {
    // (what happens, when, actions, disposition)
    let table = [
        (
            "busy",
            DialInput::RemoteMissed { status: 486 },
            with_end(vec![
                DialAction::CloseRemote,
                DialAction::Refuse { status: 486 },
            ]),
            Disposition::Failed,
        ),
        (
            "the trunk wants credentials",
            DialInput::RemoteMissed { status: 407 },
            with_end(vec![
                DialAction::CloseRemote,
                DialAction::Refuse { status: 503 },
            ]),
            Disposition::Failed,
        ),
        (
            "the agent gives up",
            DialInput::AgentCancelled,
            with_end(vec![DialAction::HangUpRemote]),
            Disposition::Abandoned,
        ),
    ];
    for (what, input, expected, disposition) in table {
        let mut flow = dialling();
        drain(&mut flow);
        flow.handle(t(4), input);
        let (moves, done) = split(drain(&mut flow));
        assert_eq!(moves, expected, "{what}");
        let r = done.expect("record completed");
        assert_eq!(r.disposition, Some(disposition), "{what}");
        assert_eq!(r.dialing_length, Duration::from_secs(4), "{what}");
        assert_eq!(r.connection_moment, None, "{what}");
    }
}

#[test]
fn a_carrier_s_challenges_are_answered_once_per_nonce() {
    let challenged = |status, nonce: Option<&str>| DialInput::RemoteChallenged {
        status,
        nonce: nonce.map(str::to_owned),
    };
    let gives_up = |status| with_end(vec![DialAction::CloseRemote, DialAction::Refuse { status }]);
    let authorize = vec![DialAction::AuthorizeRemote];
    // (what, the challenges in turn, the actions of the last one)
    let table: Vec<(&str, Vec<DialInput>, Vec<DialAction>)> = vec![
        (
            "a 401 is answered",
            vec![challenged(401, Some("n1"))],
            authorize.clone(),
        ),
        (
            "a 407 is answered",
            vec![challenged(407, Some("n1"))],
            authorize.clone(),
        ),
        (
            "no credentials or no digest: 503",
            vec![challenged(407, None)],
            gives_up(503),
        ),
        (
            "the same nonce again: the credentials are wrong",
            vec![challenged(401, Some("n1")), challenged(401, Some("n1"))],
            gives_up(503),
        ),
        (
            "a new nonce (stale) is answered again",
            vec![challenged(401, Some("n1")), challenged(407, Some("n2"))],
            authorize.clone(),
        ),
        (
            "but not for ever",
            vec![
                challenged(401, Some("n1")),
                challenged(401, Some("n2")),
                challenged(401, Some("n3")),
                challenged(401, Some("n4")),
            ],
            gives_up(503),
        ),
    ];
    for (what, inputs, expected) in table {
        let mut flow = dialling();
        drain(&mut flow);
        let mut last = Vec::new();
        for input in inputs {
            flow.handle(t(1), input);
            last = split(drain(&mut flow)).0;
        }
        assert_eq!(last, expected, "{what}");
    }
    // Answered, the call goes on as any other: it rings, is answered.
    let mut flow = dialling();
    drain(&mut flow);
    flow.handle(t(1), challenged(407, Some("n1")));
    drain(&mut flow);
    flow.handle(t(2), DialInput::RemoteRinging);
    flow.handle(t(3), DialInput::RemoteAnswered);
    let (moves, _) = split(drain(&mut flow));
    assert_eq!(
        moves,
        [DialAction::Ringing, DialAction::Answer, DialAction::Bridge]
    );
    // A challenge after the answer changes nothing.
    flow.handle(t(4), challenged(401, Some("n9")));
    assert_eq!(split(drain(&mut flow)).0, []);
}

#[test]
fn nobody_answering_in_time_gives_up_with_480() {
    let mut flow = dialling();
    drain(&mut flow);
    assert_eq!(flow.poll_timeout(), Some(t(0) + RING_LIMIT));
    flow.handle_timeout(t(59));
    assert!(drain(&mut flow).is_empty());
    flow.handle_timeout(t(60));
    let (moves, done) = split(drain(&mut flow));
    assert_eq!(
        moves,
        with_end(vec![
            DialAction::HangUpRemote,
            DialAction::Refuse { status: 480 }
        ])
    );
    assert_eq!(done.unwrap().disposition, Some(Disposition::Failed));
    // Late news of the remote leg changes nothing.
    flow.handle(t(61), DialInput::RemoteAnswered);
    assert!(drain(&mut flow).is_empty());
}

#[test]
fn an_answer_the_phone_never_acks_ends_the_call() {
    let mut flow = dialling();
    flow.handle(t(3), DialInput::RemoteAnswered);
    drain(&mut flow);
    assert_eq!(flow.poll_timeout(), Some(t(35)));
    flow.handle_timeout(t(35));
    let (moves, done) = split(drain(&mut flow));
    assert_eq!(
        moves,
        with_end(vec![DialAction::ByeAgent, DialAction::HangUpRemote])
    );
    assert_eq!(done.unwrap().terminate_side, Some(TerminateSide::System));
}

#[test]
fn refusals_keep_their_meaning_for_the_phone() {
    for (remote, phone) in [
        (486, 486),
        (600, 486),
        (603, 603),
        (404, 404),
        (484, 404),
        (480, 480),
        (408, 480),
        (0, 503),
        (302, 503),
        (401, 503),
        (488, 488),
        (503, 503),
    ] {
        assert_eq!(refusal_for(remote), phone, "{remote}");
    }
}

const BOB: AgentId = AgentId(8);
const BOBS_CALL: CallId = CallId(901);

fn calling_bob(accepted: bool) -> DialFlow {
    DialFlow::calling(
        t(0),
        CALL,
        ALICE,
        Callee::Agent {
            agent: BOB,
            reservation: BOBS_CALL,
            accepted,
        },
        cdr::RecordConfig::default(),
        Duration::from_secs(32),
    )
}

/// An internal call from Alice to Bob, answered at `t(3)` and ACKed.
fn talking_to_bob() -> DialFlow {
    let mut flow = calling_bob(true);
    drain(&mut flow);
    flow.handle(t(1), DialInput::RemoteRinging);
    flow.handle(t(3), DialInput::RemoteAnswered);
    assert_eq!(
        drain(&mut flow),
        vec![DialAction::Ringing, DialAction::Answer, DialAction::Bridge]
    );
    flow.handle(t(3), DialInput::AgentAcked);
    flow
}

const FREE_BOB: DialAction = DialAction::Dispatch(acd::Event::Hangup { call: BOBS_CALL });

#[test]
fn an_internal_call_rings_a_reserved_agent_and_leaves_no_record() {
    let mut flow = calling_bob(true);
    assert_eq!(
        drain(&mut flow),
        vec![
            DialAction::Dispatch(acd::Event::TransferStarted {
                call: CALL,
                agent: ALICE
            }),
            DialAction::RingRemote,
        ]
    );
    assert_eq!(flow.record(), None);
    assert_eq!(flow.callee_agent(), Some(BOB));
}

#[test]
fn an_agent_dispatch_would_not_reserve_is_busy() {
    let mut flow = calling_bob(false);
    assert_eq!(
        drain(&mut flow),
        with_end(vec![DialAction::Refuse { status: 486 }]),
        "nothing rings, nothing to free"
    );
    assert_eq!(flow.callee_agent(), None);
}

#[test]
fn an_internal_call_frees_the_called_agent_however_it_ends() {
    // (what happens, actions before the end)
    let table = [
        (
            "the caller hangs up the consultation",
            DialInput::AgentHungUp,
            vec![DialAction::HangUpRemote],
        ),
        (
            "the called agent hangs up before any transfer",
            DialInput::RemoteHungUp,
            vec![DialAction::CloseRemote, DialAction::ByeAgent],
        ),
        (
            "silence",
            DialInput::MediaSilent,
            vec![DialAction::ByeAgent, DialAction::HangUpRemote],
        ),
    ];
    for (what, input, mut expected) in table {
        let mut flow = talking_to_bob();
        flow.handle(t(20), input);
        expected.extend(END.iter().cloned());
        expected.insert(expected.len() - 1, FREE_BOB);
        assert_eq!(drain(&mut flow), expected, "{what}");
        // A transfer asked for now finds nothing to take.
        flow.handle(t(21), DialInput::HandOver);
        assert!(drain(&mut flow).is_empty(), "{what}");
    }
    // Not answered: busy, no answer in time, or the phone gives up.
    let mut busy = calling_bob(true);
    drain(&mut busy);
    busy.handle(t(2), DialInput::RemoteMissed { status: 486 });
    let mut expected = vec![DialAction::CloseRemote, DialAction::Refuse { status: 486 }];
    expected.extend(END.iter().cloned());
    expected.insert(expected.len() - 1, FREE_BOB);
    assert_eq!(drain(&mut busy), expected);
    let mut gave_up = calling_bob(true);
    drain(&mut gave_up);
    gave_up.handle(t(2), DialInput::AgentCancelled);
    assert!(drain(&mut gave_up).contains(&FREE_BOB));
}

#[test]
fn an_answered_internal_call_hands_the_called_agent_over() {
    let mut flow = talking_to_bob();
    flow.handle(t(30), DialInput::HandOver);
    assert_eq!(
        drain(&mut flow),
        with_end(vec![DialAction::GiveRemote, DialAction::ByeAgent]),
        "the reservation goes with the leg: it is not freed here"
    );
    // Only an answered internal call can be taken over.
    let mut ringing = calling_bob(true);
    drain(&mut ringing);
    ringing.handle(t(1), DialInput::HandOver);
    assert!(drain(&mut ringing).is_empty());
    let mut out = dialling();
    out.handle(t(3), DialInput::RemoteAnswered);
    drain(&mut out);
    out.handle(t(30), DialInput::HandOver);
    assert!(drain(&mut out).is_empty(), "a trunk's callee is no agent");
}
