//! Callbacks as call flows: the request keeps the caller's place, is offered
//! as a callback, dialled, retried and ended.

use std::time::Duration;

use super::*;

fn offer_cb(call: CallId, agent: AgentId, attempt: u32) -> Action {
    Action::OfferCallback {
        call,
        agent,
        ring_for: secs(15),
        auto_answer: false,
        attempt,
    }
}

fn request(call: CallId, callback: CallId) -> Option<Event> {
    Some(Event::CallbackRequested { call, callback })
}

fn callback(call: CallId, queue: QueueId, requested: Millis) -> Option<Event> {
    Some(Event::CallbackArrived {
        call,
        queue,
        requested,
        attempts: 0,
    })
}

fn connected(call: CallId) -> Option<Event> {
    Some(Event::CallbackConnected { call })
}

fn unreachable(call: CallId, retry: bool) -> Option<Event> {
    Some(Event::CallbackUnreachable { call, retry })
}

const CB: CallId = CallId(100);

#[test]
fn a_callback_keeps_the_callers_place_and_is_served_before_later_callers() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::Both;
    q.announce_every = secs(20);
    q.expected_handle_time = secs(60);
    let mut r = Rig::new(vec![q]);
    let announce = |call, position, wait| Action::Announce {
        call,
        position: Some(position),
        estimated_wait: Some(secs(wait)),
        queue_exit: true,
    };
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),  vec![]),
        (t(0),  arrive(c(1), SALES),  vec![offer(c(1), A1)]),
        (t(1),  answer(c(1), A1),     vec![]),
        (t(2),  arrive(c(2), SALES),  vec![]),
        (t(3),  arrive(c(3), SALES),  vec![]),
        (t(10), request(c(2), CB),    vec![]),
        // The callback is ahead of c(3): c(3) is second, with its wait.
        (t(23), CLOCK,                vec![announce(c(3), 2, 120)]),
        (t(30), hangup(c(1)),         vec![offer_cb(CB, A1, 1)]),
        (t(32), answer(CB, A1),       vec![]),
        // Nobody is on the callback's line: it is never announced to.
        (t(42), CLOCK,                vec![]),
        // (the recent handle time now counts c(1)'s 29 s)
        (t(43), CLOCK,                vec![Action::Announce {
                                          call: c(3),
                                          position: Some(1),
                                          estimated_wait: Some(Duration::from_millis(59_690)),
                                          queue_exit: true,
                                      }]),
        (t(45), connected(CB),        vec![]),
        (t(60), hangup(CB),           vec![offer(c(3), A1)]),
    ]);
    let left: Vec<_> = r.notices();
    let outcomes: Vec<_> = left
        .iter()
        .filter_map(|n| match n {
            Notice::LeftQueue {
                call,
                outcome,
                waited,
                ..
            } => Some((*call, outcome.clone(), *waited)),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (c(1), Outcome::Answered { agent: A1 }, secs(1)),
            (c(2), Outcome::CallbackRequested { callback: CB }, secs(8)),
            // QueueWaitLength counts from the caller's first arrival.
            (CB, Outcome::Answered { agent: A1 }, secs(43)),
        ]
    );
    assert!(left.contains(&Notice::CallbackDialling {
        call: CB,
        agent: A1,
        attempt: 1
    }));
    assert!(left.iter().any(|n| matches!(
        n,
        Notice::WrapupStarted { call: CB, talked, .. } if *talked == secs(15)
    )));
    let m = r.metrics(SALES, t(60));
    assert_eq!(
        (
            m.counters.offered,
            m.counters.answered,
            m.counters.abandoned,
            m.counters.callbacks_requested,
            m.callbacks
        ),
        (3, 2, 0, 1, 0),
        "the caller and their callback are one interaction offered"
    );
}

#[test]
fn a_rejected_or_missed_callback_goes_to_the_next_agent() {
    let mut q = queue(SALES);
    q.strategy = StrategyKind::Sequential;
    let mut r = Rig::new(vec![q]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),        vec![]),
        (t(0),  login(A2, &[SALES]),        vec![]),
        (t(0),  login(A3, &[SALES]),        vec![]),
        (t(1),  callback(CB, SALES, t(1)),  vec![offer_cb(CB, A1, 1)]),
        (t(2),  Some(Event::OfferRejected { call: CB, agent: A1 }), vec![offer_cb(CB, A2, 1)]),
        (t(17), CLOCK,                      vec![cancel(CB, A2), offer_cb(CB, A3, 1)]),
        (t(18), answer(CB, A3),             vec![]),
        (t(20), connected(CB),              vec![]),
    ]);
    assert_eq!(r.presence(A3), Presence::InCall);
    assert_eq!(r.outcomes(), vec![(CB, Outcome::Answered { agent: A3 })]);
}

#[test]
fn an_unreachable_callback_comes_back_to_its_place_after_the_retry_delay() {
    let mut q = queue(SALES);
    q.callback_retry_delay = secs(60);
    let mut r = Rig::new(vec![q]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),        vec![]),
        (t(1),  callback(CB, SALES, t(1)),  vec![offer_cb(CB, A1, 1)]),
        (t(2),  answer(CB, A1),             vec![]),
        // Busy: the agent is free at once; the callback waits out its delay.
        (t(10), unreachable(CB, true),      vec![]),
        (t(20), arrive(c(5), SALES),        vec![offer(c(5), A1)]),
        (t(21), answer(c(5), A1),           vec![]),
        (t(50), arrive(c(6), SALES),        vec![]),
        (t(70), CLOCK,                      vec![]),
        // Back at its place, ahead of c(6), who called after it.
        (t(80), hangup(c(5)),               vec![offer_cb(CB, A1, 2)]),
        (t(81), answer(CB, A1),             vec![]),
        (t(85), connected(CB),              vec![]),
        (t(99), hangup(CB),                 vec![offer(c(6), A1)]),
    ]);
    let notices = r.notices();
    assert!(notices.contains(&Notice::CallbackAttemptFailed {
        call: CB,
        agent: A1,
        attempt: 1,
        retry_at: Some(t(70)),
    }));
    let m = r.metrics(SALES, t(99));
    assert_eq!((m.counters.answered, m.counters.callbacks_failed), (2, 0));
}

#[test]
fn a_retrying_callback_is_in_the_queue_but_not_waiting_for_an_agent() {
    let mut q = queue(SALES);
    q.callback_retry_delay = secs(60);
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.on(t(1), callback(CB, SALES, t(1)).unwrap());
    r.accept(t(2), CB, A1);
    assert_eq!(r.presence(A1), Presence::InCall, "dialling");
    r.on(t(10), unreachable(CB, true).unwrap());
    assert_eq!(r.presence(A1), Presence::Available);
    let m = r.metrics(SALES, t(10));
    assert_eq!((m.waiting, m.in_queue, m.callbacks), (0, 1, 1));
    assert_eq!(r.acd.interactions(), 1);
}

#[test]
fn a_callback_ends_when_its_retries_run_out_or_the_number_is_hopeless() {
    let mut q = queue(SALES);
    q.callback_retries = 1;
    q.callback_retry_delay = secs(0);
    let mut r = Rig::new(vec![q]);
    let cb2 = CallId(101);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),        vec![]),
        (t(1),  callback(CB, SALES, t(1)),  vec![offer_cb(CB, A1, 1)]),
        (t(2),  answer(CB, A1),             vec![]),
        // No delay: straight back to its place, and to the free agent.
        (t(5),  unreachable(CB, true),      vec![offer_cb(CB, A1, 2)]),
        (t(6),  answer(CB, A1),             vec![]),
        (t(9),  unreachable(CB, true),      vec![]),
        (t(10), callback(cb2, SALES, t(10)), vec![offer_cb(cb2, A1, 1)]),
        (t(11), answer(cb2, A1),            vec![]),
        (t(12), unreachable(cb2, false),    vec![]),
    ]);
    assert_eq!(
        r.outcomes(),
        vec![
            (CB, Outcome::CallbackEnded(CallbackEnd::Unreachable)),
            (cb2, Outcome::CallbackEnded(CallbackEnd::Unreachable)),
        ]
    );
    assert_eq!(r.presence(A1), Presence::Available);
    assert_eq!(r.acd.interactions(), 0);
    let m = r.metrics(SALES, t(12));
    assert_eq!((m.counters.callbacks_failed, m.callbacks), (2, 0));
    assert_eq!(m.service_level, Some(0.0));
    assert_eq!(
        r.acd.handle(t(13), unreachable(CB, true).unwrap()),
        Err(AcdError::NoSuchCallback(CB))
    );
}

#[test]
fn callbacks_hear_no_announcements_have_no_queue_timeout_and_may_expire() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::Both;
    q.announce_every = secs(20);
    q.queue_timeout = Some((secs(50), ExitTarget::Prompt));
    q.callback_expiry = Some(secs(300));
    let mut r = Rig::new(vec![q]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),   arrive(c(1), SALES),       vec![]),
        (t(10),  request(c(1), CB),         vec![]),
        (t(299), CLOCK,                     vec![]),
        (t(310), CLOCK,                     vec![]),
    ]);
    assert_eq!(
        r.outcomes(),
        vec![
            (c(1), Outcome::CallbackRequested { callback: CB }),
            // Expiry counts from the request, not the caller's arrival.
            (CB, Outcome::CallbackEnded(CallbackEnd::Expired)),
        ]
    );
    assert_eq!(r.acd.poll_timeout(), None, "no timers outlive the callback");
}

#[test]
fn a_callback_being_dialled_when_it_expires_ends_if_the_attempt_fails() {
    let mut q = queue(SALES);
    q.callback_expiry = Some(secs(60));
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.on(t(0), callback(CB, SALES, t(0)).unwrap());
    r.accept(t(5), CB, A1);
    r.actions();
    r.wait_until(t(70));
    assert_eq!(r.outcomes(), vec![], "still being dialled");
    r.on(t(75), unreachable(CB, true).unwrap());
    assert_eq!(
        r.outcomes(),
        vec![(CB, Outcome::CallbackEnded(CallbackEnd::Expired))]
    );
    // One re-entered at start-up already past its expiry ends at once.
    r.on(t(80), callback(c(7), SALES, t(1)).unwrap());
    assert_eq!(r.actions(), vec![]);
    assert_eq!(
        r.outcomes(),
        vec![(c(7), Outcome::CallbackEnded(CallbackEnd::Expired))]
    );
}

#[test]
fn a_cancelled_callback_stops_ringing_and_frees_its_agent() {
    let mut r = Rig::new(vec![queue(SALES)]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0), login(A1, &[SALES]),         vec![]),
        (t(1), callback(CB, SALES, t(1)),   vec![offer_cb(CB, A1, 1)]),
        (t(2), Some(Event::CallbackCancelled { call: CB }), vec![cancel(CB, A1)]),
        (t(3), callback(c(8), SALES, t(3)), vec![offer_cb(c(8), A1, 1)]),
        (t(4), answer(c(8), A1),            vec![]),
        // A hang-up while dialling (the agent gave up) ends it too.
        (t(5), hangup(c(8)),                vec![]),
        (t(6), arrive(c(9), SALES),         vec![offer(c(9), A1)]),
    ]);
    assert_eq!(
        r.outcomes(),
        vec![
            (CB, Outcome::CallbackEnded(CallbackEnd::Cancelled)),
            (c(8), Outcome::CallbackEnded(CallbackEnd::Cancelled)),
        ]
    );
}

#[test]
fn only_a_waiting_caller_can_ask_for_a_callback() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(1), c(1), A1);
    r.arrive(t(2), c(2), SALES);
    let refused = |r: &mut Rig, call, cb| {
        r.acd
            .handle(t(3), Event::CallbackRequested { call, callback: cb })
    };
    assert_eq!(refused(&mut r, c(1), CB), Err(AcdError::NotWaiting(c(1))));
    assert_eq!(refused(&mut r, c(9), CB), Err(AcdError::NotWaiting(c(9))));
    assert_eq!(
        refused(&mut r, c(2), c(1)),
        Err(AcdError::DuplicateCall(c(1)))
    );
    assert_eq!(refused(&mut r, c(2), CB), Ok(()));
    assert_eq!(
        refused(&mut r, CB, CallId(200)),
        Err(AcdError::NotWaiting(CB))
    );
    assert_eq!(r.acd.position(CB), Some(1));
}

#[test]
fn a_ringing_caller_who_asks_for_a_callback_keeps_the_place_with_the_same_agents() {
    let mut r = Rig::new(vec![queue(SALES)]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0), login(A1, &[SALES]),   vec![]),
        (t(1), arrive(c(1), SALES),   vec![offer(c(1), A1)]),
        (t(2), arrive(c(2), SALES),   vec![]),
        // The agent stops ringing for the caller and is offered the callback
        // at once: it is still first.
        (t(3), request(c(1), CB),     vec![cancel(c(1), A1), offer_cb(CB, A1, 1)]),
    ]);
}
