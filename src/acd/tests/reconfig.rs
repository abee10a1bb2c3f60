//! Configuration changes while the engine runs: the events [`changes`] works
//! out between two configurations, and what the engine does with each
//! removal (a queue deleted, an agent taken off a queue, a queue group
//! changed, a status or result code deleted).

use super::*;

fn assigned(mut q: QueueConfig, agents: &[AgentId]) -> QueueConfig {
    q.assigned_agents = agents.to_vec();
    q
}

fn status_cfg(id: StatusId, name: &str, category: Category) -> StatusConfig {
    StatusConfig {
        id,
        name: name.into(),
        category,
        transferable: false,
    }
}

fn group(id: u64, queues: &[QueueId]) -> QueueGroupConfig {
    QueueGroupConfig {
        id: QueueGroupId(id),
        queues: queues.to_vec(),
    }
}

/// The usual configuration with SALES (A1, A2 assigned) and SUPPORT (A1).
fn base() -> Config {
    config(vec![
        assigned(queue(SALES), &[A1, A2]),
        assigned(queue(SUPPORT), &[A1]),
    ])
}

#[test]
fn changes_lists_typed_events_for_each_kind_of_edit() {
    type Edit = fn(&mut Config);
    let rows: Vec<(&str, Edit, Vec<Event>)> = vec![
        ("nothing changed", |_| {}, vec![]),
        ("the seed is not configuration", |c| c.seed = 99, vec![]),
        (
            "a status added",
            |c| {
                c.statuses
                    .push(status_cfg(StatusId(7), "Meeting", Category::Break))
            },
            vec![Event::StatusConfigured(status_cfg(
                StatusId(7),
                "Meeting",
                Category::Break,
            ))],
        ),
        (
            "a status retired",
            |c| c.statuses.retain(|s| s.id != LUNCH),
            vec![Event::StatusRemoved(LUNCH)],
        ),
        (
            "a queue deleted",
            |c| {
                c.queues.retain(|q| q.id != SUPPORT);
                c.queue_groups[0].queues.retain(|&q| q != SUPPORT);
            },
            vec![
                Event::QueueGroupConfigured(group(1, &[SALES])),
                Event::QueueRemoved(SUPPORT),
            ],
        ),
        (
            "an agent taken off a queue",
            |c| c.queues[0].assigned_agents = vec![A2],
            vec![
                Event::AgentLeaveQueue {
                    agent: A1,
                    queue: SALES,
                },
                Event::QueueConfigured(Box::new(assigned(queue(SALES), &[A2]))),
            ],
        ),
        (
            "an agent given a queue",
            |c| c.queues[1].assigned_agents.push(A3),
            vec![Event::QueueConfigured(Box::new(assigned(
                queue(SUPPORT),
                &[A1, A3],
            )))],
        ),
        (
            "a queue group's queues changed",
            |c| c.queue_groups[0].queues = vec![SUPPORT],
            vec![Event::QueueGroupConfigured(group(1, &[SUPPORT]))],
        ),
        (
            "a queue group deleted",
            |c| c.queue_groups.clear(),
            vec![Event::QueueGroupRemoved(QueueGroupId(1))],
        ),
        (
            "a result code deleted",
            |c| c.result_codes.retain(|r| r.id != ResultCodeId(2)),
            vec![Event::ResultCodeRemoved(ResultCodeId(2))],
        ),
        (
            "a project's rule moves to a new status: the status comes first",
            |c| {
                c.statuses
                    .push(status_cfg(StatusId(8), "Away", Category::Offline));
                c.projects[1].missed_offers = Some(MissedOffers {
                    limit: 2,
                    status: StatusId(8),
                });
            },
            vec![
                Event::StatusConfigured(status_cfg(StatusId(8), "Away", Category::Offline)),
                Event::ProjectConfigured(ProjectConfig {
                    missed_offers: Some(MissedOffers {
                        limit: 2,
                        status: StatusId(8),
                    }),
                    ..ProjectConfig::new(P2)
                }),
            ],
        ),
    ];
    for (what, edit, expected) in rows {
        let old = base();
        let mut new = base();
        edit(&mut new);
        assert_eq!(changes(&old, &new), expected, "{what}");
        // Applied to an engine running `old`, they give `new`.
        let mut r = Rig::with(old);
        for event in expected {
            r.on(t(0), event);
        }
        let left = changes(&r.acd.config(), &new);
        assert_eq!(
            left,
            vec![],
            "{what}: the engine runs the new configuration"
        );
    }
}

#[test]
fn the_engine_reports_the_configuration_it_started_with() {
    let cfg = base();
    let r = Rig::with(cfg.clone());
    assert_eq!(changes(&r.acd.config(), &cfg), vec![]);
    assert_eq!(r.acd.config().queues.len(), 2);
}

#[test]
fn an_agent_taken_off_a_queue_is_offered_nothing_more_from_it() {
    let mut r = Rig::with(base());
    flow(
        &mut r,
        vec![
            (t(0), login(A1, &[SALES, SUPPORT]), vec![]),
            (t(1), arrive(c(1), SALES), vec![offer(c(1), A1)]),
            // Taken off SALES while its call rings them: they may answer it.
            (
                t(2),
                Some(Event::AgentLeaveQueue {
                    agent: A1,
                    queue: SALES,
                }),
                vec![],
            ),
            (t(3), answer(c(1), A1), vec![]),
            (t(10), hangup(c(1)), vec![]),
            // Free again: SALES's next call waits; SUPPORT's is theirs.
            (t(11), arrive(c(2), SALES), vec![]),
            (t(12), arrive(c(3), SUPPORT), vec![offer(c(3), A1)]),
        ],
    );
    assert_eq!(r.acd.agent_queues(A1), vec![SUPPORT]);
    assert_eq!(r.acd.position(c(2)), Some(1));
}

#[test]
fn a_ringing_offer_of_a_queue_taken_from_the_agent_is_not_offered_again() {
    let mut r = Rig::with(base());
    flow(
        &mut r,
        vec![
            (t(0), login(A1, &[SALES]), vec![]),
            (t(1), arrive(c(1), SALES), vec![offer(c(1), A1)]),
            (
                t(2),
                Some(Event::AgentLeaveQueue {
                    agent: A1,
                    queue: SALES,
                }),
                vec![],
            ),
            // The offer times out: the call waits, and is not offered back.
            (t(16), CLOCK, vec![cancel(c(1), A1)]),
            (t(40), CLOCK, vec![]),
            (t(41), login(A2, &[SALES]), vec![offer(c(1), A2)]),
        ],
    );
}

#[test]
fn a_deleted_queue_takes_nothing_new_and_offers_nothing_more() {
    let mut sales = queue(SALES);
    sales.queue_timeout = Some((secs(60), ExitTarget::Queue(SUPPORT)));
    let mut r = Rig::new(vec![sales, queue(SUPPORT)]);
    flow(
        &mut r,
        vec![
            (t(0), login(A1, &[SALES]), vec![]),
            (t(1), login(A2, &[SALES, SUPPORT]), vec![]),
            // Longest idle first.
            (t(2), arrive(c(1), SALES), vec![offer(c(1), A1)]),
            (t(2), arrive(c(2), SALES), vec![offer(c(2), A2)]),
            (t(3), answer(c(2), A2), vec![]),
            (t(3), arrive(c(3), SALES), vec![]),
            (t(4), Some(Event::QueueRemoved(SALES)), vec![]),
        ],
    );
    let left: Vec<_> = r
        .notices()
        .into_iter()
        .filter(|n| matches!(n, Notice::AgentLeftQueue { queue: SALES, .. }))
        .collect();
    assert_eq!(left.len(), 2, "both members leave it: {left:?}");
    assert_eq!(
        r.acd.handle(
            t(5),
            Event::CallArrived {
                call: c(4),
                queue: SALES
            }
        ),
        Err(AcdError::UnknownQueue(SALES))
    );
    assert_eq!(
        r.acd.handle(
            t(5),
            Event::AgentJoinQueue {
                agent: A1,
                queue: SALES
            }
        ),
        Err(AcdError::UnknownQueue(SALES))
    );
    assert!(r.acd.queue_metrics(SALES, t(5)).is_none());
    assert!(!r.acd.queue_ids().any(|q| q == SALES));
    assert_eq!(
        r.acd
            .group_metrics(QueueGroupId(1), t(5))
            .map(|m| m.in_queue),
        Some(0),
        "the group counts SUPPORT only"
    );
    flow(
        &mut r,
        vec![
            // The ringing offer may still be answered; the connected call
            // runs to its end.
            (t(6), answer(c(1), A1), vec![]),
            (t(20), hangup(c(2)), vec![]),
            (t(21), hangup(c(1)), vec![]),
            // The waiting caller is offered to nobody, and its queue timeout
            // still sends it on.
            (
                t(63),
                CLOCK,
                vec![Action::Redirect {
                    call: c(3),
                    target: ExitTarget::Queue(SUPPORT),
                }],
            ),
            (t(64), arrive(c(3), SUPPORT), vec![offer(c(3), A2)]),
        ],
    );
    r.acd.check_invariants();
}

#[test]
fn a_caller_waiting_in_a_deleted_queue_may_still_hang_up() {
    let mut r = Rig::new(vec![queue(SALES), queue(SUPPORT)]);
    r.arrive(t(1), c(1), SALES);
    r.on(t(2), Event::QueueRemoved(SALES));
    r.login(t(3), A1, &[SUPPORT]);
    assert_eq!(r.offers(), vec![]);
    assert_eq!(
        r.acd.handle(
            t(4),
            Event::CallbackRequested {
                call: c(1),
                callback: c(2)
            }
        ),
        Err(AcdError::UnknownQueue(SALES)),
        "no callback is kept in a deleted queue"
    );
    r.hangup(t(9), c(1));
    assert_eq!(
        r.outcomes(),
        vec![(c(1), Outcome::Abandoned(AbandonReason::Hangup))]
    );
    assert_eq!(r.acd.interactions(), 0);
    assert_eq!(
        r.acd.handle(t(10), Event::QueueRemoved(SALES)),
        Err(AcdError::UnknownQueue(SALES))
    );
}

#[test]
fn a_callback_waiting_in_a_deleted_queue_ends_cancelled() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.on(
        t(1),
        Event::CallbackArrived {
            call: c(1),
            queue: SALES,
            requested: t(1),
            attempts: 0,
        },
    );
    r.on(t(2), Event::QueueRemoved(SALES));
    assert_eq!(
        r.outcomes(),
        vec![(c(1), Outcome::CallbackEnded(CallbackEnd::Cancelled))]
    );
    assert_eq!(r.acd.interactions(), 0);
}

#[test]
fn a_mandatory_queue_deleted_is_not_joined_at_the_next_login() {
    let mut support = queue(SUPPORT);
    support.mandatory_agents = vec![A1];
    let mut r = Rig::new(vec![queue(SALES), support]);
    r.on(t(0), Event::QueueRemoved(SUPPORT));
    r.login(t(1), A1, &[SALES]);
    assert_eq!(r.acd.agent_queues(A1), vec![SALES]);
}

#[test]
fn queue_groups_change_and_go() {
    let mut r = Rig::new(vec![queue(SALES), queue(SUPPORT)]);
    r.arrive(t(1), c(1), SALES);
    r.arrive(t(1), c(2), SUPPORT);
    let g = QueueGroupId(1);
    assert_eq!(r.acd.group_metrics(g, t(2)).unwrap().waiting, 2);
    r.on(t(2), Event::QueueGroupConfigured(group(1, &[SUPPORT])));
    assert_eq!(r.acd.group_metrics(g, t(2)).unwrap().waiting, 1);
    r.on(t(2), Event::QueueGroupConfigured(group(2, &[SALES])));
    assert_eq!(
        r.acd.group_metrics(QueueGroupId(2), t(2)).unwrap().waiting,
        1
    );
    assert_eq!(
        r.acd
            .handle(t(2), Event::QueueGroupConfigured(group(3, &[CHAT]))),
        Err(AcdError::UnknownQueue(CHAT))
    );
    r.on(t(3), Event::QueueGroupRemoved(g));
    assert!(r.acd.group_metrics(g, t(3)).is_none());
}

#[test]
fn agents_keep_a_retired_status_until_they_choose_another() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(1), A1, LUNCH);
    r.on(t(2), Event::StatusRemoved(LUNCH));
    assert_eq!(r.acd.agent_presence(A1), Some((LUNCH, Presence::Break)));
    r.arrive(t(3), c(1), SALES);
    assert_eq!(r.offers(), vec![], "still on their break");
    assert_eq!(
        r.acd.handle(
            t(4),
            Event::AgentStatus {
                agent: A2,
                status: LUNCH
            }
        ),
        Err(AcdError::UnknownStatus(LUNCH))
    );
    r.status(t(5), A1, AVAILABLE);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    assert_eq!(
        r.acd.handle(
            t(6),
            Event::AgentStatus {
                agent: A1,
                status: LUNCH
            }
        ),
        Err(AcdError::UnknownStatus(LUNCH))
    );
}

#[test]
fn a_status_a_missed_offer_rule_moves_agents_to_is_not_removed() {
    let mut cfg = config(vec![queue(SALES)]);
    cfg.projects[0].missed_offers = Some(MissedOffers {
        limit: 2,
        status: NOT_ANSWERING,
    });
    let mut r = Rig::with(cfg);
    assert!(matches!(
        r.acd.handle(t(0), Event::StatusRemoved(NOT_ANSWERING)),
        Err(AcdError::Config(_))
    ));
    // The project drops the rule first (as `changes` orders it): then it goes.
    r.on(t(1), Event::ProjectConfigured(ProjectConfig::new(P)));
    r.on(t(1), Event::StatusRemoved(NOT_ANSWERING));
    assert!(!r
        .acd
        .config()
        .statuses
        .iter()
        .any(|s| s.id == NOT_ANSWERING));
}

#[test]
fn a_deleted_result_code_can_no_longer_be_chosen() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(1), c(1), SALES);
    r.accept(t(2), c(1), A1);
    r.on(t(3), Event::ResultCodeRemoved(ResultCodeId(2)));
    assert_eq!(
        r.acd.handle(
            t(4),
            Event::ResultCode {
                agent: A1,
                call: c(1),
                code: ResultCodeId(2)
            }
        ),
        Err(AcdError::UnknownResultCode(ResultCodeId(2)))
    );
    r.on(
        t(4),
        Event::ResultCode {
            agent: A1,
            call: c(1),
            code: ResultCodeId(1),
        },
    );
}

mod props {
    use proptest::prelude::*;

    use super::*;

    const QUEUES: [QueueId; 3] = [SALES, SUPPORT, CHAT];
    const AGENTS: [AgentId; 3] = [A1, A2, A3];

    /// A configuration picked by bits: extra statuses 7 and 8, which queues
    /// exist and who is assigned to each, two groups' queues, the result
    /// codes, and whether project P's missed-offer rule moves to status 7.
    fn pick(
        statuses: u8,
        queues: u8,
        assign: [u8; 3],
        groups: [u8; 2],
        codes: u8,
        rule: bool,
    ) -> Config {
        let present: Vec<QueueId> = (0..3)
            .filter(|i| queues & (1 << i) != 0)
            .map(|i| QUEUES[i])
            .collect();
        let mut cfg = config(
            present
                .iter()
                .map(|&q| {
                    let i = QUEUES.iter().position(|&x| x == q).unwrap();
                    let agents: Vec<AgentId> = (0..3)
                        .filter(|a| assign[i] & (1 << a) != 0)
                        .map(|a| AGENTS[a])
                        .collect();
                    assigned(queue(q), &agents)
                })
                .collect(),
        );
        for (bit, id) in [(1, 7), (2, 8)] {
            if statuses & bit != 0 {
                cfg.statuses
                    .push(status_cfg(StatusId(id), "Extra", Category::Break));
            }
        }
        if rule && statuses & 1 != 0 {
            cfg.projects[0].missed_offers = Some(MissedOffers {
                limit: 2,
                status: StatusId(7),
            });
        }
        cfg.queue_groups = groups
            .iter()
            .enumerate()
            .filter(|(_, &m)| m != 0)
            .map(|(g, &m)| {
                let members = present
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| m & (1 << i) != 0)
                    .map(|(_, &q)| q)
                    .collect::<Vec<_>>();
                group(g as u64 + 1, &members)
            })
            .collect();
        cfg.result_codes.retain(|r| codes & (1 << r.id.0) != 0);
        cfg
    }

    fn config_bits() -> impl Strategy<Value = Config> {
        (
            0..4u8,
            0..8u8,
            [0..8u8, 0..8u8, 0..8u8],
            [0..8u8, 0..8u8],
            0..8u8,
            any::<bool>(),
        )
            .prop_map(|(s, q, a, g, c, r)| pick(s, q, a, g, c, r))
    }

    proptest! {
        #![proptest_config(crate::acd::tests::proptest_config())]

        /// Whatever two configurations, the changes apply in order on an
        /// engine with agents and calls in it, leave it running the second
        /// one, and take every agent off the queues taken from them.
        #[test]
        fn changes_take_a_busy_engine_from_one_configuration_to_another(
            old in config_bits(),
            new in config_bits(),
            calls in 0..5u64,
        ) {
            let mut r = Rig::with(old.clone());
            for (i, &agent) in AGENTS.iter().enumerate() {
                let queues: Vec<QueueId> = old
                    .queues
                    .iter()
                    .filter(|q| q.assigned_agents.contains(&agent))
                    .map(|q| q.id)
                    .collect();
                r.login(t(i as u64), agent, &queues);
            }
            for n in 0..calls {
                let q = old.queues[(n as usize) % old.queues.len().max(1)..].first();
                if let Some(q) = q {
                    r.arrive(t(5), c(n + 1), q.id);
                }
            }
            for event in changes(&old, &new) {
                r.on(t(6), event);
            }
            r.acd.check_invariants();
            prop_assert_eq!(changes(&r.acd.config(), &new), vec![]);
            for &agent in &AGENTS {
                for q in r.acd.agent_queues(agent) {
                    let cfg = new.queues.iter().find(|c| c.id == q);
                    prop_assert!(
                        cfg.is_some_and(|c| c.assigned_agents.contains(&agent)),
                        "{} still in {}", agent, q
                    );
                }
            }
        }
    }
}
