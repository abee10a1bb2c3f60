//! Each strategy, and the choice between queues of different priorities.

use super::*;

fn rig(strategy: StrategyKind) -> Rig {
    let mut q = queue(SALES);
    q.strategy = strategy;
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES]);
    r.login(t(0), A3, &[SALES]);
    r
}

/// Offers a call at `now`, has the chosen agent answer and hang up at once,
/// and says who it was.
fn take_one(r: &mut Rig, now: Millis, call: CallId) -> AgentId {
    r.arrive(now, call, SALES);
    let offers = r.offers();
    assert_eq!(offers.len(), 1, "one agent rung: {offers:?}");
    let agent = offers[0].1;
    r.accept(now, call, agent);
    r.hangup(now, call);
    agent
}

#[test]
fn sequential_continues_after_the_last_agent_offered() {
    let mut r = rig(StrategyKind::Sequential);
    assert_eq!(take_one(&mut r, t(1), c(1)), A1);
    assert_eq!(take_one(&mut r, t(2), c(2)), A2);
    // A3 is busy on its turn: the round goes on to A1, then remembers A1.
    r.status(t(3), A3, BREAK);
    assert_eq!(take_one(&mut r, t(3), c(3)), A1);
    r.status(t(4), A3, AVAILABLE);
    assert_eq!(take_one(&mut r, t(4), c(4)), A2);
    assert_eq!(take_one(&mut r, t(5), c(5)), A3);
    assert_eq!(take_one(&mut r, t(6), c(6)), A1);
}

#[test]
fn least_recently_called_counts_activity_of_any_kind() {
    let mut r = rig(StrategyKind::LeastRecentlyCalled);
    assert_eq!(take_one(&mut r, t(10), c(1)), A1);
    // A2 takes a break and comes back: that is activity too.
    r.status(t(20), A2, BREAK);
    r.status(t(21), A2, AVAILABLE);
    assert_eq!(take_one(&mut r, t(30), c(2)), A3);
    assert_eq!(take_one(&mut r, t(31), c(3)), A1);
    assert_eq!(take_one(&mut r, t(32), c(4)), A2);
}

#[test]
fn longest_idle_is_the_agent_longest_without_a_call() {
    let mut r = rig(StrategyKind::LongestIdle);
    assert_eq!(take_one(&mut r, t(10), c(1)), A1);
    // A2's break does not make them less idle.
    r.status(t(20), A2, BREAK);
    r.status(t(21), A2, AVAILABLE);
    assert_eq!(take_one(&mut r, t(30), c(2)), A2);
    assert_eq!(take_one(&mut r, t(31), c(3)), A3);
    assert_eq!(take_one(&mut r, t(32), c(4)), A1);
}

#[test]
fn fewest_calls_goes_to_the_agent_with_fewest_today() {
    let mut r = rig(StrategyKind::FewestCalls);
    let mut counts = std::collections::BTreeMap::new();
    for n in 0..9 {
        *counts.entry(take_one(&mut r, t(n), c(n))).or_insert(0) += 1;
    }
    assert_eq!(counts.values().copied().collect::<Vec<_>>(), vec![3, 3, 3]);
    r.on(t(20), Event::DayStarted { project: P });
    r.status(t(21), A1, BREAK);
    assert_eq!(take_one(&mut r, t(22), c(20)), A2);
    r.status(t(23), A1, AVAILABLE);
    assert_eq!(take_one(&mut r, t(24), c(21)), A1);
}

#[test]
fn random_spreads_calls_and_replays_with_the_same_seed() {
    let run = || {
        let mut r = rig(StrategyKind::Random);
        (0..300)
            .map(|n| take_one(&mut r, t(n), c(n)))
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run());
    for agent in [A1, A2, A3] {
        let n = first.iter().filter(|&&a| a == agent).count();
        assert!((70..130).contains(&n), "{agent} took {n} of 300");
    }
}

#[test]
fn ring_all_rings_everyone_and_the_first_answer_wins() {
    let mut r = rig(StrategyKind::RingAll);
    r.status(t(0), A3, BREAK);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers(), vec![(c(1), A1), (c(1), A2)]);
    r.accept(t(2), c(1), A2);
    assert_eq!(
        r.actions(),
        vec![Action::CancelOffer {
            call: c(1),
            agent: A1
        }]
    );
    assert_eq!(r.presence(A1), Presence::Available);
    assert_eq!(r.presence(A2), Presence::InCall);
    assert_eq!(r.outcomes(), vec![(c(1), Outcome::Answered { agent: A2 })]);
}

#[test]
fn ring_all_nobody_answers_then_rings_again_after_the_delay() {
    let mut r = rig(StrategyKind::RingAll);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers().len(), 3);
    r.wait_until(t(16));
    let cancels = r.actions().len();
    assert_eq!(cancels, 3);
    r.wait_until(t(26));
    assert_eq!(r.offers().len(), 3);
}

/// Agent A1 serves SALES (priority 1) and SUPPORT (priority 5).
fn two_queues(sales_prio: u32, support_prio: u32) -> Rig {
    let mut sales = queue(SALES);
    sales.priority = sales_prio;
    let mut support = queue(SUPPORT);
    support.priority = support_prio;
    let mut r = Rig::new(vec![sales, support]);
    r.login(t(0), A1, &[SALES, SUPPORT]);
    r.status(t(0), A1, BREAK);
    r
}

#[test]
fn agent_takes_from_the_queue_of_highest_priority_first() {
    let mut r = two_queues(1, 5);
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(2), c(2), SUPPORT);
    r.status(t(3), A1, AVAILABLE);
    assert_eq!(r.offers(), vec![(c(2), A1)]);
    let m = r.metrics(SALES, t(3));
    assert_eq!(m.counters.bypassed, 1, "starvation shows in the metrics");
    assert_eq!(m.longest_wait, secs(2));
}

#[test]
fn among_equal_priorities_the_longest_waiting_call_goes_first() {
    let mut r = two_queues(3, 3);
    r.arrive(t(1), c(1), SUPPORT);
    r.arrive(t(2), c(2), SALES);
    r.arrive(t(3), c(3), SUPPORT);
    r.status(t(4), A1, AVAILABLE);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.accept(t(5), c(1), A1);
    r.hangup(t(6), c(1));
    assert_eq!(r.offers(), vec![(c(2), A1)]);
    assert_eq!(r.metrics(SALES, t(6)).counters.bypassed, 0);
}

#[test]
fn within_a_queue_calls_are_answered_in_arrival_order() {
    let mut r = Rig::new(vec![queue(SALES)]);
    for n in 1..=5 {
        r.arrive(t(n), c(n), SALES);
    }
    r.login(t(10), A1, &[SALES]);
    let mut order = Vec::new();
    for n in 0..5 {
        let (call, agent) = r.offers()[0];
        order.push(call);
        r.accept(t(11 + n), call, agent);
        r.hangup(t(11 + n), call);
    }
    assert_eq!(order, (1..=5).map(c).collect::<Vec<_>>());
}

#[test]
fn sequential_offers_the_only_agent_again() {
    let mut q = QueueConfig::new(CHAT, P);
    q.strategy = StrategyKind::Sequential;
    q.channel = Channel::Text { weight: 50 };
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[CHAT]);
    r.arrive(t(1), c(1), CHAT);
    r.arrive(t(2), c(2), CHAT);
    assert_eq!(r.offers(), vec![(c(1), A1), (c(2), A1)]);
}

#[test]
fn agent_who_rejects_takes_the_higher_priority_call_next() {
    let mut r = two_queues(1, 5);
    r.status(t(0), A1, AVAILABLE);
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(2), c(2), SALES);
    r.arrive(t(3), c(3), SUPPORT);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.on(
        t(4),
        Event::OfferRejected {
            call: c(1),
            agent: A1,
        },
    );
    // Not c2, the next in SALES: c3 in SUPPORT has the higher priority.
    assert_eq!(r.offers(), vec![(c(3), A1)]);
}

#[test]
fn pass_over_ending_with_another_miss_at_the_same_instant_still_honours_priority() {
    let mut sales = queue(SALES);
    sales.priority = 1;
    let mut r = Rig::new(vec![sales, queue(SUPPORT)]);
    r.login(t(0), A1, &[SALES, SUPPORT]);
    r.login(t(0), A3, &[SUPPORT]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(10), c(2), SUPPORT);
    assert_eq!(r.offers(), vec![(c(1), A1), (c(2), A3)]);
    // A1 misses c1 at 15 s (passed over until 25 s); A3 misses c2 at 25 s.
    r.wait_until(t(24));
    assert_eq!(r.offers(), vec![]);
    r.wait_until(t(25));
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}
