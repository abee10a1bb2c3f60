//! Follow-ups that result codes schedule (migration 0025): Ask Date at the
//! date the agent picked, Call Again after the code's delay, Remind at the
//! agent's date or after the delay. A row is `pending` until it falls due,
//! `due` once shown to its owner, then `done` or `dismissed` by an agent.
//! A later result for the same interaction dismisses what the earlier one
//! scheduled (in the same transaction that adds the new one).

use crate::store::DbRow;
use sqlx::Row;

use super::admin::{new_id, now_ms};
use super::{Store, StoreError};

/// What scheduled a follow-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpKind {
    AskDate,
    CallAgain,
    Remind,
}

impl FollowUpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::AskDate => "ask_date",
            FollowUpKind::CallAgain => "call_again",
            FollowUpKind::Remind => "remind",
        }
    }

    fn parse(text: &str) -> Result<FollowUpKind, StoreError> {
        match text {
            "ask_date" => Ok(FollowUpKind::AskDate),
            "call_again" => Ok(FollowUpKind::CallAgain),
            "remind" => Ok(FollowUpKind::Remind),
            other => Err(StoreError::Invalid(format!("follow-up kind {other:?}"))),
        }
    }
}

/// Where a follow-up is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpState {
    Pending,
    Due,
    Done,
    Dismissed,
}

impl FollowUpState {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpState::Pending => "pending",
            FollowUpState::Due => "due",
            FollowUpState::Done => "done",
            FollowUpState::Dismissed => "dismissed",
        }
    }

    fn parse(text: &str) -> Result<FollowUpState, StoreError> {
        match text {
            "pending" => Ok(FollowUpState::Pending),
            "due" => Ok(FollowUpState::Due),
            "done" => Ok(FollowUpState::Done),
            "dismissed" => Ok(FollowUpState::Dismissed),
            other => Err(StoreError::Invalid(format!("follow-up state {other:?}"))),
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, FollowUpState::Pending | FollowUpState::Due)
    }
}

/// A follow-up to schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFollowUp {
    pub kind: FollowUpKind,
    pub interaction: i64,
    pub result_code: i64,
    pub project: Option<i64>,
    /// The owning queue, when no agent owns it.
    pub queue: Option<i64>,
    /// The owning agent (the code says `self`).
    pub agent: Option<i64>,
    /// The agent who gave the result.
    pub created_by: i64,
    pub number: String,
    pub note: Option<String>,
    /// Unix ms.
    pub due_at: i64,
}

/// A stored follow-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub id: i64,
    pub kind: FollowUpKind,
    pub interaction: i64,
    pub result_code: i64,
    pub project: Option<i64>,
    pub queue: Option<i64>,
    pub agent: Option<i64>,
    pub created_by: i64,
    pub number: String,
    pub note: Option<String>,
    pub due_at: i64,
    pub state: FollowUpState,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, kind, interaction_id, result_code_id, project_id, queue_id, agent_id, \
    created_by, number, note, due_at, state, created_at, updated_at";

fn from_row(row: &DbRow) -> Result<FollowUp, StoreError> {
    Ok(FollowUp {
        id: row.try_get(0)?,
        kind: FollowUpKind::parse(row.try_get(1)?)?,
        interaction: row.try_get(2)?,
        result_code: row.try_get(3)?,
        project: row.try_get(4)?,
        queue: row.try_get(5)?,
        agent: row.try_get(6)?,
        created_by: row.try_get(7)?,
        number: row.try_get(8)?,
        note: row.try_get(9)?,
        due_at: row.try_get(10)?,
        state: FollowUpState::parse(row.try_get(11)?)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
    })
}

impl Store {
    /// Stores `new` as pending, dismissing the open follow-ups an earlier
    /// result of the same interaction scheduled; answers the new row and the
    /// ids dismissed.
    pub async fn add_follow_up(
        &self,
        new: &NewFollowUp,
    ) -> Result<(FollowUp, Vec<i64>), StoreError> {
        let now = now_ms();
        let _turn = self.write_turn().await;
        let mut tx = self.begin_checked().await?;
        let replaced = dismiss_open(&mut tx, new.interaction, now).await?;
        let id = new_id();
        sqlx::query(&format!(
            "INSERT INTO follow_ups ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(id)
        .bind(new.kind.as_str())
        .bind(new.interaction)
        .bind(new.result_code)
        .bind(new.project)
        .bind(new.queue)
        .bind(new.agent)
        .bind(new.created_by)
        .bind(&new.number)
        .bind(new.note.as_deref())
        .bind(new.due_at)
        .bind(FollowUpState::Pending.as_str())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let stored = FollowUp {
            id,
            kind: new.kind,
            interaction: new.interaction,
            result_code: new.result_code,
            project: new.project,
            queue: new.queue,
            agent: new.agent,
            created_by: new.created_by,
            number: new.number.clone(),
            note: new.note.clone(),
            due_at: new.due_at,
            state: FollowUpState::Pending,
            created_at: now,
            updated_at: now,
        };
        Ok((stored, replaced))
    }

    /// Dismisses the open follow-ups of `interaction` (a later result
    /// scheduled none); answers their ids.
    pub async fn dismiss_follow_ups_of(&self, interaction: i64) -> Result<Vec<i64>, StoreError> {
        // Most results follow none: no write for them.
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM follow_ups WHERE interaction_id = $1 AND state IN ('pending', 'due') \
             LIMIT 1",
        )
        .bind(interaction)
        .fetch_optional(self.pool())
        .await?;
        if open.is_none() {
            return Ok(Vec::new());
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_checked().await?;
        let ids = dismiss_open(&mut tx, interaction, now_ms()).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// The follow-up `id`, if any.
    pub async fn follow_up(&self, id: i64) -> Result<Option<FollowUp>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM follow_ups WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The pending follow-ups, soonest first: what the scheduler waits for.
    pub async fn pending_follow_ups(&self) -> Result<Vec<FollowUp>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM follow_ups WHERE state = 'pending' ORDER BY due_at, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Marks a pending follow-up due; answers it, or `None` when it is no
    /// longer pending (closed meanwhile).
    pub async fn follow_up_due(&self, id: i64) -> Result<Option<FollowUp>, StoreError> {
        let done = sqlx::query(
            "UPDATE follow_ups SET state = 'due', updated_at = $1 WHERE id = $2 AND state = 'pending'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.follow_up(id).await
    }

    /// The follow-ups owned by `agent` or by one of `queues`, open ones
    /// only unless `all`, soonest first, at most `limit`.
    pub async fn follow_ups_for(
        &self,
        agent: i64,
        queues: &[i64],
        all: bool,
        limit: u32,
    ) -> Result<Vec<FollowUp>, StoreError> {
        let marks = vec!["?"; queues.len()].join(", ");
        let owned = if queues.is_empty() {
            "agent_id = ?".to_owned()
        } else {
            format!("(agent_id = ? OR (agent_id IS NULL AND queue_id IN ({marks})))")
        };
        let open = if all {
            ""
        } else {
            " AND state IN ('pending', 'due')"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM follow_ups WHERE {owned}{open} ORDER BY due_at, id LIMIT ?"
        );
        let sql = crate::store::numbered(&sql);
        let mut q = sqlx::query(&sql).bind(agent);
        for queue in queues {
            q = q.bind(queue);
        }
        let rows = q.bind(i64::from(limit)).fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// Closes an open follow-up as done or dismissed; answers false when it
    /// was closed already.
    pub async fn close_follow_up(&self, id: i64, state: FollowUpState) -> Result<bool, StoreError> {
        debug_assert!(!state.is_open());
        let done = sqlx::query(
            "UPDATE follow_ups SET state = $1, updated_at = $2 \
             WHERE id = $3 AND state IN ('pending', 'due')",
        )
        .bind(state.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn dismiss_open(
    tx: &mut sqlx::Transaction<'_, crate::store::Db>,
    interaction: i64,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM follow_ups WHERE interaction_id = $1 AND state IN ('pending', 'due')",
    )
    .bind(interaction)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE follow_ups SET state = 'dismissed', updated_at = $1 \
         WHERE interaction_id = $2 AND state IN ('pending', 'due')",
    )
    .bind(now)
    .bind(interaction)
    .execute(&mut **tx)
    .await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn remind(
        interaction: i64,
        agent: Option<i64>,
        queue: Option<i64>,
        due_at: i64,
    ) -> NewFollowUp {
        NewFollowUp {
            kind: FollowUpKind::Remind,
            interaction,
            result_code: 5,
            project: Some(1),
            queue,
            agent,
            created_by: 7,
            number: "+15550100".into(),
            note: Some("send the contract".into()),
            due_at,
        }
    }

    #[tokio::test]
    async fn follow_ups_fall_due_are_listed_for_their_owners_and_close_once() {
        let (store, _dir) = temp_store().await;
        let (mine, gone) = store
            .add_follow_up(&remind(1, Some(7), Some(3), 2_000))
            .await
            .unwrap();
        assert!(gone.is_empty());
        let (queued, _) = store
            .add_follow_up(&remind(2, None, Some(3), 1_000))
            .await
            .unwrap();
        let (other, _) = store
            .add_follow_up(&remind(3, None, Some(4), 500))
            .await
            .unwrap();
        let pending: Vec<i64> = store
            .pending_follow_ups()
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(pending, [other.id, queued.id, mine.id], "soonest first");

        let listed: Vec<i64> = store
            .follow_ups_for(7, &[3], false, 10)
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(listed, [queued.id, mine.id], "their own and their queue's");
        assert!(store
            .follow_ups_for(8, &[], false, 10)
            .await
            .unwrap()
            .is_empty());

        let due = store.follow_up_due(mine.id).await.unwrap().unwrap();
        assert_eq!(due.state, FollowUpState::Due);
        assert_eq!(store.follow_up_due(mine.id).await.unwrap(), None, "once");
        assert!(store
            .close_follow_up(mine.id, FollowUpState::Done)
            .await
            .unwrap());
        assert!(!store
            .close_follow_up(mine.id, FollowUpState::Dismissed)
            .await
            .unwrap());
        assert_eq!(store.follow_up_due(mine.id).await.unwrap(), None);
        assert_eq!(
            store.follow_ups_for(7, &[], true, 10).await.unwrap().len(),
            1
        );

        // A new result for interaction 2 replaces what the first scheduled.
        let (again, gone) = store
            .add_follow_up(&remind(2, None, Some(3), 9_000))
            .await
            .unwrap();
        assert_eq!(gone, [queued.id]);
        let q = store.follow_up(queued.id).await.unwrap().unwrap();
        assert_eq!(q.state, FollowUpState::Dismissed);
        assert_eq!(store.dismiss_follow_ups_of(2).await.unwrap(), [again.id]);
    }
}
