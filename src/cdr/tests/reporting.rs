//! What records report: the finish_interaction payload and the service level.

use super::*;
use crate::cdr::*;

#[test]
fn payload_uses_the_finish_interaction_names() {
    let mut call = queued_call(0);
    call.handle(t(40), CallEvent::QueueExit { target: None })
        .unwrap();
    call.handle(t(41), CallEvent::SystemEnded).unwrap();
    let r = finished(call);
    let json = serde_json::to_value(&r).unwrap();
    let object = json.as_object().unwrap();
    for name in [
        "Agent",
        "InteractionID",
        "InteractionType",
        "Domain",
        "Queue",
        "Project",
        "Direction",
        "InitMoment",
        "ConnectionMoment",
        "TerminateMoment",
        "CallDuration",
        "RemoteNumber",
        "LocalNumber",
        "AlertLength",
        "IvrWaitLength",
        "IvrEvent",
        "QueueWaitLength",
        "QueueWaitStart",
        "QueueWaitEnd",
        "ConnectedLength",
        "HoldLength",
        "ACWLength",
        "TransferTarget",
        "TransferType",
        "Disposition",
        "TerminateSide",
        "Classification",
        "Tags",
        "Verdict",
        "Note",
        "ActionDate",
        "UserTags",
        "RecordingFile",
        "DialingLength",
    ] {
        assert!(object.contains_key(name), "{name} missing from {json}");
    }
    assert_eq!(object.len(), 34);
    assert_eq!(json["RecordingFile"], serde_json::Value::Null);
    assert_eq!(json["Verdict"], serde_json::Value::Null);
    assert_eq!(json["UserTags"], serde_json::json!([]));
    assert_eq!(json["InteractionID"], 42);
    assert_eq!(json["Queue"], 1);
    assert_eq!(json["Agent"], serde_json::Value::Null);
    assert_eq!(json["QueueWaitLength"], 40.0);
    assert_eq!(json["TerminateMoment"], 41_000);
    assert_eq!(json["Disposition"], "abandoned by queue exit");
    assert_eq!(json["TerminateSide"], "system");
    assert_eq!(json["Tags"], serde_json::json!(["queue-exit"]));
    let back: InteractionRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn names_parse_back() {
    for d in [
        Disposition::Answered,
        Disposition::Abandoned,
        Disposition::AbandonedByQueueExit,
        Disposition::RedirectedByQueueTimeout,
        Disposition::Failed,
        Disposition::Interrupted,
    ] {
        assert_eq!(Disposition::parse(d.as_str()), Some(d));
    }
    assert_eq!(Classification::parse("nonsense"), None);
}

fn classified(classification: Classification) -> InteractionRecord {
    let mut r = InteractionRecord::new(arrival(), t(0));
    r.classification = Some(classification);
    r
}

#[test]
fn service_level_with_and_without_short_abandons() {
    use Classification::*;
    let records: Vec<_> = [
        AnsweredWithinServiceLevel,
        AnsweredWithinServiceLevel,
        AnsweredWithinServiceLevel,
        AnsweredOutsideServiceLevel,
        Abandoned,
        ShortAbandon,
        ShortAbandon,
        Redirected,
        NotCounted,
    ]
    .into_iter()
    .map(classified)
    .chain([InteractionRecord::new(arrival(), t(0))]) // still open
    .collect();
    let with = ServiceLevel::of(&records, ShortAbandons::Included);
    assert_eq!(
        with,
        ServiceLevel {
            within: 3,
            counted: 8
        }
    );
    assert_eq!(with.ratio(), Some(3.0 / 8.0));
    let without = ServiceLevel::of(&records, ShortAbandons::Excluded);
    assert_eq!(
        without,
        ServiceLevel {
            within: 3,
            counted: 6
        }
    );
    assert_eq!(without.ratio(), Some(0.5));
    assert_eq!(ServiceLevel::of(&[], ShortAbandons::Included).ratio(), None);
}
