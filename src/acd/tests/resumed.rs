//! Waiting calls given back to a rebuilt engine (the dispatch task restarted
//! after a failure): they keep their order, their wait and their timeout.

use super::*;

fn resume(call: CallId, queue: QueueId, arrived: Millis) -> Event {
    Event::CallResumed {
        call,
        queue,
        arrived,
    }
}

#[test]
fn resumed_calls_keep_their_order_and_wait_from_their_arrival() {
    let mut r = Rig::new(vec![queue(SALES)]);
    // The calls had arrived at 10 s and 20 s; the new engine starts at 100 s.
    r.on(t(100), resume(c(1), SALES, t(10)));
    r.on(t(100), resume(c(2), SALES, t(20)));
    r.arrive(t(101), c(3), SALES);
    r.login(t(102), A1, &[SALES]);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.notices();
    r.accept(t(105), c(1), A1);
    let waited: Vec<Duration> = r
        .notices()
        .into_iter()
        .filter_map(|n| match n {
            Notice::LeftQueue { waited, .. } => Some(waited),
            _ => None,
        })
        .collect();
    assert_eq!(waited, vec![secs(95)], "counted from the first arrival");
    assert_eq!(r.metrics(SALES, t(105)).in_queue, 2);
    assert_eq!(
        r.metrics(SALES, t(105)).counters.offered,
        1,
        "only the new arrival counts as offered"
    );
}

#[test]
fn a_resumed_call_keeps_its_queue_timeout() {
    let mut q = queue(SALES);
    q.queue_timeout = Some((secs(60), ExitTarget::Number("voicemail".into())));
    let mut r = Rig::new(vec![q]);
    r.on(t(100), resume(c(1), SALES, t(50)));
    r.wait_until(t(109));
    assert_eq!(r.actions(), vec![]);
    r.wait_until(t(110));
    assert_eq!(
        r.actions(),
        vec![Action::Redirect {
            call: c(1),
            target: ExitTarget::Number("voicemail".into())
        }]
    );
}

#[test]
fn an_arrival_time_in_the_future_counts_as_now() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.on(t(100), resume(c(1), SALES, t(500)));
    r.login(t(130), A1, &[SALES]);
    r.notices();
    r.accept(t(130), c(1), A1);
    assert!(r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::LeftQueue { waited, .. } if *waited == secs(30))));
}

#[test]
fn a_call_already_known_is_refused() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.arrive(t(0), c(1), SALES);
    assert_eq!(
        r.acd.handle(t(1), resume(c(1), SALES, t(0))),
        Err(AcdError::DuplicateCall(c(1)))
    );
}
