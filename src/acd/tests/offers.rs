//! Statuses, logins and offers: who is offered what, and what happens when an
//! offer is not answered.

use super::*;

#[test]
fn available_agent_is_offered_the_call() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.actions(), vec![offer(c(1), A1)]);
    assert_eq!(r.presence(A1), Presence::Ringing);
    r.accept(t(3), c(1), A1);
    assert_eq!(r.presence(A1), Presence::InCall);
    let left = r.notices().into_iter().find_map(|n| match n {
        Notice::LeftQueue {
            outcome, waited, ..
        } => Some((outcome, waited)),
        _ => None,
    });
    assert_eq!(left, Some((Outcome::Answered { agent: A1 }, secs(2))));
}

#[test]
fn only_available_agents_are_offered_queue_calls() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(0), A1, BREAK);
    r.login(t(0), A2, &[SALES]);
    r.status(t(0), A2, OFFLINE);
    r.login(t(0), A3, &[SALES]);
    r.status(t(0), A3, OUTBOUND);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers(), vec![]);
    assert_eq!(r.acd.position(c(1)), Some(1));
    r.status(t(5), A2, AVAILABLE);
    assert_eq!(r.offers(), vec![(c(1), A2)]);
}

#[test]
fn transferable_status_takes_transfers_but_never_queue_calls() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(0), A1, OUTBOUND);
    r.login(t(0), A2, &[SALES]);
    r.status(t(0), A2, BREAK);
    assert!(r.acd.takes_transfer(A1));
    assert!(!r.acd.takes_transfer(A2));
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers(), vec![]);
    assert_eq!(r.presence(A1), Presence::InCall);
}

#[test]
fn mandatory_agents_join_their_queues_at_login() {
    let mut support = queue(SUPPORT);
    support.mandatory_agents = vec![A1];
    let mut r = Rig::new(vec![queue(SALES), support]);
    r.login(t(0), A1, &[SALES]);
    let joined: Vec<_> = r
        .notices()
        .into_iter()
        .filter_map(|n| match n {
            Notice::AgentJoinedQueue { queue, .. } => Some(queue),
            _ => None,
        })
        .collect();
    assert_eq!(joined, vec![SUPPORT, SALES]);
    r.arrive(t(1), c(1), SUPPORT);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}

#[test]
fn an_agent_works_in_one_project_at_a_time() {
    let mut other = QueueConfig::new(QueueId(20), P2);
    other.priority = 1;
    let mut r = Rig::new(vec![queue(SALES), other]);
    r.login(t(0), A1, &[SALES]);
    r.on(
        t(1),
        Event::AgentLogin {
            agent: A1,
            project: P2,
            status: AVAILABLE,
            queues: vec![QueueId(20)],
        },
    );
    r.arrive(t(2), c(1), SALES);
    assert_eq!(r.offers(), vec![]);
    assert_eq!(
        r.acd.handle(
            t(2),
            Event::AgentJoinQueue {
                agent: A1,
                queue: SALES
            }
        ),
        Err(AcdError::WrongProject {
            agent: A1,
            queue: SALES
        })
    );
    assert_eq!(r.metrics(SALES, t(2)).agents.len(), 0);
}

#[test]
fn unknown_ids_are_refused_and_change_nothing() {
    let mut r = Rig::new(vec![queue(SALES)]);
    assert_eq!(
        r.acd.handle(
            t(0),
            Event::CallArrived {
                call: c(1),
                queue: QueueId(99)
            }
        ),
        Err(AcdError::UnknownQueue(QueueId(99)))
    );
    assert_eq!(
        r.acd.handle(
            t(0),
            Event::AgentStatus {
                agent: A1,
                status: AVAILABLE
            }
        ),
        Err(AcdError::UnknownAgent(A1))
    );
    r.arrive(t(0), c(1), SALES);
    assert_eq!(
        r.acd.handle(
            t(0),
            Event::CallArrived {
                call: c(1),
                queue: SALES
            }
        ),
        Err(AcdError::DuplicateCall(c(1)))
    );
    assert_eq!(r.metrics(SALES, t(0)).counters.offered, 1);
}

#[test]
fn timed_out_offer_goes_to_the_next_agent() {
    let mut q = queue(SALES);
    q.strategy = StrategyKind::Sequential;
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    assert_eq!(r.acd.poll_timeout(), Some(t(16)));
    r.wait_until(t(16));
    assert_eq!(
        r.actions(),
        vec![
            Action::CancelOffer {
                call: c(1),
                agent: A1
            },
            offer(c(1), A2),
        ]
    );
}

#[test]
fn the_agent_who_missed_is_not_offered_the_same_call_right_away() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.wait_until(t(16));
    assert_eq!(
        r.actions(),
        vec![Action::CancelOffer {
            call: c(1),
            agent: A1
        }]
    );
    assert_eq!(r.acd.position(c(1)), Some(1));
    // The project's re-offer delay is 10 s.
    assert_eq!(r.acd.poll_timeout(), Some(t(26)));
    r.wait_until(t(25));
    assert_eq!(r.offers(), vec![]);
    r.wait_until(t(26));
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}

#[test]
fn rejected_call_keeps_its_place_and_rings_the_next_agent() {
    let mut q = queue(SALES);
    q.strategy = StrategyKind::Sequential;
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(2), c(2), SALES);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.on(
        t(3),
        Event::OfferRejected {
            call: c(1),
            agent: A1,
        },
    );
    // c1 is passed over for A1, so A1 gets c2; c1 is still first in line.
    assert_eq!(r.actions(), vec![offer(c(2), A1)]);
    r.login(t(4), A2, &[SALES]);
    assert_eq!(r.offers(), vec![(c(1), A2)]);
    let missed = r.notices().into_iter().any(|n| {
        n == Notice::OfferMissed {
            call: c(1),
            agent: A1,
            miss: Miss::Rejected,
        }
    });
    assert!(missed);
}

#[test]
fn failed_offer_counts_as_a_miss() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    let (_, first) = r.offers()[0];
    r.on(
        t(2),
        Event::OfferFailed {
            call: c(1),
            agent: first,
        },
    );
    let (_, second) = r.offers()[0];
    assert_ne!(first, second);
    assert_eq!(
        r.acd.handle(
            t(3),
            Event::OfferRejected {
                call: c(1),
                agent: first
            }
        ),
        Err(AcdError::NoSuchOffer {
            call: c(1),
            agent: first
        })
    );
}

#[test]
fn agent_missing_the_limit_of_offers_in_a_row_is_moved() {
    let mut cfg = config(vec![queue(SALES)]);
    cfg.projects[0].missed_offers = Some(MissedOffers {
        limit: 2,
        status: NOT_ANSWERING,
    });
    let mut r = Rig::with(cfg);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.actions();
    r.wait_until(t(16));
    r.arrive(t(17), c(2), SALES);
    assert_eq!(r.offers(), vec![(c(2), A1)]);
    r.notices();
    r.wait_until(t(32));
    assert!(r.notices().contains(&Notice::MovedForMissedOffers {
        agent: A1,
        status: NOT_ANSWERING
    }));
    assert_eq!(
        r.acd.agent_presence(A1),
        Some((NOT_ANSWERING, Presence::Offline))
    );
    r.wait_until(t(60));
    assert_eq!(r.offers(), vec![]);
}

#[test]
fn answering_resets_the_missed_offer_count() {
    let mut cfg = config(vec![queue(SALES)]);
    cfg.projects[0].missed_offers = Some(MissedOffers {
        limit: 2,
        status: NOT_ANSWERING,
    });
    cfg.projects[0].reoffer_delay = secs(0);
    let mut r = Rig::with(cfg);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.wait_until(t(16)); // miss 1, offered again at once
    r.accept(t(17), c(1), A1);
    r.hangup(t(20), c(1));
    r.arrive(t(21), c(2), SALES);
    r.wait_until(t(36)); // miss 1 again, not 2
    assert_eq!(r.presence(A1), Presence::Ringing);
}

#[test]
fn auto_answer_is_carried_in_the_offer() {
    let mut q = queue(SALES);
    q.auto_answer = true;
    q.agent_timeout = secs(5);
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    assert_eq!(
        r.actions(),
        vec![Action::Offer {
            call: c(1),
            agent: A1,
            ring_for: secs(5),
            auto_answer: true
        }]
    );
}

#[test]
fn caller_hanging_up_while_ringing_is_abandoned_once_and_frees_the_agent() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(2), c(2), SALES);
    r.actions();
    r.notices();
    r.hangup(t(3), c(1));
    assert_eq!(
        r.actions(),
        vec![
            Action::CancelOffer {
                call: c(1),
                agent: A1
            },
            offer(c(2), A1)
        ]
    );
    assert_eq!(
        r.outcomes(),
        vec![(c(1), Outcome::Abandoned(AbandonReason::Hangup))]
    );
    r.hangup(t(4), c(1));
    assert_eq!(r.outcomes(), vec![]);
    assert_eq!(r.metrics(SALES, t(4)).counters.abandoned, 1);
}

#[test]
fn answer_after_the_offer_timed_out_is_cancelled() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.wait_until(t(16));
    r.actions();
    r.accept(t(16), c(1), A1);
    assert_eq!(
        r.actions(),
        vec![Action::CancelOffer {
            call: c(1),
            agent: A1
        }]
    );
    assert_eq!(r.presence(A1), Presence::Available);
}

#[test]
fn logout_withdraws_ringing_offers_and_the_call_waits() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.actions();
    r.on(t(2), Event::AgentLogout { agent: A1 });
    assert_eq!(
        r.actions(),
        vec![Action::CancelOffer {
            call: c(1),
            agent: A1
        }]
    );
    assert_eq!(r.acd.position(c(1)), Some(1));
    assert_eq!(r.presence(A1), Presence::Offline);
    r.login(t(3), A2, &[SALES]);
    assert_eq!(r.offers(), vec![(c(1), A2)]);
}

#[test]
fn queue_settings_change_while_running() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    let mut q = queue(SALES);
    q.agent_timeout = secs(30);
    q.strategy = StrategyKind::Sequential;
    r.on(t(1), Event::QueueConfigured(Box::new(q)));
    r.arrive(t(2), c(1), SALES);
    assert_eq!(
        r.actions(),
        vec![Action::Offer {
            call: c(1),
            agent: A1,
            ring_for: secs(30),
            auto_answer: false
        }]
    );
}

#[test]
fn status_and_project_settings_change_while_running() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    // "Outbound" becomes a break: agents in it start counting break time.
    r.status(t(0), A1, OUTBOUND);
    r.on(
        t(10),
        Event::StatusConfigured(StatusConfig {
            id: OUTBOUND,
            name: "Outbound".into(),
            category: Category::Break,
            transferable: false,
        }),
    );
    assert_eq!(r.presence(A1), Presence::Break);
    assert!(!r.acd.takes_transfer(A1));
    assert_eq!(r.acd.break_used(A1, t(70)), Some(secs(60)));
    let mut project = ProjectConfig::new(P);
    project.break_allowance = secs(600);
    r.on(t(70), Event::ProjectConfigured(project));
    assert_eq!(r.acd.break_remaining(A1, t(70)), Some(secs(540)));
    // A new Available status: agents choosing it are offered calls.
    r.on(
        t(71),
        Event::StatusConfigured(StatusConfig {
            id: StatusId(50),
            name: "Ready".into(),
            category: Category::Available,
            transferable: false,
        }),
    );
    r.arrive(t(72), c(1), SALES);
    r.status(t(73), A1, StatusId(50));
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}

#[test]
fn an_agent_holding_a_call_takes_no_transfer() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    assert!(r.acd.takes_transfer(A1));
    r.arrive(t(1), c(1), SALES);
    assert!(!r.acd.takes_transfer(A1));
    r.accept(t(2), c(1), A1);
    assert!(!r.acd.takes_transfer(A1));
    r.hangup(t(3), c(1));
    assert!(r.acd.takes_transfer(A1));
}

#[test]
fn agent_passed_over_gets_the_call_back_when_the_delay_ends_after_the_next_miss() {
    let mut q = queue(SALES);
    q.strategy = StrategyKind::Sequential;
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.wait_until(t(15)); // A1 misses: passed over until 25 s
    assert_eq!(r.offers(), vec![(c(1), A1), (c(1), A2)]);
    r.on(
        t(16),
        Event::OfferRejected {
            call: c(1),
            agent: A2,
        },
    );
    r.wait_until(t(24));
    assert_eq!(r.offers(), vec![]);
    r.wait_until(t(25));
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}

#[test]
fn internal_transfer_keeps_the_agent_from_queue_calls_until_it_ends() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(0), A1, OUTBOUND);
    r.login(t(0), A2, &[SALES]);
    r.status(t(0), A2, BREAK);
    // Outbound is Transferable; Break is not.
    assert_eq!(
        r.acd.handle(
            t(1),
            Event::TransferStarted {
                call: c(50),
                agent: A2
            }
        ),
        Err(AcdError::NoTransfer(A2))
    );
    r.on(
        t(1),
        Event::TransferStarted {
            call: c(50),
            agent: A1,
        },
    );
    assert_eq!(r.presence(A1), Presence::InCall);
    assert!(!r.acd.takes_transfer(A1));
    // Back to Available during the transfer: still no queue call.
    r.status(t(2), A1, AVAILABLE);
    r.arrive(t(3), c(1), SALES);
    assert_eq!(r.offers(), vec![]);
    r.hangup(t(60), c(50));
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}

#[test]
fn a_configuration_that_refers_to_nothing_is_refused() {
    let mut cfg = config(vec![QueueConfig::new(SALES, ProjectId(9))]);
    assert!(matches!(
        Engine::try_new(cfg.clone()),
        Err(AcdError::UnknownProject(ProjectId(9)))
    ));
    cfg.queues = vec![queue(SALES)];
    cfg.projects[0].missed_offers = Some(MissedOffers {
        limit: 1,
        status: StatusId(99),
    });
    assert!(matches!(
        Engine::try_new(cfg.clone()),
        Err(AcdError::UnknownStatus(StatusId(99)))
    ));
    cfg.projects[0].missed_offers = None;
    cfg.queue_groups[0].queues.push(QueueId(77));
    assert!(matches!(
        Engine::try_new(cfg),
        Err(AcdError::UnknownQueue(QueueId(77)))
    ));
}
