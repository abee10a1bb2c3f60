//! What a queue call tells a rebuilt dispatch core about itself.

use std::time::Duration;

use super::tests::*;
use super::*;

#[test]
fn a_waiting_caller_resumes_from_its_arrival_and_stops_ringing() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
    offer(&mut flow, t(3), A1, false);
    assert_eq!(
        flow.resume(),
        Some(Resumed::Waiting {
            queue: Q1,
            arrived: t(0)
        })
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::HangUpAgent { agent: A1 }]
    );
    // The new core offers it again, to anyone.
    let again = offer(&mut flow, t(9), A2, false);
    assert!(moves(&again)
        .iter()
        .any(|a| matches!(a, Action::Ring { agent, .. } if *agent == A2)));
}

#[test]
fn a_connected_caller_keeps_its_agent() {
    let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
    assert_eq!(flow.resume(), Some(Resumed::WithAgent { agent: A1 }));
    assert_eq!(moves(&drain(&mut flow)), vec![]);
}

#[test]
fn a_caller_leaving_by_key_asks_again() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
    flow.handle(t(2), Input::Digit('1'));
    drain(&mut flow);
    assert!(flow.resume().is_some());
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Dispatch(acd::Event::QueueExit { call: C1 })]
    );
}

#[test]
fn an_ended_call_is_left_out() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
    flow.handle(t(2), Input::CallerHungUp);
    drain(&mut flow);
    assert_eq!(flow.resume(), None);
}
