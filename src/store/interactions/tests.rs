//! The interaction rows on a real SQLite file: written at arrival, completed
//! once, closed as interrupted after a crash, listed and summed.

use super::*;
use crate::cdr::{Arrival, CallEvent, RecordBuilder, RecordConfig};
use crate::store::test_support::temp_store;

const SALES: QueueId = QueueId(1);

fn t(secs: u64) -> Millis {
    Millis::from_secs(secs)
}

fn arrived(id: u64, at: u64) -> RecordBuilder {
    let arrival = Arrival {
        id: InteractionId(id),
        interaction_type: InteractionType::Call,
        direction: Direction::Inbound,
        domain: "cc.example.com".into(),
        remote_number: "+15550100".into(),
        local_number: "+15550199".into(),
    };
    let mut call = RecordBuilder::new(t(at), arrival, RecordConfig::default());
    call.handle(
        t(at),
        CallEvent::EnteredQueue {
            queue: SALES,
            project: ProjectId(1),
            service_level: Duration::from_secs(20),
        },
    )
    .unwrap();
    call
}

/// A call answered after `wait` seconds that talked a minute.
fn answered(id: u64, at: u64, wait: u64) -> InteractionRecord {
    let mut call = arrived(id, at);
    let agent = AgentId(7);
    call.handle(t(at + wait), CallEvent::Offered { agent })
        .unwrap();
    call.handle(t(at + wait), CallEvent::AgentAnswered { agent })
        .unwrap();
    call.handle(t(at + wait + 30), CallEvent::HoldStarted)
        .unwrap();
    call.handle(t(at + wait + 40), CallEvent::HoldEnded)
        .unwrap();
    call.handle(t(at + wait + 60), CallEvent::AgentHungUp)
        .unwrap();
    call.handle(t(at + wait + 70), CallEvent::AcwEnded).unwrap();
    call.completed().expect("the call has ended").clone()
}

/// A caller who hung up after `wait` seconds in the queue.
fn abandoned(id: u64, at: u64, wait: u64) -> InteractionRecord {
    let mut call = arrived(id, at);
    call.handle(t(at + wait), CallEvent::CallerHungUp).unwrap();
    call.completed().expect("the call has ended").clone()
}

#[tokio::test]
async fn a_record_written_at_arrival_survives_a_restart() {
    let (store, _dir) = temp_store().await;
    let call = arrived(1, 100);
    assert!(store.open_interaction(call.record()).await.unwrap());
    assert!(!store.open_interaction(call.record()).await.unwrap());
    let url = store.url().to_owned();
    store.close().await;
    let store = Store::open(&url).await.unwrap();
    let rows = store.interactions_between(t(0), t(1000)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, RowState::Open);
    assert_eq!(&rows[0].record, call.record());
}

#[tokio::test]
async fn open_rows_are_closed_as_interrupted() {
    let (store, _dir) = temp_store().await;
    let open = arrived(1, 100);
    store.open_interaction(open.record()).await.unwrap();
    let done = answered(2, 100, 5);
    store.open_interaction(&done).await.unwrap();
    store.complete_interaction(&done).await.unwrap();

    assert_eq!(store.close_interrupted(t(500)).await.unwrap(), 1);
    assert_eq!(store.close_interrupted(t(600)).await.unwrap(), 0);

    let closed = store.interaction(InteractionId(1)).await.unwrap().unwrap();
    assert_eq!(closed.state, RowState::Interrupted);
    assert_eq!(closed.closed_at, Some(t(500)));
    assert_eq!(closed.record.disposition, Some(Disposition::Interrupted));
    assert_eq!(
        closed.record.classification,
        Some(Classification::NotCounted)
    );
    assert_eq!(closed.record.terminate_moment, None);
    let kept = store.interaction(InteractionId(2)).await.unwrap().unwrap();
    assert_eq!(kept.state, RowState::Complete);
    assert_eq!(kept.record, done);
}

#[tokio::test]
async fn completing_twice_keeps_one_row() {
    let (store, _dir) = temp_store().await;
    let call = arrived(1, 100);
    store.open_interaction(call.record()).await.unwrap();
    let first = abandoned(1, 100, 30);
    assert_eq!(
        store.complete_interaction(&first).await.unwrap(),
        Completion::Completed
    );
    let mut again = first.clone();
    again.remote_number = "+15550000".into();
    assert_eq!(
        store.complete_interaction(&again).await.unwrap(),
        Completion::AlreadyComplete
    );
    let rows = store.interactions_between(t(0), t(1000)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, RowState::Complete);
    assert_eq!(rows[0].record, first);
    assert!(rows[0].closed_at.is_some());
}

#[tokio::test]
async fn completing_without_the_opening_write_stores_the_record() {
    let (store, _dir) = temp_store().await;
    let record = abandoned(9, 100, 2);
    assert_eq!(
        store.complete_interaction(&record).await.unwrap(),
        Completion::Completed
    );
    let stored = store.interaction(InteractionId(9)).await.unwrap().unwrap();
    assert_eq!(stored.record, record);
    assert!(stored.record.short_abandon());
}

#[tokio::test]
async fn an_open_record_cannot_be_completed() {
    let (store, _dir) = temp_store().await;
    let call = arrived(1, 100);
    assert!(matches!(
        store.complete_interaction(call.record()).await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn queue_exit_and_ids_past_i64_round_trip() {
    let (store, _dir) = temp_store().await;
    let mut call = arrived(u64::MAX - 1, 100);
    call.handle(
        t(140),
        CallEvent::QueueExit {
            target: Some("callback".into()),
        },
    )
    .unwrap();
    call.handle(t(150), CallEvent::SystemEnded).unwrap();
    let record = call.completed().expect("the call has ended").clone();
    store.complete_interaction(&record).await.unwrap();
    let stored = store
        .interaction(InteractionId(u64::MAX - 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.record, record);
    assert!(stored.record.queue_exit());
}

#[tokio::test]
async fn records_between_two_moments_and_their_service_level() {
    let (store, _dir) = temp_store().await;
    let records = vec![
        answered(1, 100, 5),
        answered(2, 200, 15),
        answered(3, 300, 45),
        abandoned(4, 400, 60),
        abandoned(5, 500, 2),
        answered(6, 5000, 5),
    ];
    for record in &records {
        store.open_interaction(record).await.unwrap();
        store.complete_interaction(record).await.unwrap();
    }
    // Still in progress: not counted, but listed.
    store
        .open_interaction(arrived(7, 600).record())
        .await
        .unwrap();
    let rows = store.interactions_between(t(100), t(1000)).await.unwrap();
    let ids: Vec<u64> = rows.iter().map(|r| r.record.interaction_id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 7]);

    for short in [ShortAbandons::Included, ShortAbandons::Excluded] {
        let stored = store
            .service_level(t(0), t(1000), Some(SALES), short)
            .await
            .unwrap();
        assert_eq!(stored, ServiceLevel::of(&records[..5], short));
    }
    let with = store
        .service_level(t(0), t(1000), None, ShortAbandons::Included)
        .await
        .unwrap();
    assert_eq!((with.within, with.counted), (2, 5));
    let without = store
        .service_level(t(0), t(1000), None, ShortAbandons::Excluded)
        .await
        .unwrap();
    assert_eq!((without.within, without.counted), (2, 4));
    let other_queue = store
        .service_level(t(0), t(1000), Some(QueueId(2)), ShortAbandons::Included)
        .await
        .unwrap();
    assert_eq!(other_queue.ratio(), None);
}

#[tokio::test]
async fn a_checkpoint_survives_into_the_interrupted_row() {
    let (store, _dir) = temp_store().await;
    let mut call = arrived(1, 100);
    store.open_interaction(call.record()).await.unwrap();
    let agent = AgentId(7);
    call.handle(t(103), CallEvent::AgentAnswered { agent })
        .unwrap();
    assert!(store.checkpoint_interaction(call.record()).await.unwrap());

    assert_eq!(store.close_interrupted(t(500)).await.unwrap(), 1);
    let closed = store.interaction(InteractionId(1)).await.unwrap().unwrap();
    assert_eq!(closed.state, RowState::Interrupted);
    assert_eq!(closed.record.agent, Some(agent));
    assert_eq!(closed.record.connection_moment, Some(t(103)));
    assert_eq!(closed.record.disposition, Some(Disposition::Interrupted));
    assert!(!closed.record.answered_within_service_level());
    // Too late: the interrupted row stays as it is.
    assert!(!store.checkpoint_interaction(call.record()).await.unwrap());
}

#[tokio::test]
async fn many_writes_commit_together_or_not_at_all() {
    let (store, _dir) = temp_store().await;
    let open = arrived(1, 100).record().clone();
    let done = answered(2, 100, 5);
    store
        .write_interactions(&[
            InteractionWrite::Open(open.clone()),
            InteractionWrite::Open(arrived(2, 100).record().clone()),
            InteractionWrite::Complete(done.clone()),
        ])
        .await
        .unwrap();
    let first = store.interaction(InteractionId(1)).await.unwrap().unwrap();
    assert_eq!(first.state, RowState::Open);
    let second = store.interaction(InteractionId(2)).await.unwrap().unwrap();
    assert_eq!(second.state, RowState::Complete);
    assert_eq!(second.record, done);

    // A batch holding a record that has not ended is refused whole.
    let refused = store
        .write_interactions(&[
            InteractionWrite::Open(arrived(3, 100).record().clone()),
            InteractionWrite::Complete(open),
        ])
        .await;
    assert!(refused.is_err());
    assert!(store.interaction(InteractionId(3)).await.unwrap().is_none());
}

#[tokio::test]
async fn the_agents_result_and_tags_are_stored_with_the_record() {
    let (store, _dir) = temp_store().await;
    let mut call = arrived(5, 100);
    let agent = AgentId(7);
    call.handle(t(101), CallEvent::AgentAnswered { agent })
        .unwrap();
    call.handle(t(150), CallEvent::CallerHungUp).unwrap();
    call.handle(
        t(160),
        CallEvent::Result(crate::cdr::CallResult {
            code: ResultCodeId(77),
            note: Some("wants a callback".into()),
            action_date: Some("2026-12-01T10:00".into()),
            tags: vec![12, 4],
        }),
    )
    .unwrap();
    call.handle(t(160), CallEvent::AcwEnded).unwrap();
    let record = call.completed().unwrap().clone();
    store.open_interaction(call.record()).await.unwrap();
    store
        .write_interactions(&[InteractionWrite::Complete(record.clone())])
        .await
        .unwrap();
    let rows = store.interactions_between(t(0), t(1000)).await.unwrap();
    assert_eq!(rows[0].record, record);
    assert_eq!(rows[0].record.user_tags, [4, 12]);
    let one = store.interaction(InteractionId(5)).await.unwrap().unwrap();
    assert_eq!(one.record, record);
    // Completing again (a duplicate write) leaves the tags as they were.
    let mut again = record.clone();
    again.user_tags = vec![99];
    assert_eq!(
        store.complete_interaction(&again).await.unwrap(),
        Completion::AlreadyComplete
    );
    let one = store.interaction(InteractionId(5)).await.unwrap().unwrap();
    assert_eq!(one.record.user_tags, [4, 12]);
}
