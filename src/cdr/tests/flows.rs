//! Call flows, one test per flow: answered, abandoned while waiting or
//! ringing, queue exit, queue timeout, no answer then the next agent, hold,
//! after-call work, transfer, failure, and events that come out of order.

use std::time::Duration;

use super::*;
use crate::acd::AgentId;
use crate::cdr::*;

#[test]
fn arrival_record_is_open_and_names_the_call() {
    let call = RecordBuilder::new(t(5), arrival(), RecordConfig::default());
    let record = call.record();
    assert_eq!(record.interaction_id, InteractionId(42));
    assert_eq!(record.init_moment, t(5));
    assert_eq!(record.disposition, None);
    assert_eq!(record.terminate_moment, None);
    assert!(!call.is_complete());
}

#[test]
fn answered_call_has_every_length() {
    let mut call = queued_call(4);
    call.handle(t(10), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(t(13), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(73), CallEvent::CallerHungUp).unwrap();
    assert!(!call.is_complete(), "after-call work is still running");
    call.handle(t(88), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.agent, Some(ALICE));
    assert_eq!(r.queue, Some(SALES));
    assert_eq!(r.project, Some(PROJECT));
    assert_eq!(r.ivr_wait_length, secs(4));
    assert_eq!(r.queue_wait_start, Some(t(4)));
    assert_eq!(r.queue_wait_end, Some(t(13)));
    assert_eq!(r.queue_wait_length, secs(9));
    assert_eq!(r.alert_length, secs(3));
    assert_eq!(r.connection_moment, Some(t(13)));
    assert_eq!(r.connected_length, secs(60));
    assert_eq!(r.terminate_moment, Some(t(73)));
    assert_eq!(r.call_duration, secs(73));
    assert_eq!(r.acw_length, secs(15));
    assert_eq!(r.hold_length, Duration::ZERO);
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
    assert_eq!(
        r.classification,
        Some(Classification::AnsweredWithinServiceLevel)
    );
    assert!(r.answered_within_service_level());
    assert!(!r.short_abandon());
}

#[test]
fn answered_after_the_service_level() {
    let mut call = queued_call(0);
    call.handle(t(25), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(t(27), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(60), CallEvent::AgentHungUp).unwrap();
    call.handle(t(60), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(
        r.classification,
        Some(Classification::AnsweredOutsideServiceLevel)
    );
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(r.acw_length, Duration::ZERO);
}

#[test]
fn abandoned_while_waiting() {
    let mut call = queued_call(2);
    call.handle(t(32), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.classification, Some(Classification::Abandoned));
    assert_eq!(r.queue_wait_length, secs(30));
    assert_eq!(r.queue_wait_end, Some(t(32)));
    assert_eq!(r.agent, None);
    assert_eq!(r.connection_moment, None);
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
}

#[test]
fn abandoned_while_ringing_counts_the_alert() {
    let mut call = queued_call(0);
    call.handle(t(8), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(t(12), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.alert_length, secs(4));
    assert_eq!(r.queue_wait_length, secs(12));
    assert_eq!(r.agent, None, "the agent never took the call");
}

#[test]
fn short_abandon_by_the_configured_time() {
    let mut call = queued_call(0);
    call.handle(t(3), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.classification, Some(Classification::ShortAbandon));
    assert!(r.short_abandon());

    let config = RecordConfig {
        short_abandon: secs(2),
    };
    let mut call = RecordBuilder::new(t(0), arrival(), config);
    call.handle(t(0), entered_queue()).unwrap();
    call.handle(t(3), CallEvent::CallerHungUp).unwrap();
    assert_eq!(
        finished(call).classification,
        Some(Classification::Abandoned)
    );
}

#[test]
fn hanging_up_in_the_ivr_is_not_counted() {
    let mut call = RecordBuilder::new(t(0), arrival(), RecordConfig::default());
    call.handle(t(0), CallEvent::EnteredIvr).unwrap();
    call.handle(t(7), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.classification, Some(Classification::NotCounted));
    assert_eq!(r.ivr_wait_length, secs(7));
    assert_eq!(r.queue, None);
}

#[test]
fn queue_exit_by_dtmf_is_tagged_and_decided_once() {
    let mut call = queued_call(0);
    call.handle(t(5), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(
        t(40),
        CallEvent::QueueExit {
            target: Some("callback".into()),
        },
    )
    .unwrap();
    // The agent's answer raced with the key press and lost.
    let late = call
        .handle(t(41), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap_err();
    assert_eq!(
        late.reason,
        IgnoreReason::OutcomeApplied(Disposition::AbandonedByQueueExit)
    );
    call.handle(t(55), CallEvent::SystemEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::AbandonedByQueueExit));
    assert_eq!(r.classification, Some(Classification::Abandoned));
    assert!(r.queue_exit());
    assert_eq!(r.tags, vec![Tag::QueueExit]);
    assert_eq!(r.transfer_target.as_deref(), Some("callback"));
    assert_eq!(r.transfer_type, Some(TransferType::QueueExit));
    assert_eq!(r.queue_wait_length, secs(40));
    assert_eq!(r.alert_length, secs(35));
    assert_eq!(r.terminate_moment, Some(t(55)));
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    assert_eq!(r.agent, None);
}

#[test]
fn queue_timeout_redirects() {
    let mut call = queued_call(0);
    call.handle(
        t(120),
        CallEvent::QueueTimeout {
            target: "queue-2".into(),
        },
    )
    .unwrap();
    // The caller hangs up at the exit target: the call ends, the outcome stays.
    call.handle(t(130), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::RedirectedByQueueTimeout));
    assert_eq!(r.classification, Some(Classification::Redirected));
    assert_eq!(r.transfer_type, Some(TransferType::QueueTimeout));
    assert_eq!(r.transfer_target.as_deref(), Some("queue-2"));
    assert_eq!(r.queue_wait_length, secs(120));
    assert_eq!(r.call_duration, secs(130));
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
}

#[test]
fn agent_no_answer_then_the_next_agent() {
    let mut call = queued_call(0);
    call.handle(t(1), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(t(16), CallEvent::OfferMissed { agent: ALICE })
        .unwrap();
    call.handle(t(17), CallEvent::Offered { agent: BOB })
        .unwrap();
    call.handle(t(19), CallEvent::AgentAnswered { agent: BOB })
        .unwrap();
    call.handle(t(50), CallEvent::CallerHungUp).unwrap();
    call.handle(t(55), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.agent, Some(BOB));
    assert_eq!(r.alert_length, secs(17), "both agents' ringing");
    assert_eq!(r.queue_wait_length, secs(19));
    assert_eq!(
        r.classification,
        Some(Classification::AnsweredWithinServiceLevel)
    );
}

#[test]
fn an_answer_from_an_agent_not_ringing_is_ignored() {
    let mut call = queued_call(0);
    call.handle(t(1), CallEvent::Offered { agent: ALICE })
        .unwrap();
    let wrong = call
        .handle(t(2), CallEvent::AgentAnswered { agent: BOB })
        .unwrap_err();
    assert_eq!(wrong.reason, IgnoreReason::NotRinging);
    assert_eq!(wrong.interaction, InteractionId(42));
    assert_eq!(call.record().disposition, None);
}

#[test]
fn hold_is_summed_and_closed_by_the_hang_up() {
    let mut call = queued_call(0);
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(10), CallEvent::HoldStarted).unwrap();
    call.handle(t(20), CallEvent::HoldEnded).unwrap();
    assert_eq!(
        call.handle(t(21), CallEvent::HoldEnded).unwrap_err().reason,
        IgnoreReason::NotOnHold
    );
    call.handle(t(30), CallEvent::HoldStarted).unwrap();
    assert_eq!(
        call.handle(t(31), CallEvent::HoldStarted)
            .unwrap_err()
            .reason,
        IgnoreReason::AlreadyOnHold
    );
    // The caller gives up on hold.
    call.handle(t(35), CallEvent::CallerHungUp).unwrap();
    call.handle(t(40), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.hold_length, secs(15));
    assert_eq!(r.connected_length, secs(33));
    assert_eq!(r.acw_length, secs(5));
}

#[test]
fn after_call_work_is_measured_and_completes_the_record() {
    let mut call = queued_call(0);
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    assert_eq!(
        call.handle(t(3), CallEvent::AcwEnded).unwrap_err().reason,
        IgnoreReason::NoAfterCallWork
    );
    call.handle(t(10), CallEvent::AgentHungUp).unwrap();
    assert_eq!(call.completed(), None, "after-call work is still running");
    call.handle(t(70), CallEvent::AcwEnded).unwrap();
    assert_eq!(
        call.handle(t(71), CallEvent::AcwEnded).unwrap_err().reason,
        IgnoreReason::NoAfterCallWork
    );
    let r = finished(call);
    assert_eq!(r.acw_length, secs(60));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
}

#[test]
fn blind_transfer_ends_the_agent_part() {
    let mut call = queued_call(0);
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(
        t(30),
        CallEvent::Transferred {
            target: "+15550123".into(),
            kind: TransferType::Blind,
        },
    )
    .unwrap();
    call.handle(t(40), CallEvent::AcwEnded).unwrap();
    assert!(!call.is_complete(), "the caller is still talking");
    call.handle(t(90), CallEvent::CallerHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.connected_length, secs(28));
    assert_eq!(r.acw_length, secs(10));
    assert_eq!(r.transfer_target.as_deref(), Some("+15550123"));
    assert_eq!(r.transfer_type, Some(TransferType::Blind));
    assert_eq!(r.call_duration, secs(90));
    assert_eq!(r.disposition, Some(Disposition::Answered));
}

#[test]
fn failure_before_an_outcome_is_the_outcome() {
    let mut call = queued_call(0);
    call.handle(t(4), CallEvent::Failed).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Failed));
    assert_eq!(r.classification, Some(Classification::NotCounted));
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
}

#[test]
fn failure_after_the_answer_only_ends_the_call() {
    let mut call = queued_call(0);
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(20), CallEvent::Failed).unwrap();
    call.handle(t(20), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::System));
    assert_eq!(r.connected_length, secs(18));
}

#[test]
fn events_out_of_order_are_ignored_or_clamped() {
    let mut call = RecordBuilder::new(t(0), arrival(), RecordConfig::default());
    // An offer and an answer before the call reached a queue.
    assert_eq!(
        call.handle(t(1), CallEvent::Offered { agent: ALICE })
            .unwrap_err()
            .reason,
        IgnoreReason::NotInQueue
    );
    assert_eq!(
        call.handle(t(1), CallEvent::HoldStarted)
            .unwrap_err()
            .reason,
        IgnoreReason::NotConnected
    );
    assert_eq!(
        call.handle(t(1), CallEvent::AgentHungUp)
            .unwrap_err()
            .reason,
        IgnoreReason::NotConnected
    );
    call.handle(t(10), entered_queue()).unwrap();
    assert_eq!(
        call.handle(t(11), entered_queue()).unwrap_err().reason,
        IgnoreReason::AlreadyQueued
    );
    call.handle(t(12), CallEvent::Offered { agent: ALICE })
        .unwrap();
    assert_eq!(
        call.handle(t(12), CallEvent::Offered { agent: ALICE })
            .unwrap_err()
            .reason,
        IgnoreReason::AlreadyRinging
    );
    // Stamped before the previous event: taken as happening at t=12.
    call.handle(t(9), CallEvent::CallerHungUp).unwrap();
    // Everything after the end but the after-call work is ignored.
    for late in [
        CallEvent::AgentAnswered { agent: ALICE },
        CallEvent::QueueTimeout {
            target: "queue-2".into(),
        },
        CallEvent::CallerHungUp,
        CallEvent::Failed,
    ] {
        let ignored = call.handle(t(20), late.clone()).unwrap_err();
        assert_eq!(ignored.reason, IgnoreReason::Ended);
        assert_eq!(ignored.event, late);
    }
    let r = finished(call);
    assert_eq!(r.terminate_moment, Some(t(12)));
    assert_eq!(r.queue_wait_length, secs(2));
    assert_eq!(r.alert_length, Duration::ZERO);
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.classification, Some(Classification::ShortAbandon));
}

#[test]
fn a_second_outcome_is_reported_and_changes_nothing() {
    let mut call = queued_call(0);
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    let before = call.record().clone();
    for contradiction in [
        CallEvent::QueueExit { target: None },
        CallEvent::QueueTimeout {
            target: "queue-2".into(),
        },
        CallEvent::EnteredQueue {
            queue: QueueId(2),
            project: PROJECT,
            service_level: secs(20),
        },
        CallEvent::EnteredIvr,
        CallEvent::AgentAnswered { agent: BOB },
    ] {
        let ignored = call.handle(t(5), contradiction).unwrap_err();
        assert_eq!(
            ignored.reason,
            IgnoreReason::OutcomeApplied(Disposition::Answered)
        );
    }
    assert_eq!(call.record(), &before);
}

#[test]
fn ring_all_first_answer_wins_and_the_alert_is_not_counted_twice() {
    let carol = AgentId(13);
    let mut call = queued_call(0);
    call.handle(t(5), CallEvent::Offered { agent: ALICE })
        .unwrap();
    call.handle(t(5), CallEvent::Offered { agent: BOB })
        .unwrap();
    call.handle(t(9), CallEvent::OfferMissed { agent: ALICE })
        .unwrap();
    assert_eq!(
        call.handle(t(10), CallEvent::AgentAnswered { agent: carol })
            .unwrap_err()
            .reason,
        IgnoreReason::NotRinging
    );
    call.handle(t(12), CallEvent::AgentAnswered { agent: BOB })
        .unwrap();
    call.handle(t(40), CallEvent::CallerHungUp).unwrap();
    call.handle(t(40), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.agent, Some(BOB));
    assert_eq!(r.alert_length, secs(7));
    assert_eq!(r.queue_wait_length, secs(12));
}

#[test]
fn thresholds_are_inclusive_for_service_level_and_exclusive_for_short_abandon() {
    // Answered at exactly the 20 s service level: within it.
    let mut call = queued_call(0);
    call.handle(t(20), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(30), CallEvent::CallerHungUp).unwrap();
    call.handle(t(30), CallEvent::AcwEnded).unwrap();
    assert_eq!(
        finished(call).classification,
        Some(Classification::AnsweredWithinServiceLevel)
    );
    // Hung up at exactly the 5 s short-abandon time: a counted abandon.
    let mut call = queued_call(0);
    call.handle(t(5), CallEvent::CallerHungUp).unwrap();
    assert_eq!(
        finished(call).classification,
        Some(Classification::Abandoned)
    );
}

#[test]
fn the_agents_result_closes_the_record_with_its_verdict() {
    let result = |code: u64, tags: Vec<u64>| {
        CallEvent::Result(CallResult {
            code: crate::acd::ResultCodeId(code),
            note: Some("call back on Monday".into()),
            action_date: Some("2026-12-01T10:00".into()),
            tags,
        })
    };
    let mut call = queued_call(0);
    assert_eq!(
        call.handle(t(1), result(7, vec![])).unwrap_err().reason,
        IgnoreReason::NotConnected,
        "no result before an agent answered"
    );
    call.handle(t(2), CallEvent::AgentAnswered { agent: ALICE })
        .unwrap();
    call.handle(t(30), CallEvent::CallerHungUp).unwrap();
    call.handle(t(35), result(7, vec![9, 3, 9])).unwrap();
    call.handle(t(36), result(8, vec![9, 3, 9]))
        .expect("a later submission replaces the first");
    call.handle(t(36), CallEvent::AcwEnded).unwrap();
    assert_eq!(
        call.handle(t(40), result(7, vec![])).unwrap_err().reason,
        IgnoreReason::NoAfterCallWork,
        "nothing is taken once the after-call work is over"
    );
    let r = finished(call);
    assert_eq!(r.verdict, Some(crate::acd::ResultCodeId(8)));
    assert_eq!(r.note.as_deref(), Some("call back on Monday"));
    assert_eq!(r.action_date.as_deref(), Some("2026-12-01T10:00"));
    assert_eq!(r.user_tags, [3, 9], "in id order, once each");
    assert_eq!(r.acw_length, secs(6), "ended at the submission");
}

fn outbound() -> RecordBuilder {
    let mut arrival = arrival();
    arrival.direction = Direction::Outbound;
    RecordBuilder::new(t(0), arrival, RecordConfig::default())
}

#[test]
fn an_answered_outbound_call_has_its_dialling_and_talk() {
    let mut call = outbound();
    call.handle(t(0), CallEvent::Dialling { agent: ALICE })
        .unwrap();
    call.handle(t(7), CallEvent::RemoteAnswered).unwrap();
    call.handle(t(67), CallEvent::CallerHungUp).unwrap();
    call.handle(t(67), CallEvent::AcwEnded).unwrap();
    let r = finished(call);
    assert_eq!(r.direction, Direction::Outbound);
    assert_eq!(r.agent, Some(ALICE));
    assert_eq!(r.queue, None);
    assert_eq!(r.dialing_length, secs(7));
    assert_eq!(r.alert_length, secs(7));
    assert_eq!(r.connection_moment, Some(t(7)));
    assert_eq!(r.connected_length, secs(60));
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
}

#[test]
fn outbound_calls_that_are_not_answered() {
    // The agent gives up: abandoned, not counted in any service level.
    let mut call = outbound();
    call.handle(t(0), CallEvent::Dialling { agent: ALICE })
        .unwrap();
    call.handle(t(12), CallEvent::AgentHungUp).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Abandoned));
    assert_eq!(r.classification, Some(Classification::NotCounted));
    assert_eq!(r.dialing_length, secs(12));
    assert_eq!(r.connection_moment, None);
    // The remote party refuses (busy, unknown number): failed.
    let mut call = outbound();
    call.handle(t(0), CallEvent::Dialling { agent: ALICE })
        .unwrap();
    call.handle(t(3), CallEvent::Failed).unwrap();
    let r = finished(call);
    assert_eq!(r.disposition, Some(Disposition::Failed));
    assert_eq!(r.dialing_length, secs(3));
    // An answer before any dialling is not taken.
    let mut call = outbound();
    assert!(call.handle(t(1), CallEvent::RemoteAnswered).is_err());
}
