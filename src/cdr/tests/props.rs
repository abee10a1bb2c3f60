//! Property tests over random event sequences with random (even backward)
//! stamps: the outcome is applied at most once and never changes, an ignored
//! event leaves the record as it was, lengths fit inside the call, and a call
//! whose agent left after-call work completes.

use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::acd::AgentId;
use crate::cdr::*;

fn event() -> impl Strategy<Value = CallEvent> {
    let agent = prop_oneof![Just(ALICE), Just(BOB), Just(AgentId(13))];
    prop_oneof![
        1 => Just(CallEvent::EnteredIvr),
        2 => Just(entered_queue()),
        3 => agent.clone().prop_map(|agent| CallEvent::Offered { agent }),
        2 => agent.clone().prop_map(|agent| CallEvent::OfferMissed { agent }),
        2 => agent.prop_map(|agent| CallEvent::AgentAnswered { agent }),
        2 => Just(CallEvent::HoldStarted),
        2 => Just(CallEvent::HoldEnded),
        1 => Just(CallEvent::QueueExit { target: None }),
        1 => Just(CallEvent::QueueTimeout { target: "queue-2".into() }),
        1 => Just(CallEvent::Transferred { target: "+15550123".into(), kind: TransferType::Blind }),
        1 => Just(CallEvent::CallerHungUp),
        1 => Just(CallEvent::AgentHungUp),
        1 => Just(CallEvent::SystemEnded),
        1 => Just(CallEvent::Failed),
        2 => Just(CallEvent::AcwEnded),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn outcomes_are_applied_once_and_lengths_add_up(
        steps in proptest::collection::vec((0..30_000u64, event()), 1..40),
    ) {
        let mut call = RecordBuilder::new(t(1), arrival(), RecordConfig::default());
        let mut decided: Option<Disposition> = None;
        for (at, event) in steps {
            let before = call.record().clone();
            match call.handle(Millis(at), event) {
                Ok(()) => {}
                Err(ignored) => prop_assert_eq!(call.record(), &before, "{}", ignored),
            }
            let r = call.record();
            if decided.is_some() {
                prop_assert_eq!(r.disposition, decided, "the outcome changed");
            }
            decided = r.disposition;
            prop_assert_eq!(r.disposition.is_some(), r.classification.is_some());
            prop_assert!(r.hold_length <= r.connected_length || r.terminate_moment.is_none()
                || r.connection_moment.is_none());
            if let Some(end) = r.terminate_moment {
                prop_assert!(r.disposition.is_some());
                prop_assert_eq!(r.call_duration, end - r.init_moment);
                prop_assert!(r.ivr_wait_length + r.queue_wait_length <= r.call_duration);
                prop_assert!(r.alert_length <= r.queue_wait_length);
                prop_assert!(r.connected_length <= r.call_duration);
            }
            if r.disposition == Some(Disposition::Answered) {
                prop_assert!(r.agent.is_some() && r.connection_moment.is_some());
            } else {
                prop_assert_eq!(r.connection_moment, None);
            }
        }
        // Ending the call and the after-call work always completes the record.
        let _ = call.handle(Millis(40_000), CallEvent::SystemEnded);
        let _ = call.handle(Millis(40_000), CallEvent::AcwEnded);
        let r = call.completed().expect("complete after the end and after-call work");
        prop_assert!(r.disposition.is_some());
        prop_assert!(r.acw_length <= Duration::from_secs(40));
    }
}
