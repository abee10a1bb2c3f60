//! The queue rules that need no database: defaults, the queue timeout
//! minimum, channel weight, video and the announcement warning.

use super::*;

fn input(json: serde_json::Value) -> QueueInput {
    serde_json::from_value(json).unwrap()
}

#[test]
fn a_short_queue_timeout_is_raised_with_a_warning() {
    let (q, warnings) = settle(
        7,
        input(
            serde_json::json!({"project_id": 1, "name": "Sales", "number": "100",
                                 "queue_timeout_secs": 5}),
        ),
        &QueueRules::default(),
    )
    .unwrap();
    assert_eq!(q.queue_timeout_secs, MIN_QUEUE_TIMEOUT_SECS);
    assert_eq!(warnings.len(), 1);
}

#[test]
fn voice_weight_is_fixed_and_video_needs_enabling() {
    let bad = settle(
        7,
        input(
            serde_json::json!({"project_id": 1, "name": "V", "number": "1",
                                 "type": "video", "channel_weight": 50}),
        ),
        &QueueRules::default(),
    );
    let Err(AdminError::Invalid(errors)) = bad else {
        panic!("expected field errors")
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["type", "channel_weight"]);
    let rules = QueueRules {
        video_enabled: true,
        ..QueueRules::default()
    };
    let video = input(
        serde_json::json!({"project_id": 1, "name": "V", "number": "1",
                                         "type": "video"}),
    );
    assert!(settle(7, video, &rules).is_ok());
}

#[test]
fn a_frequent_announcement_is_warned_about() {
    let (_, warnings) = settle(
        7,
        input(
            serde_json::json!({"project_id": 1, "name": "S", "number": "1",
                                 "position_announcement": "both",
                                 "announcement_frequency_secs": 7}),
        ),
        &QueueRules::default(),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1);
}

#[test]
fn announcement_lengths_follow_the_mode() {
    let rules = QueueRules {
        video_enabled: false,
        announcements: Some(AnnouncementLengths {
            position_ms: 5_200,
            queue_exit_ms: 3_000,
        }),
    };
    assert_eq!(rules.announcement_secs(PositionAnnouncement::None), None);
    assert_eq!(
        rules.announcement_secs(PositionAnnouncement::Position),
        Some(6)
    );
    assert_eq!(
        rules.announcement_secs(PositionAnnouncement::QueueExit),
        Some(3)
    );
    assert_eq!(rules.announcement_secs(PositionAnnouncement::Both), Some(9));
    let unknown = QueueRules::default();
    assert_eq!(
        unknown.announcement_secs(PositionAnnouncement::Both),
        Some(DEFAULT_ANNOUNCEMENT_SECS)
    );
    let (_, warnings) = settle(
        7,
        input(
            serde_json::json!({"project_id": 1, "name": "S", "number": "1",
                                 "position_announcement": "both",
                                 "announcement_frequency_secs": 10}),
        ),
        &rules,
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "9 s + 2 s does not fit in 10 s");
}

#[test]
fn the_exit_kind_follows_the_exit_queue_when_left_out() {
    let rules = QueueRules::default();
    let settled = |v: serde_json::Value| settle(7, input(v), &rules);
    let (q, _) = settled(
        serde_json::json!({"project_id": 1, "name": "S", "number": "1",
                                            "exit_queue_id": 9}),
    )
    .unwrap();
    assert_eq!((q.exit_kind, q.exit_queue_id), (ExitKind::Queue, Some(9)));
    let (q, _) = settled(serde_json::json!({"project_id": 1, "name": "S", "number": "1"})).unwrap();
    assert_eq!(q.exit_kind, ExitKind::None);
    let (q, _) = settled(
        serde_json::json!({"project_id": 1, "name": "S", "number": "1",
                                            "exit_kind": "callback"}),
    )
    .unwrap();
    assert_eq!((q.exit_kind, q.exit_queue_id), (ExitKind::Callback, None));
    for bad in [
        serde_json::json!({"project_id": 1, "name": "S", "number": "1", "exit_kind": "queue"}),
        serde_json::json!({"project_id": 1, "name": "S", "number": "1", "exit_kind": "prompt",
                           "exit_queue_id": 9}),
        serde_json::json!({"project_id": 1, "name": "S", "number": "1", "exit_queue_id": 7}),
    ] {
        let Err(AdminError::Invalid(errors)) = settled(bad.clone()) else {
            panic!("{bad} accepted")
        };
        assert_eq!(errors[0].field, "exit_queue_id", "{bad}");
    }
}
