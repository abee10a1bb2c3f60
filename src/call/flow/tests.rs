//! Call flows as tables: inputs in, the call core's actions out, on a
//! virtual clock.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::acd::{AnnouncementMode, ProjectId, QueueConfig, QueueId};
use crate::cdr::{Disposition, TerminateSide};
use crate::store::admin::queues::RecordingMode;

pub(super) const A1: AgentId = AgentId(1);
pub(super) const A2: AgentId = AgentId(2);
pub(super) const C1: CallId = CallId(100);
pub(super) const C2: CallId = CallId(200);
pub(super) const Q1: QueueId = QueueId(1);
pub(super) const Q2: QueueId = QueueId(2);

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

pub(super) fn recorded_queue(id: QueueId) -> Arc<QueueInfo> {
    let mut q = (*queue(id, None, Duration::ZERO)).clone();
    q.recording = RecordingMode::Always;
    Arc::new(q)
}

pub(super) fn queue_recording(id: QueueId, mode: RecordingMode) -> Arc<QueueInfo> {
    let mut q = (*queue(id, None, Duration::ZERO)).clone();
    q.recording = mode;
    Arc::new(q)
}

pub(super) fn arrival() -> cdr::Arrival {
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
pub(super) fn answered_into(q: Arc<QueueInfo>) -> (CallFlow, Vec<Action>) {
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

pub(super) fn offer(
    flow: &mut CallFlow,
    at: Millis,
    agent: AgentId,
    auto_answer: bool,
) -> Vec<Action> {
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
fn a_caller_from_the_ivr_carries_the_walk_into_the_queue_record() {
    let visit = crate::call::ivr::Visit {
        entered: t(0),
        path: "Main:1".into(),
        acked: true,
    };
    let mut flow = CallFlow::after_ivr(
        t(4),
        queue(Q1, None, Duration::ZERO),
        arrival(),
        cdr::RecordConfig::default(),
        Duration::from_secs(32),
        &visit,
    );
    drain(&mut flow);
    // Acknowledged in the IVR already: no ACK timeout ends it.
    flow.handle_timeout(t(60));
    assert!(completed(&drain(&mut flow)).is_empty());
    flow.handle(t(70), Input::CallerHungUp);
    let records = completed(&drain(&mut flow));
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.ivr_wait_length, Duration::from_secs(4));
    assert_eq!(r.ivr_event.as_deref(), Some("Main:1"));
    assert_eq!(r.init_moment, t(0));
    assert_eq!(r.queue_wait_start, Some(t(4)));
}
