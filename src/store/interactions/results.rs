//! An agent's result given after the record was completed: the result code
//! (Verdict), note, action date and tags of a row are replaced in place,
//! and nothing else of the row is written (the record's moments, lengths
//! and outcome stay as the call left them). Only a row that is no longer
//! open takes it: while the call's record is open, its result travels with
//! the call's own events, and the completing write carries it.
//!
//! The agent's recent interactions are listed here too, newest first, for
//! the panel's list of results still to give or change.

use crate::store::Db;

use super::{moment, stored_interaction, StoredInteraction, COLUMNS};
use crate::acd::{AgentId, Millis};
use crate::cdr::{CallResult, InteractionId};
use crate::store::{Store, StoreError};

/// What [`Store::replace_result`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replaced {
    Done,
    /// The row is still open: its call's record will be completed soon.
    StillOpen,
    /// The row's verdict is no longer the one the caller checked.
    Changed,
    NoSuchRow,
}

impl Store {
    /// Replaces the result fields of the completed (or interrupted) row of
    /// `id`, provided its verdict is still `expected` (the caller checked it).
    pub async fn replace_result(
        &self,
        id: InteractionId,
        expected: Option<u64>,
        result: &CallResult,
    ) -> Result<Replaced, StoreError> {
        let key = id.0 as i64;
        let _turn = self.write_turn().await;
        // Immediate: the check and the write see the same row.
        let mut tx = self.begin_checked().await?;
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT state, verdict FROM interactions WHERE interaction_id = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((state, verdict)) = row else {
            return Ok(Replaced::NoSuchRow);
        };
        if state == "open" {
            return Ok(Replaced::StillOpen);
        }
        if verdict.map(|v| v as u64) != expected {
            return Ok(Replaced::Changed);
        }
        sqlx::query(
            "UPDATE interactions SET verdict = $1, note = $2, action_date = $3 \
             WHERE interaction_id = $4",
        )
        .bind(result.code.0 as i64)
        .bind(result.note.as_deref())
        .bind(result.action_date.as_deref())
        .bind(key)
        .execute(&mut *tx)
        .await?;
        replace_tags(&mut tx, key, &result.tags).await?;
        // A result given late sends its code's integrations as one given in
        // time does (store::outbox::integrations), in the same transaction.
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM interactions WHERE interaction_id = $1"
        ))
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        let mut record = stored_interaction(&row)?.record;
        record.user_tags = result.tags.clone();
        record.user_tags.sort_unstable();
        record.user_tags.dedup();
        let now = crate::store::unix_ms(std::time::SystemTime::now());
        let deliveries =
            crate::store::outbox::integrations::enqueue_finished(&mut tx, &record, now).await?;
        tx.commit().await?;
        if deliveries > 0 {
            self.outbox_wake().notify_one();
        }
        Ok(Replaced::Done)
    }

    /// The interactions `agent` handled that arrived at or after `since`,
    /// newest first, at most `limit`, with their tags.
    pub async fn agent_interactions(
        &self,
        agent: AgentId,
        since: Millis,
        limit: u32,
    ) -> Result<Vec<StoredInteraction>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM interactions WHERE agent_id = $1 AND init_moment >= $2 \
             ORDER BY init_moment DESC, interaction_id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(agent.0 as i64)
            .bind(moment(since))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        let mut stored = rows
            .iter()
            .map(stored_interaction)
            .collect::<Result<Vec<_>, _>>()?;
        for s in &mut stored {
            let tags: Vec<i64> = sqlx::query_scalar(
                "SELECT tag_id FROM interaction_tags WHERE interaction_id = $1 ORDER BY tag_id",
            )
            .bind(s.record.interaction_id.0 as i64)
            .fetch_all(self.pool())
            .await?;
            s.record.user_tags = tags.into_iter().map(|t| t as u64).collect();
        }
        Ok(stored)
    }
}

async fn replace_tags(
    tx: &mut sqlx::Transaction<'_, Db>,
    key: i64,
    tags: &[u64],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM interaction_tags WHERE interaction_id = $1")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    let mut tags = tags.to_vec();
    tags.sort_unstable();
    tags.dedup();
    for tag in tags {
        sqlx::query("INSERT INTO interaction_tags (interaction_id, tag_id) VALUES ($1, $2)")
            .bind(key)
            .bind(tag as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::acd::{ProjectId, QueueId, ResultCodeId};
    use crate::cdr::{
        Arrival, CallEvent, Direction, InteractionRecord, InteractionType, RecordBuilder,
        RecordConfig,
    };
    use crate::store::test_support::temp_store;

    const AGENT: AgentId = AgentId(7);

    fn t(secs: u64) -> Millis {
        Millis::from_secs(secs)
    }

    /// A call answered by [`AGENT`] at `at`, talked a minute, with or
    /// without its after-call work over.
    fn answered(id: u64, at: u64, acw_over: bool) -> RecordBuilder {
        let arrival = Arrival {
            id: InteractionId(id),
            interaction_type: InteractionType::Call,
            direction: Direction::Inbound,
            domain: "cc.example.com".into(),
            remote_number: "+15550100".into(),
            local_number: "600".into(),
        };
        let mut call = RecordBuilder::new(t(at), arrival, RecordConfig::default());
        let steps = [
            CallEvent::EnteredQueue {
                queue: QueueId(1),
                project: ProjectId(1),
                service_level: Duration::from_secs(20),
            },
            CallEvent::Offered { agent: AGENT },
            CallEvent::AgentAnswered { agent: AGENT },
        ];
        for step in steps {
            call.handle(t(at), step).unwrap();
        }
        if acw_over {
            call.handle(t(at + 60), CallEvent::CallerHungUp).unwrap();
            call.handle(t(at + 60), CallEvent::AcwEnded).unwrap();
        }
        call
    }

    fn result(code: u64, note: &str, tags: &[u64]) -> CallResult {
        CallResult {
            code: ResultCodeId(code),
            note: Some(note.to_owned()),
            action_date: None,
            tags: tags.to_vec(),
        }
    }

    #[tokio::test]
    async fn a_late_result_replaces_only_the_result_fields_of_a_closed_row() {
        let (store, _dir) = temp_store().await;
        let open = answered(1, 100, false);
        assert!(store.open_interaction(open.record()).await.unwrap());
        let done = answered(2, 200, true);
        let record: InteractionRecord = done.completed().unwrap().clone();
        store.complete_interaction(&record).await.unwrap();

        let first = result(4, "asked for a quote", &[9, 3, 9]);
        assert_eq!(
            store
                .replace_result(InteractionId(1), None, &first)
                .await
                .unwrap(),
            Replaced::StillOpen
        );
        assert_eq!(
            store
                .replace_result(InteractionId(3), None, &first)
                .await
                .unwrap(),
            Replaced::NoSuchRow
        );
        assert_eq!(
            store
                .replace_result(InteractionId(2), None, &first)
                .await
                .unwrap(),
            Replaced::Done
        );
        // Someone else's change since the check is not overwritten.
        assert_eq!(
            store
                .replace_result(InteractionId(2), None, &first)
                .await
                .unwrap(),
            Replaced::Changed
        );
        let second = result(5, "sent the quote", &[3]);
        assert_eq!(
            store
                .replace_result(InteractionId(2), Some(4), &second)
                .await
                .unwrap(),
            Replaced::Done
        );
        let stored = store.interaction(InteractionId(2)).await.unwrap().unwrap();
        let mut expected = record.clone();
        expected.verdict = Some(ResultCodeId(5));
        expected.note = Some("sent the quote".into());
        expected.user_tags = vec![3];
        assert_eq!(
            stored.record, expected,
            "the rest of the row is as completed"
        );

        let mine = store.agent_interactions(AGENT, t(0), 10).await.unwrap();
        let ids: Vec<u64> = mine.iter().map(|s| s.record.interaction_id.0).collect();
        assert_eq!(ids, [2, 1], "newest first");
        assert_eq!(mine[0].record.user_tags, [3]);
        assert!(
            store
                .agent_interactions(AGENT, t(150), 10)
                .await
                .unwrap()
                .len()
                == 1
        );
        assert!(store
            .agent_interactions(AgentId(8), t(0), 10)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_late_result_sends_its_codes_webhook() {
        use crate::store::admin::result_codes::{
            self, ResultCategory, ResultCodeFlags, ResultCodeInput, ResultCodeType,
        };
        use crate::store::outbox::integrations::{self, HttpInput, IntegrationInput};
        use crate::store::outbox::{DeliveryFilter, DeliveryKind};

        let (store, _dir) = temp_store().await;
        let code = result_codes::create(
            &store,
            ResultCodeInput {
                category: ResultCategory::Success,
                kind: ResultCodeType::Call,
                display_name: "Sale".into(),
                flags: ResultCodeFlags {
                    http: true,
                    ..ResultCodeFlags::default()
                },
                extra_time_secs: 0,
                follow_up_secs: 0,
            },
        )
        .await
        .unwrap()
        .item
        .id;
        let hook = HttpInput {
            url: "http://127.0.0.1:9/{InteractionID}".into(),
            method: Default::default(),
            headers: Default::default(),
            secret: None,
        };
        let input = IntegrationInput {
            http: Some(hook),
            email: None,
            sms: None,
        };
        integrations::set(&store, code, input).await.unwrap();
        let done = answered(2, 200, true);
        store
            .complete_interaction(done.completed().unwrap())
            .await
            .unwrap();
        let all = DeliveryFilter {
            limit: 10,
            ..DeliveryFilter::default()
        };
        assert!(store.deliveries(&all).await.unwrap().is_empty());
        let late = result(code as u64, "late", &[]);
        let replaced = store.replace_result(InteractionId(2), None, &late).await;
        assert_eq!(replaced.unwrap(), Replaced::Done);
        let sent = store.deliveries(&all).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].kind, DeliveryKind::Webhook);
        assert_eq!(sent[0].target["url"], "http://127.0.0.1:9/2");
        assert_eq!(sent[0].payload["Note"], "late");
        assert_eq!(sent[0].payload["ResultCode"], "Sale");
    }
}
