//! Pickup: a colleague takes an offer ringing another agent.

use super::*;

fn pick(call: CallId, agent: AgentId, by: AgentId) -> Event {
    Event::OfferPickedUp { call, agent, by }
}

/// A1 serves Sales and is rung; A2 is logged in to the project (no queue).
fn ringing() -> Rig {
    let mut r = Rig::new(vec![queue(SALES), queue(SUPPORT)]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[]);
    r
}

#[test]
fn a_colleague_picks_up_the_offer_and_the_ringing_phone_is_cancelled() {
    let mut r = ringing();
    flow(
        &mut r,
        vec![
            (t(1), arrive(c(1), SALES), vec![offer(c(1), A1)]),
            (t(3), Some(pick(c(1), A1, A2)), vec![cancel(c(1), A1)]),
        ],
    );
    assert_eq!(r.presence(A2), Presence::InCall);
    assert_eq!(r.presence(A1), Presence::Available, "no miss, free again");
    // The next caller rings A1, who was not passed over or moved.
    r.arrive(t(4), c(2), SALES);
    assert_eq!(r.offers(), vec![(c(2), A1)]);
    // The record's agent is the picker; hanging up ends their call.
    r.hangup(t(10), c(1));
    assert_eq!(r.presence(A2), Presence::Available);
}

#[test]
fn the_interaction_leaves_its_queue_answered_by_the_picker() {
    let mut r = ringing();
    r.arrive(t(1), c(1), SALES);
    r.notices();
    r.on(t(6), pick(c(1), A1, A2));
    assert_eq!(r.outcomes(), vec![(c(1), Outcome::Answered { agent: A2 })]);
    assert_eq!(r.metrics(SALES, t(6)).counters.answered, 1);
}

#[test]
fn pickup_is_refused_when_nothing_rings_or_the_picker_cannot_take_it() {
    let mut r = ringing();
    assert!(matches!(
        r.acd.handle(t(1), pick(c(1), A1, A2)),
        Err(AcdError::NoSuchOffer { .. })
    ));
    r.arrive(t(1), c(1), SALES);
    r.actions();
    r.status(t(2), A2, BREAK);
    assert_eq!(
        r.acd.handle(t(2), pick(c(1), A1, A2)),
        Err(AcdError::NoTransfer(A2))
    );
    assert_eq!(
        r.acd.handle(t(2), pick(c(1), A1, A3)),
        Err(AcdError::NotLoggedIn(A3))
    );
    r.on(
        t(2),
        Event::AgentLogin {
            agent: A3,
            project: P2,
            status: AVAILABLE,
            queues: vec![],
        },
    );
    assert!(matches!(
        r.acd.handle(t(2), pick(c(1), A1, A3)),
        Err(AcdError::WrongProject { .. })
    ));
    // Still ringing A1, untouched.
    assert_eq!(r.acd.ringing_offer(A1), Some(c(1)));
    assert_eq!(r.actions(), vec![]);
}

#[test]
fn a_group_pickup_takes_the_caller_who_has_waited_longest() {
    let mut r = Rig::new(vec![queue(SALES), queue(SUPPORT)]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SUPPORT]);
    r.login(t(0), A3, &[]);
    assert_eq!(r.acd.oldest_ringing(&[A1, A2]), None, "nothing rings");
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(2), c(2), SUPPORT);
    assert_eq!(r.offers(), vec![(c(1), A1), (c(2), A2)]);
    // Whatever order the group lists its members in.
    assert_eq!(r.acd.oldest_ringing(&[A2, A1]), Some((c(1), A1)));
    assert_eq!(r.acd.oldest_ringing(&[A2, A3]), Some((c(2), A2)));
    r.on(t(3), pick(c(1), A1, A3));
    assert_eq!(r.acd.oldest_ringing(&[A1, A2]), Some((c(2), A2)));
    assert_eq!(
        r.acd.oldest_ringing(&[A1, A3]),
        None,
        "A3 talks, A1 is free"
    );
}
