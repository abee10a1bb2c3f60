//! Agent priority: within every strategy, free agents of higher priority are
//! offered calls before any of lower priority.

use super::*;

const ALL: [StrategyKind; 6] = [
    StrategyKind::Sequential,
    StrategyKind::LeastRecentlyCalled,
    StrategyKind::LongestIdle,
    StrategyKind::FewestCalls,
    StrategyKind::Random,
    StrategyKind::RingAll,
];

/// A1 (priority 0) logs in first, so every strategy would rank them first
/// by its own order; A2 and A3 have priority 5.
fn rig(strategy: StrategyKind) -> Rig {
    let mut q = queue(SALES);
    q.strategy = strategy;
    let mut r = Rig::new(vec![q]);
    r.on(
        t(0),
        Event::AgentPriority {
            agent: A2,
            priority: 5,
        },
    );
    r.on(
        t(0),
        Event::AgentPriority {
            agent: A3,
            priority: 5,
        },
    );
    r.login(t(0), A1, &[SALES]);
    r.login(t(1), A2, &[SALES]);
    r.login(t(2), A3, &[SALES]);
    r
}

fn rung(r: &mut Rig) -> Vec<AgentId> {
    let mut agents: Vec<AgentId> = r.offers().into_iter().map(|(_, a)| a).collect();
    agents.sort();
    agents
}

#[test]
fn the_higher_priority_agents_are_offered_first_in_every_strategy() {
    for kind in ALL {
        let mut r = rig(kind);
        r.arrive(t(10), c(1), SALES);
        let first = rung(&mut r);
        if kind == StrategyKind::RingAll {
            assert_eq!(first, vec![A2, A3], "{kind:?} rings the high tier only");
            r.accept(t(11), c(1), A2);
            r.actions();
            // A3 is free again once A2 has answered; the next call is theirs.
            r.arrive(t(12), c(2), SALES);
            assert_eq!(rung(&mut r), vec![A3], "{kind:?}");
            r.accept(t(13), c(2), A3);
        } else {
            assert_eq!(first.len(), 1, "{kind:?}");
            assert_ne!(first, vec![A1], "{kind:?} offered the low priority first");
            let high = first[0];
            r.accept(t(11), c(1), high);
            r.arrive(t(12), c(2), SALES);
            let other = if high == A2 { A3 } else { A2 };
            assert_eq!(rung(&mut r), vec![other], "{kind:?}");
            r.accept(t(13), c(2), other);
        }
        // Both high agents busy: the low one takes the third call.
        r.arrive(t(14), c(3), SALES);
        assert_eq!(rung(&mut r), vec![A1], "{kind:?}");
    }
}

#[test]
fn a_freed_higher_priority_agent_takes_the_waiting_call() {
    for kind in ALL {
        let mut r = rig(kind);
        r.status(t(3), A1, BREAK);
        r.arrive(t(10), c(1), SALES);
        r.arrive(t(10), c(2), SALES);
        // A2 and A3 answer whatever rings them until both are busy.
        loop {
            let offers = r.offers();
            let Some(&(call, agent)) = offers.first() else {
                break;
            };
            assert_ne!(agent, A1, "{kind:?}");
            r.accept(t(11), call, agent);
        }
        // A1 is back while c3 waits for nobody else: A1 takes it.
        r.arrive(t(12), c(3), SALES);
        assert_eq!(rung(&mut r), Vec::<AgentId>::new(), "{kind:?}: nobody free");
        r.status(t(13), A1, AVAILABLE);
        assert_eq!(rung(&mut r), vec![A1], "{kind:?}");
    }
}

#[test]
fn sequential_rotates_within_the_highest_priority() {
    let mut r = rig(StrategyKind::Sequential);
    let mut taken = Vec::new();
    for n in 1..=4 {
        r.arrive(t(10 + n), c(n), SALES);
        let agents = rung(&mut r);
        assert_eq!(agents.len(), 1);
        r.accept(t(10 + n), c(n), agents[0]);
        r.hangup(t(10 + n), c(n));
        taken.push(agents[0]);
    }
    assert_eq!(taken, vec![A2, A3, A2, A3]);
}

#[test]
fn a_priority_change_reorders_a_logged_in_agent_and_outlasts_logout() {
    let mut r = rig(StrategyKind::LongestIdle);
    // A1 rises above the others while logged in.
    r.on(
        t(5),
        Event::AgentPriority {
            agent: A1,
            priority: 9,
        },
    );
    r.arrive(t(10), c(1), SALES);
    assert_eq!(rung(&mut r), vec![A1]);
    r.accept(t(11), c(1), A1);
    r.hangup(t(12), c(1));
    r.on(t(13), Event::AgentLogout { agent: A1 });
    r.login(t(14), A1, &[SALES]);
    r.actions();
    r.arrive(t(20), c(2), SALES);
    assert_eq!(rung(&mut r), vec![A1], "the priority is kept across logins");
    r.accept(t(21), c(2), A1);
    // Back to 0: the high tier is A2 and A3 again.
    r.hangup(t(22), c(2));
    r.on(
        t(23),
        Event::AgentPriority {
            agent: A1,
            priority: 0,
        },
    );
    r.arrive(t(30), c(3), SALES);
    assert_ne!(rung(&mut r), vec![A1]);
}

#[test]
fn a_high_priority_agent_who_missed_the_call_is_passed_over_for_a_lower_one() {
    let mut r = rig(StrategyKind::LongestIdle);
    r.status(t(3), A3, BREAK);
    r.arrive(t(10), c(1), SALES);
    assert_eq!(rung(&mut r), vec![A2]);
    r.on(
        t(11),
        Event::OfferRejected {
            call: c(1),
            agent: A2,
        },
    );
    assert_eq!(rung(&mut r), vec![A1]);
}
