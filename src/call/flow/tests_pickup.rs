//! Pickup as tables: a colleague takes the waiting caller from a ringing
//! agent (pickup groups), on a virtual clock.

use std::time::Duration;

use super::tests::*;
use super::*;
use crate::cdr::{Disposition, TerminateSide};

/// What dispatch tells the call when it hands the offer of `call` (ringing
/// `ringing`) to `by`: the ringing phone is cancelled, the record learns
/// the picker answered.
fn dispatch_picks(flow: &mut CallFlow, at: Millis, ringing: AgentId, by: AgentId) {
    let call = flow.id();
    flow.handle(
        at,
        Input::CancelOffer {
            call,
            agent: ringing,
        },
    );
    for event in [
        CallEvent::Offered { agent: by },
        CallEvent::AgentAnswered { agent: by },
    ] {
        flow.handle(at, Input::Record { call, event });
    }
}

#[test]
fn a_picked_up_caller_is_bridged_to_the_picker_whose_record_it_is() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::from_secs(5)));
    offer(&mut flow, t(1), A1, false);
    dispatch_picks(&mut flow, t(4), A1, A2);
    flow.handle(
        t(4),
        Input::PickedUp {
            call: C1,
            agent: A2,
        },
    );
    let picked = drain(&mut flow);
    assert_eq!(
        moves(&picked),
        vec![
            Action::HangUpAgent { agent: A1 },
            Action::AnswerPickup { agent: A2 },
            Action::Bridge { agent: A2 },
        ]
    );
    assert!(counts(&picked).contains(&Count::Pickups));
    assert_eq!(flow.connected_agent(), Some(A2));
    assert_eq!(flow.record().agent, Some(A2));
    // The picker hangs up; their after-call work ends the record.
    flow.handle(t(20), Input::AgentHungUp { agent: A2 });
    let ended = drain(&mut flow);
    assert!(moves(&ended).contains(&Action::ByeCaller));
    assert!(moves(&ended).contains(&Action::CloseAgent { agent: A2 }));
    flow.handle(
        t(25),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let done = completed(&drain(&mut flow));
    assert_eq!(done.len(), 1);
    let r = &done[0];
    assert_eq!(r.agent, Some(A2));
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    assert!(flow.is_finished());
}

#[test]
fn legs_still_ringing_are_hung_up_before_the_picker_is_answered() {
    // (what, agents rung, picker, hung up)
    let table: Vec<(&str, Vec<AgentId>, AgentId, Vec<AgentId>)> = vec![
        ("dispatch's cancel not there yet", vec![A1], A2, vec![A1]),
        (
            "the picker's own phone rings too (every agent rung at once)",
            vec![A1, A2],
            A2,
            vec![A1, A2],
        ),
    ];
    for (what, rung, picker, hung_up) in table {
        let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
        for agent in rung {
            offer(&mut flow, t(1), agent, false);
        }
        flow.handle(
            t(3),
            Input::PickedUp {
                call: C1,
                agent: picker,
            },
        );
        let mut want: Vec<Action> = hung_up
            .into_iter()
            .map(|agent| Action::HangUpAgent { agent })
            .collect();
        want.push(Action::AnswerPickup { agent: picker });
        want.push(Action::Bridge { agent: picker });
        assert_eq!(moves(&drain(&mut flow)), want, "{what}");
        // A late answer of a cancelled leg changes nothing.
        flow.handle(
            t(4),
            Input::AgentAnswered {
                agent: A1,
                browser: false,
            },
        );
        assert_eq!(flow.connected_agent(), Some(picker), "{what}");
    }
}

#[test]
fn a_caller_who_no_longer_waits_refuses_the_pickup() {
    // (what, how the call stands, the record id named)
    type Setup = fn(&mut CallFlow);
    let table: Vec<(&str, Setup, CallId)> = vec![
        (
            "the caller hung up",
            |f| f.handle(t(2), Input::CallerHungUp),
            C1,
        ),
        (
            "another agent answered",
            |f| {
                offer(f, t(1), A1, false);
                f.handle(
                    t(2),
                    Input::AgentAnswered {
                        agent: A1,
                        browser: false,
                    },
                );
            },
            C1,
        ),
        ("an earlier record of the call", |_| {}, C2),
    ];
    for (what, setup, call) in table {
        let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
        setup(&mut flow);
        drain(&mut flow);
        let before = flow.connected_agent();
        flow.handle(t(3), Input::PickedUp { call, agent: A2 });
        assert_eq!(
            moves(&drain(&mut flow)),
            vec![Action::RefusePickup { agent: A2 }],
            "{what}"
        );
        assert_eq!(flow.connected_agent(), before, "{what}");
    }
}

#[test]
fn a_recorded_queue_records_the_pickers_bridge() {
    let (mut flow, _) = answered_into(recorded_queue(Q1));
    offer(&mut flow, t(1), A1, false);
    flow.handle(
        t(2),
        Input::PickedUp {
            call: C1,
            agent: A2,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::HangUpAgent { agent: A1 },
            Action::AnswerPickup { agent: A2 },
            Action::Bridge { agent: A2 },
            Action::StartRecording {
                agent: A2,
                interaction: C1.0
            },
        ]
    );
}
