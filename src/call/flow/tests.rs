//! Call flows as tables: inputs in, the call core's actions out, on a
//! virtual clock.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::acd::{AnnouncementMode, ProjectId, QueueConfig};
use crate::cdr::{Disposition, TerminateSide};
use crate::store::admin::queues::RecordingMode;

pub(super) const A1: AgentId = AgentId(1);
pub(super) const A2: AgentId = AgentId(2);
pub(super) const C1: CallId = CallId(100);
pub(super) const C2: CallId = CallId(200);
pub(super) const Q1: QueueId = QueueId(1);
const Q2: QueueId = QueueId(2);

pub(super) fn t(secs: u64) -> Millis {
    Millis::from_secs(1_000 + secs)
}

pub(super) fn queue(id: QueueId, exit: Option<ExitTarget>, acw: Duration) -> Arc<QueueInfo> {
    let mut config = QueueConfig::new(id, ProjectId(1));
    config.announcements = AnnouncementMode::Both;
    config.after_call_work = acw;
    Arc::new(QueueInfo {
        id,
        project: ProjectId(1),
        name: format!("queue {}", id.0),
        number: format!("{}", 2000 + id.0),
        hold_music: "hold".into(),
        config,
        exit,
        recording: RecordingMode::Never,
    })
}

fn recorded_queue(id: QueueId) -> Arc<QueueInfo> {
    let mut q = (*queue(id, None, Duration::ZERO)).clone();
    q.recording = RecordingMode::Always;
    Arc::new(q)
}

fn queue_recording(id: QueueId, mode: RecordingMode) -> Arc<QueueInfo> {
    let mut q = (*queue(id, None, Duration::ZERO)).clone();
    q.recording = mode;
    Arc::new(q)
}

fn arrival() -> cdr::Arrival {
    cdr::Arrival {
        id: cdr::InteractionId(C1.0),
        interaction_type: cdr::InteractionType::Call,
        direction: cdr::Direction::Inbound,
        domain: "example.com".into(),
        remote_number: "5551234".into(),
        local_number: "2001".into(),
    }
}

/// A call answered at `t(0)` into `q`, its first actions taken.
fn answered_into(q: Arc<QueueInfo>) -> (CallFlow, Vec<Action>) {
    let mut flow = CallFlow::new(
        t(0),
        q,
        arrival(),
        cdr::RecordConfig::default(),
        Duration::from_secs(32),
    );
    let first = drain(&mut flow);
    flow.handle(t(0), Input::CallerAcked);
    (flow, first)
}

pub(super) fn drain(flow: &mut CallFlow) -> Vec<Action> {
    std::iter::from_fn(|| flow.poll_action()).collect()
}

/// The actions without record writes and counters, which tests check apart.
pub(super) fn moves(actions: &[Action]) -> Vec<Action> {
    actions
        .iter()
        .filter(|a| !matches!(a, Action::Record(..) | Action::Count(_)))
        .cloned()
        .collect()
}

pub(super) fn counts(actions: &[Action]) -> Vec<Count> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Count(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The records written as complete, in order.
pub(super) fn completed(actions: &[Action]) -> Vec<InteractionRecord> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Record(RecordWrite::Complete, r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

fn offer(flow: &mut CallFlow, at: Millis, agent: AgentId, auto_answer: bool) -> Vec<Action> {
    flow.handle(
        at,
        Input::Offer {
            call: flow.id(),
            agent,
            aor: format!("sip:{}@example.com", 1000 + agent.0),
            auto_answer,
        },
    );
    drain(flow)
}

/// A call connected to `agent` at `t(5)`, with dispatch's record events.
pub(super) fn connected(q: Arc<QueueInfo>, agent: AgentId) -> CallFlow {
    let (mut flow, _) = answered_into(q);
    offer(&mut flow, t(1), agent, false);
    let call = flow.id();
    flow.handle(
        t(1),
        Input::Record {
            call,
            event: CallEvent::Offered { agent },
        },
    );
    flow.handle(
        t(5),
        Input::AgentAnswered {
            agent,
            browser: false,
        },
    );
    flow.handle(
        t(5),
        Input::Record {
            call,
            event: CallEvent::AgentAnswered { agent },
        },
    );
    drain(&mut flow);
    flow
}

#[test]
fn an_answered_call_opens_its_record_plays_music_and_queues() {
    let q = queue(Q1, None, Duration::ZERO);
    let (_, first) = answered_into(q.clone());
    assert!(matches!(first[0], Action::Record(RecordWrite::Open, _)));
    assert_eq!(
        moves(&first),
        vec![
            Action::PlayHoldMusic { queue: q },
            Action::Dispatch(acd::Event::CallArrived {
                call: C1,
                queue: Q1
            }),
        ]
    );
}

#[test]
fn ring_answer_bridge() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
    // (what happens, auto answer, browser, actions after the answer)
    let table: &[(&str, bool, bool, Vec<Action>)] = &[
        (
            "a phone",
            false,
            false,
            vec![
                Action::Bridge { agent: A1 },
                Action::Dispatch(acd::Event::OfferAccepted {
                    call: C1,
                    agent: A1,
                }),
            ],
        ),
        (
            "a phone answering by itself hears the beep first",
            true,
            false,
            vec![
                Action::Beep { agent: A1 },
                Action::Dispatch(acd::Event::OfferAccepted {
                    call: C1,
                    agent: A1,
                }),
            ],
        ),
        (
            "a browser plays the beep itself",
            true,
            true,
            vec![
                Action::Bridge { agent: A1 },
                Action::Dispatch(acd::Event::OfferAccepted {
                    call: C1,
                    agent: A1,
                }),
            ],
        ),
    ];
    for (what, auto_answer, browser, expected) in table {
        let (mut flow2, _) = answered_into(queue(Q1, None, Duration::ZERO));
        let rung = offer(&mut flow2, t(1), A1, *auto_answer);
        assert_eq!(
            rung,
            vec![Action::Ring {
                agent: A1,
                aor: "sip:1001@example.com".into(),
                auto_answer: *auto_answer
            }],
            "{what}"
        );
        flow2.handle(
            t(3),
            Input::AgentAnswered {
                agent: A1,
                browser: *browser,
            },
        );
        let after = drain(&mut flow2);
        assert_eq!(moves(&after), *expected, "{what}");
        assert_eq!(counts(&after), vec![Count::AgentAnswers], "{what}");
        assert_eq!(flow2.connected_agent(), Some(A1), "{what}");
    }
    // The beep's end bridges.
    offer(&mut flow, t(1), A1, true);
    flow.handle(
        t(2),
        Input::AgentAnswered {
            agent: A1,
            browser: false,
        },
    );
    drain(&mut flow);
    flow.handle(t(3), Input::PlaybackDone(Playback::Beep));
    assert_eq!(drain(&mut flow), vec![Action::Bridge { agent: A1 }]);
}

#[test]
fn misses_and_stale_offers() {
    // (what, input after ringing A1, actions)
    let table: Vec<(&str, Input, Vec<Action>)> = vec![
        (
            "a refusal is reported as rejected",
            Input::AgentMissed {
                agent: A1,
                rejected: true,
            },
            vec![
                Action::CloseAgent { agent: A1 },
                Action::Count(Count::AgentMisses),
                Action::Dispatch(acd::Event::OfferRejected {
                    call: C1,
                    agent: A1,
                }),
            ],
        ),
        (
            "an unreachable phone is reported as failed",
            Input::AgentMissed {
                agent: A1,
                rejected: false,
            },
            vec![
                Action::CloseAgent { agent: A1 },
                Action::Count(Count::AgentMisses),
                Action::Dispatch(acd::Event::OfferFailed {
                    call: C1,
                    agent: A1,
                }),
            ],
        ),
        (
            "dispatch's cancel hangs the ringing leg up",
            Input::CancelOffer {
                call: C1,
                agent: A1,
            },
            vec![
                Action::Count(Count::AgentMisses),
                Action::HangUpAgent { agent: A1 },
            ],
        ),
        (
            "an offer of a record the call left is stale",
            Input::Offer {
                call: C2,
                agent: A2,
                aor: "sip:1002@example.com".into(),
                auto_answer: false,
            },
            vec![Action::Dispatch(acd::Event::OfferFailed {
                call: C2,
                agent: A2,
            })],
        ),
        (
            "the same agent offered twice is stale",
            Input::Offer {
                call: C1,
                agent: A1,
                aor: "sip:1001@example.com".into(),
                auto_answer: false,
            },
            vec![Action::Dispatch(acd::Event::OfferFailed {
                call: C1,
                agent: A1,
            })],
        ),
    ];
    for (what, input, expected) in table {
        let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
        offer(&mut flow, t(1), A1, false);
        flow.handle(t(2), input);
        assert_eq!(drain(&mut flow), expected, "{what}");
    }
}

#[test]
fn with_ring_all_the_first_answer_wins_and_the_others_are_hung_up() {
    let (mut flow, _) = answered_into(queue(Q1, None, Duration::ZERO));
    offer(&mut flow, t(1), A1, false);
    offer(&mut flow, t(1), A2, false);
    flow.handle(
        t(2),
        Input::AgentAnswered {
            agent: A2,
            browser: false,
        },
    );
    drain(&mut flow);
    flow.handle(
        t(2),
        Input::AgentAnswered {
            agent: A1,
            browser: false,
        },
    );
    assert_eq!(drain(&mut flow), vec![Action::HangUpAgent { agent: A1 }]);
    assert_eq!(flow.connected_agent(), Some(A2));
}

#[test]
fn a_caller_who_never_acks_fails_at_the_deadline() {
    let mut flow = CallFlow::new(
        t(0),
        queue(Q1, None, Duration::ZERO),
        arrival(),
        cdr::RecordConfig::default(),
        Duration::from_secs(32),
    );
    drain(&mut flow);
    assert_eq!(flow.poll_timeout(), Some(t(32)));
    flow.handle_timeout(t(31));
    assert!(drain(&mut flow).is_empty(), "nothing before the deadline");
    flow.handle_timeout(t(32));
    let ended = drain(&mut flow);
    assert_eq!(counts(&ended), vec![Count::AckTimeouts]);
    assert_eq!(
        moves(&ended),
        vec![
            Action::ByeCaller,
            Action::CloseCaller,
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Finished,
        ]
    );
    let record = &completed(&ended)[0];
    assert_eq!(record.disposition, Some(Disposition::Failed));
}

const CB: CallId = CallId(900);

#[test]
fn a_callback_asked_for_by_dtmf_takes_the_callers_place_then_says_so_and_hangs_up() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(t(10), Input::Digit('1'));
    // Stored first, so the caller is still in the queue meanwhile.
    assert_eq!(
        drain(&mut flow),
        vec![Action::StoreCallback {
            queue: Q1,
            interaction: C1.0,
            at: t(10)
        }]
    );
    // An offer while it is stored rings nobody: the caller is leaving.
    flow.handle(
        t(10),
        Input::Offer {
            call: C1,
            agent: A1,
            aor: "a1".into(),
            auto_answer: false,
        },
    );
    assert_eq!(
        drain(&mut flow),
        vec![Action::Dispatch(acd::Event::OfferFailed {
            call: C1,
            agent: A1
        })]
    );
    flow.handle(t(10), Input::CallbackStored { callback: Some(CB) });
    assert_eq!(
        drain(&mut flow),
        vec![
            Action::Count(Count::CallbackRequests),
            Action::Dispatch(acd::Event::CallbackRequested {
                call: C1,
                callback: CB
            }),
        ]
    );
    flow.handle(
        t(10),
        Input::Record {
            call: C1,
            event: CallEvent::QueueExit {
                target: Some("callback".into()),
            },
        },
    );
    let exit = drain(&mut flow);
    assert_eq!(counts(&exit), vec![Count::QueueExits]);
    assert_eq!(moves(&exit), vec![Action::Goodbye(Prompt::CallbackRegistered)]);
    flow.handle(t(14), Input::PlaybackDone(Playback::Goodbye));
    let ended = drain(&mut flow);
    assert_eq!(
        moves(&ended),
        vec![
            Action::ByeCaller,
            Action::CloseCaller,
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Finished,
        ]
    );
    let record = &completed(&ended)[0];
    assert_eq!(record.disposition, Some(Disposition::AbandonedByQueueExit));
    assert_eq!(record.terminate_side, Some(TerminateSide::System));
}

#[test]
fn a_callback_that_cannot_keep_the_callers_place_joins_at_the_back() {
    // (what, inputs after the digit, the callback's arrival expected)
    let stored = Input::CallbackStored { callback: Some(CB) };
    let redirect = Input::Redirect {
        call: C1,
        target: ExitTarget::Callback,
    };
    let table: Vec<(&str, Vec<Input>, Prompt)> = vec![
        (
            "the queue timeout passed while it was stored",
            vec![redirect.clone(), stored.clone()],
            Prompt::CallbackRegistered,
        ),
        (
            "the queue timeout passed before dispatch took it",
            vec![stored.clone(), redirect.clone()],
            Prompt::CallbackRegistered,
        ),
    ];
    for (what, inputs, prompt) in table {
        let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
        flow.handle(t(10), Input::Digit('1'));
        let mut actions = drain(&mut flow);
        for input in inputs {
            flow.handle(t(11), input);
            actions.extend(drain(&mut flow));
        }
        let arrived = Action::Dispatch(acd::Event::CallbackArrived {
            call: CB,
            queue: Q1,
            requested: t(11),
            attempts: 0,
        });
        assert!(actions.contains(&arrived), "{what}: {actions:?}");
        assert_eq!(moves(&actions).last(), Some(&Action::Goodbye(prompt)), "{what}");
    }
}

#[test]
fn a_callback_that_cannot_be_stored_still_lets_the_caller_leave() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(t(10), Input::Digit('1'));
    drain(&mut flow);
    flow.handle(t(10), Input::CallbackStored { callback: None });
    let actions = drain(&mut flow);
    assert_eq!(counts(&actions), vec![Count::ExitFailures]);
    assert_eq!(
        moves(&actions),
        vec![Action::Dispatch(acd::Event::QueueExit { call: C1 })]
    );
    flow.handle(
        t(10),
        Input::Record {
            call: C1,
            event: CallEvent::QueueExit { target: None },
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Goodbye(Prompt::Goodbye)]
    );
}

#[test]
fn the_queue_timeout_to_a_callback_stores_it_and_puts_it_at_the_back() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Callback,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::StoreCallback {
            queue: Q1,
            interaction: C1.0,
            at: t(60)
        }]
    );
    flow.handle(t(60), Input::CallbackStored { callback: Some(CB) });
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::Dispatch(acd::Event::CallbackArrived {
                call: CB,
                queue: Q1,
                requested: t(60),
                attempts: 0,
            }),
            Action::Goodbye(Prompt::CallbackRegistered),
        ]
    );
}

#[test]
fn exits_that_fail_fall_back_to_the_goodbye_prompt() {
    // (what, exit target, the shell's answer, counted)
    let table: Vec<(&str, ExitTarget, Option<Input>)> = vec![
        (
            "an unknown queue",
            ExitTarget::Queue(Q2),
            Some(Input::QueueFound {
                queue: None,
                next: C2,
            }),
        ),
        (
            "the call's own queue",
            ExitTarget::Queue(Q1),
            Some(Input::QueueFound {
                queue: Some(queue(Q1, None, Duration::ZERO)),
                next: C2,
            }),
        ),
        (
            "a callback that was not stored",
            ExitTarget::Callback,
            Some(Input::CallbackStored { callback: None }),
        ),
        (
            "a number (no dialling out yet)",
            ExitTarget::Number("5550000".into()),
            None,
        ),
    ];
    for (what, target, answer) in table {
        let (mut flow, _) = answered_into(queue(Q1, Some(target.clone()), Duration::ZERO));
        flow.handle(
            t(60),
            Input::Redirect {
                call: C1,
                target: target.clone(),
            },
        );
        if let Some(answer) = answer {
            drain(&mut flow);
            flow.handle(t(60), answer);
        }
        let actions = drain(&mut flow);
        assert!(counts(&actions).contains(&Count::ExitFailures), "{what}");
        assert_eq!(
            moves(&actions).last(),
            Some(&Action::Goodbye(Prompt::Goodbye)),
            "{what}"
        );
        // The goodbye prompt has a limit: the call ends even if it never
        // reports its end.
        flow.handle_timeout(t(60) + PROMPT_LIMIT);
        assert!(
            moves(&drain(&mut flow)).contains(&Action::ByeCaller),
            "{what}"
        );
    }
}

#[test]
fn the_queue_timeout_moves_the_caller_under_a_new_record() {
    let q2 = queue(Q2, None, Duration::ZERO);
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Queue(Q2)), Duration::ZERO));
    offer(&mut flow, t(50), A1, false);
    flow.handle(
        t(60),
        Input::Record {
            call: C1,
            event: CallEvent::QueueTimeout {
                target: "queue-2".into(),
            },
        },
    );
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Queue(Q2),
        },
    );
    let redirect = drain(&mut flow);
    assert_eq!(
        moves(&redirect),
        vec![Action::HangUpAgent { agent: A1 }, Action::LookupQueue(Q2)]
    );
    flow.handle(
        t(60),
        Input::QueueFound {
            queue: Some(q2.clone()),
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    let done = completed(&moved);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].interaction_id.0, C1.0);
    assert_eq!(
        done[0].disposition,
        Some(Disposition::RedirectedByQueueTimeout)
    );
    assert_eq!(
        moves(&moved),
        vec![
            Action::Listen(C2),
            Action::Forget(C1),
            Action::PlayHoldMusic { queue: q2 },
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q2
            }),
        ]
    );
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.record().queue, Some(Q2));
    // Dispatch's inputs for the first record are stale now.
    flow.handle(
        t(61),
        Input::Announce {
            call: C1,
            position: Some(1),
            estimated_wait: None,
            queue_exit: false,
        },
    );
    assert!(drain(&mut flow).is_empty());
}

#[test]
fn a_blind_transfer_to_a_queue_keeps_the_first_record_for_the_agents_after_call_work() {
    let q2 = queue(Q2, None, Duration::ZERO);
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Queue(q2.clone()),
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    assert_eq!(counts(&moved), vec![Count::Transfers]);
    assert_eq!(
        moves(&moved),
        vec![
            Action::TransferVerdict(TransferVerdict::Accepted),
            Action::Unbridge,
            Action::HangUpAgent { agent: A1 },
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Listen(C2),
            Action::PlayHoldMusic { queue: q2 },
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q2
            }),
        ]
    );
    assert!(
        completed(&moved).is_empty(),
        "the first record waits for the after-call work"
    );
    // The agent's result and the end of their after-call work reach the
    // first record, not the caller's new one.
    flow.handle(
        t(35),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let closed = drain(&mut flow);
    let first = &completed(&closed)[0];
    assert_eq!(first.interaction_id.0, C1.0);
    assert_eq!(first.disposition, Some(Disposition::Answered));
    assert_eq!(first.transfer_type, Some(TransferType::Blind));
    assert_eq!(first.transfer_target.as_deref(), Some("queue-2"));
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(first.acw_length, Duration::from_secs(5));
    assert_eq!(moves(&closed), vec![Action::Forget(C1)]);
    // The caller waits in the new queue under the new record.
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.record().queue, Some(Q2));
    assert!(flow.is_live());
}

#[test]
fn transfers_that_are_refused_leave_the_call_as_it_was() {
    // (what, target, verdict, dispatch told)
    let reserved = TransferTo::Agent {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        accepted: true,
    };
    let table: Vec<(&str, AgentId, TransferTo, TransferVerdict, bool)> = vec![
        (
            "an agent who does not take transfers",
            A1,
            TransferTo::Agent {
                agent: A2,
                aor: "sip:1002@example.com".into(),
                accepted: false,
            },
            TransferVerdict::Forbidden,
            false,
        ),
        (
            "an unknown target",
            A1,
            TransferTo::Unknown,
            TransferVerdict::NotFound,
            false,
        ),
        (
            "a request from an agent not on the call frees the reserved target",
            A2,
            reserved,
            TransferVerdict::NotNow,
            true,
        ),
    ];
    for (what, from, to, verdict, freed) in table {
        let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
        flow.handle(
            t(30),
            Input::Transfer {
                agent: from,
                to,
                next: C2,
            },
        );
        let mut expected = Vec::new();
        if freed {
            expected.push(Action::Dispatch(acd::Event::Hangup { call: C2 }));
        }
        expected.push(Action::Count(Count::TransfersRefused));
        expected.push(Action::TransferVerdict(verdict));
        assert_eq!(drain(&mut flow), expected, "{what}");
        assert_eq!(flow.connected_agent(), Some(A1), "{what}");
        assert_eq!(flow.id(), C1, "{what}");
    }
}

#[test]
fn a_transfer_to_an_agent_rings_them_and_falls_back_to_the_queue() {
    let q1 = queue(Q1, None, Duration::ZERO);
    let to = TransferTo::Agent {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        accepted: true,
    };
    // Answered: the two are bridged and the new record is answered by A2.
    let mut flow = connected(q1.clone(), A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: to.clone(),
            next: C2,
        },
    );
    let rung = moves(&drain(&mut flow));
    assert!(rung.contains(&Action::Ring {
        agent: A2,
        aor: "sip:1002@example.com".into(),
        auto_answer: false
    }));
    assert!(
        !rung
            .iter()
            .any(|a| matches!(a, Action::Dispatch(acd::Event::CallArrived { .. }))),
        "the caller is not queued while the agent rings"
    );
    flow.handle(
        t(33),
        Input::AgentAnswered {
            agent: A2,
            browser: false,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Bridge { agent: A2 }],
        "no queue offer to accept"
    );
    assert_eq!(flow.record().agent, Some(A2));
    assert_eq!(flow.record().disposition, Some(Disposition::Answered));
    // The call ends: dispatch gives no after-call work for a transfer, so
    // the task is done once the first record's after-call work is.
    flow.handle(t(90), Input::AgentHungUp { agent: A2 });
    let ended = drain(&mut flow);
    assert!(!ended.contains(&Action::Finished));
    flow.handle(
        t(90),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let done = drain(&mut flow);
    assert_eq!(completed(&done).len(), 2);
    assert_eq!(done.last(), Some(&Action::Finished));

    // Not answered in the agent timeout: the caller waits in the queue.
    let mut flow = connected(q1, A1);
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to,
            next: C2,
        },
    );
    drain(&mut flow);
    assert_eq!(flow.poll_timeout(), Some(t(45)));
    flow.handle_timeout(t(45));
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::HangUpAgent { agent: A2 },
            Action::Dispatch(acd::Event::Hangup { call: C2 }),
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q1
            }),
        ]
    );
    assert_eq!(flow.connected_agent(), None);
    assert!(flow.is_live());
}

#[test]
fn after_call_work_that_is_never_reported_over_is_written_after_its_grace() {
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    flow.handle(t(60), Input::CallerHungUp);
    let ended = drain(&mut flow);
    assert!(
        !moves(&ended).contains(&Action::ByeCaller),
        "the caller left"
    );
    assert!(!ended.contains(&Action::Finished));
    let grace = t(60) + Duration::from_secs(10) + ACW_GRACE;
    assert_eq!(flow.poll_timeout(), Some(grace));
    flow.handle_timeout(grace);
    let written = drain(&mut flow);
    assert_eq!(completed(&written).len(), 1);
    assert_eq!(written.last(), Some(&Action::Finished));
    assert!(flow.is_finished());
}

#[test]
fn the_agents_hold_is_recorded_and_silence_ends_the_call() {
    let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
    flow.handle(t(10), Input::AgentHold { on_hold: true });
    flow.handle(t(25), Input::AgentHold { on_hold: false });
    flow.handle(t(40), Input::MediaSilent);
    let ended = drain(&mut flow);
    assert_eq!(counts(&ended), vec![Count::MediaTimeouts]);
    assert_eq!(flow.record().hold_length, Duration::from_secs(15));
    assert_eq!(flow.record().terminate_side, Some(TerminateSide::System));
    assert!(moves(&ended).contains(&Action::ByeCaller));
    assert!(moves(&ended).contains(&Action::HangUpAgent { agent: A1 }));
}

#[test]
fn a_queue_that_records_always_records_each_bridge_once_per_record() {
    let (mut flow, _) = answered_into(recorded_queue(Q1));
    offer(&mut flow, t(1), A1, true);
    flow.handle(
        t(2),
        Input::AgentAnswered {
            agent: A1,
            browser: false,
        },
    );
    let answered = moves(&drain(&mut flow));
    assert!(
        !answered
            .iter()
            .any(|a| matches!(a, Action::StartRecording { .. })),
        "not while the beep plays"
    );
    flow.handle(t(3), Input::PlaybackDone(Playback::Beep));
    assert_eq!(
        drain(&mut flow),
        vec![
            Action::Bridge { agent: A1 },
            Action::StartRecording {
                agent: A1,
                interaction: C1.0
            }
        ]
    );
    flow.handle(
        t(3),
        Input::Recording {
            file: "/rec/interaction-100.wav".into(),
        },
    );
    assert_eq!(
        flow.record().recording_file.as_deref(),
        Some("/rec/interaction-100.wav")
    );
    // A queue that never records only bridges.
    let (mut plain, _) = answered_into(queue(Q1, None, Duration::ZERO));
    offer(&mut plain, t(1), A1, false);
    plain.handle(
        t(2),
        Input::AgentAnswered {
            agent: A1,
            browser: true,
        },
    );
    assert!(!drain(&mut plain)
        .iter()
        .any(|a| matches!(a, Action::StartRecording { .. })));
}

/// The actions that answer a request to record, and the recording started.
fn ask_to_record(flow: &mut CallFlow, agent: AgentId) -> Vec<Action> {
    flow.handle(t(10), Input::RecordNow { agent });
    moves(&drain(flow))
}

#[test]
fn recording_on_demand_starts_when_the_connected_agent_asks_once() {
    use RecordVerdict::*;
    let start = Action::StartRecording {
        agent: A1,
        interaction: C1.0,
    };
    // (queue's mode, who asks, what the core does)
    let table = [
        (
            RecordingMode::OnDemand,
            A1,
            vec![start.clone(), Action::RecordVerdict(Started)],
        ),
        (
            RecordingMode::OnDemand,
            A2,
            vec![Action::RecordVerdict(NotConnected)],
        ),
        (
            RecordingMode::Never,
            A1,
            vec![Action::RecordVerdict(NotAllowed)],
        ),
        (
            RecordingMode::Never,
            A2,
            vec![Action::RecordVerdict(NotConnected)],
        ),
        (
            RecordingMode::Always,
            A1,
            vec![Action::RecordVerdict(AlreadyRecording)],
        ),
    ];
    for (mode, asking, expected) in table {
        let mut flow = connected(queue_recording(Q1, mode), A1);
        assert_eq!(
            ask_to_record(&mut flow, asking),
            expected,
            "{mode:?} {asking}"
        );
    }
    // Nothing is recorded until asked; asking twice is refused.
    let mut flow = connected(queue_recording(Q1, RecordingMode::OnDemand), A1);
    assert_eq!(flow.record().recording_file, None);
    ask_to_record(&mut flow, A1);
    assert_eq!(
        ask_to_record(&mut flow, A1),
        vec![Action::RecordVerdict(AlreadyRecording)],
        "asked already, file not known yet"
    );
    flow.handle(
        t(10),
        Input::Recording {
            file: "/rec/interaction-100.wav".into(),
        },
    );
    assert_eq!(
        flow.record().recording_file.as_deref(),
        Some("/rec/interaction-100.wav")
    );
    assert_eq!(
        ask_to_record(&mut flow, A1),
        vec![Action::RecordVerdict(AlreadyRecording)]
    );
}

#[test]
fn recording_asked_during_the_beep_starts_with_the_bridge() {
    let (mut flow, _) = answered_into(queue_recording(Q1, RecordingMode::OnDemand));
    // Before anyone answers nobody is connected.
    assert_eq!(
        ask_to_record(&mut flow, A1),
        vec![Action::RecordVerdict(RecordVerdict::NotConnected)]
    );
    offer(&mut flow, t(1), A1, true);
    flow.handle(
        t(2),
        Input::AgentAnswered {
            agent: A1,
            browser: false,
        },
    );
    let answered = moves(&drain(&mut flow));
    assert!(!answered
        .iter()
        .any(|a| matches!(a, Action::StartRecording { .. })));
    assert_eq!(
        ask_to_record(&mut flow, A1),
        vec![Action::RecordVerdict(RecordVerdict::Started)],
        "not before the bridge"
    );
    flow.handle(t(3), Input::PlaybackDone(Playback::Beep));
    assert_eq!(
        drain(&mut flow),
        vec![
            Action::Bridge { agent: A1 },
            Action::StartRecording {
                agent: A1,
                interaction: C1.0
            }
        ]
    );
}

#[test]
fn an_on_demand_recording_does_not_follow_the_caller_to_the_next_agent() {
    let mut flow = connected(queue_recording(Q1, RecordingMode::OnDemand), A1);
    ask_to_record(&mut flow, A1);
    flow.handle(
        t(11),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Consulted { agent: A2 },
            next: C2,
        },
    );
    let moved = moves(&drain(&mut flow));
    assert!(moved.contains(&Action::Bridge { agent: A2 }));
    assert!(
        !moved
            .iter()
            .any(|a| matches!(a, Action::StartRecording { .. })),
        "{moved:?}"
    );
    assert_eq!(flow.connected_agent(), Some(A2));
    assert_eq!(
        ask_to_record(&mut flow, A2),
        vec![
            Action::StartRecording {
                agent: A2,
                interaction: C2.0
            },
            Action::RecordVerdict(RecordVerdict::Started)
        ]
    );
}

#[test]
fn an_attended_transfer_bridges_the_consulted_agent_under_a_new_record() {
    let mut flow = connected(queue(Q1, None, Duration::from_secs(10)), A1);
    // The agent puts the caller on hold while they consult A2.
    flow.handle(t(20), Input::AgentHold { on_hold: true });
    flow.handle(
        t(30),
        Input::Transfer {
            agent: A1,
            to: TransferTo::Consulted { agent: A2 },
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    assert_eq!(counts(&moved), vec![Count::Transfers]);
    assert_eq!(
        moves(&moved),
        vec![
            Action::TransferVerdict(TransferVerdict::Accepted),
            Action::Unbridge,
            Action::HangUpAgent { agent: A1 },
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Listen(C2),
            Action::Bridge { agent: A2 },
        ],
        "no ringing, no queueing: A2 is on the line already"
    );
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.connected_agent(), Some(A2));
    let second = flow.record().clone();
    assert_eq!(second.agent, Some(A2));
    assert_eq!(second.queue, Some(Q1));
    assert_eq!(second.disposition, Some(Disposition::Answered));
    assert_eq!(second.transfer_type, None);
    // A1's result and after-call work still reach the first record.
    flow.handle(
        t(36),
        Input::Record {
            call: C1,
            event: CallEvent::AcwEnded,
        },
    );
    let closed = drain(&mut flow);
    let first = &completed(&closed)[0];
    assert_eq!(first.interaction_id.0, C1.0);
    assert_eq!(first.agent, Some(A1));
    assert_eq!(first.transfer_type, Some(TransferType::Attended));
    assert_eq!(first.transfer_target.as_deref(), Some("agent-2"));
    assert_eq!(first.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(first.acw_length, Duration::from_secs(6));
    // The caller and A2 talk on; A2 may hold and transfer in turn.
    flow.handle(t(40), Input::AgentHold { on_hold: true });
    flow.handle(t(45), Input::AgentHold { on_hold: false });
    flow.handle(t(90), Input::CallerHungUp);
    let ended = drain(&mut flow);
    assert!(moves(&ended).contains(&Action::HangUpAgent { agent: A2 }));
    assert!(moves(&ended).contains(&Action::Dispatch(acd::Event::Hangup { call: C2 })));
    let done = completed(&ended);
    assert_eq!(done.len(), 1, "dispatch gives a transfer's agent no ACW");
    assert_eq!(done[0].terminate_side, Some(TerminateSide::Caller));
    assert_eq!(done[0].hold_length, Duration::from_secs(5));
    assert_eq!(ended.last(), Some(&Action::Finished));
}

#[test]
fn attended_transfers_that_cannot_happen_leave_the_caller_with_the_agent() {
    // (what, from, target, verdict, leg hung up, reservation freed)
    let table: Vec<(&str, AgentId, TransferTo, TransferVerdict, bool, bool)> = vec![
        (
            "no consultation by that Replaces (unknown, or either side hung up)",
            A1,
            TransferTo::NoConsultation,
            TransferVerdict::NoDialog,
            false,
            false,
        ),
        (
            "the request does not come from the connected agent",
            A2,
            TransferTo::Consulted { agent: A2 },
            TransferVerdict::NotNow,
            true,
            true,
        ),
        (
            "an agent consulting themselves keeps their own leg",
            A1,
            TransferTo::Consulted { agent: A1 },
            TransferVerdict::Forbidden,
            false,
            true,
        ),
    ];
    for (what, from, to, verdict, hung_up, freed) in table {
        let mut flow = connected(queue(Q1, None, Duration::ZERO), A1);
        let consulted = match &to {
            TransferTo::Consulted { agent } => Some(*agent),
            _ => None,
        };
        flow.handle(
            t(30),
            Input::Transfer {
                agent: from,
                to,
                next: C2,
            },
        );
        let mut expected = Vec::new();
        if hung_up {
            expected.push(Action::HangUpAgent {
                agent: consulted.unwrap(),
            });
        }
        if freed {
            expected.push(Action::Dispatch(acd::Event::Hangup { call: C2 }));
        }
        expected.push(Action::Count(Count::TransfersRefused));
        expected.push(Action::TransferVerdict(verdict));
        assert_eq!(drain(&mut flow), expected, "{what}");
        assert_eq!(flow.connected_agent(), Some(A1), "{what}");
        assert_eq!(flow.id(), C1, "{what}");
        assert_eq!(flow.record().transfer_type, None, "{what}");
    }
}
