//! Interaction records, so that nothing acknowledged is lost.
//!
//! `cdr` decides what a record says; this file keeps it. The row is written
//! when the call arrives ([`Store::open_interaction`]), may be brought up to
//! date while it lasts ([`Store::checkpoint_interaction`]), and is completed in one
//! statement when the call ends ([`Store::complete_interaction`], an upsert on
//! the InteractionID, so completing twice, or without the opening write, still
//! leaves one row). A crash leaves the rows of calls in progress open; at
//! start-up [`Store::close_interrupted`] closes them with the `interrupted`
//! disposition, before any new call can open a row. Service level is summed
//! in SQL from the stored flags ([`Store::service_level`]).
//!
//! Ids are stored as the same 64 bits in a signed column; moments are
//! milliseconds since the Unix epoch and lengths milliseconds. The agent's
//! tags live in `interaction_tags`, written with the completing write (only
//! when it completes the row) and read back with the record.

use std::time::{Duration, SystemTime};

use sqlx::Row;

use crate::store::{Db, DbArguments, DbRow};

use super::{unix_ms, Store, StoreError};
use crate::acd::{AgentId, Millis, ProjectId, QueueId, ResultCodeId};
use crate::cdr::{
    Classification, Direction, Disposition, InteractionId, InteractionRecord, InteractionType,
    ServiceLevel, ShortAbandons, Tag, TerminateSide, TransferType,
};

/// Where a stored row is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowState {
    /// Written at arrival; the call is in progress (or the server stopped).
    Open,
    Complete,
    /// Left open by a crash and closed at start-up.
    Interrupted,
}

impl RowState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RowState::Open => "open",
            RowState::Complete => "complete",
            RowState::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Result<RowState, StoreError> {
        match text {
            "open" => Ok(RowState::Open),
            "complete" => Ok(RowState::Complete),
            "interrupted" => Ok(RowState::Interrupted),
            other => Err(invalid("row state", other)),
        }
    }
}

/// A record as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredInteraction {
    pub state: RowState,
    /// When the row was completed or closed as interrupted.
    pub closed_at: Option<Millis>,
    pub record: InteractionRecord,
}

/// One write of [`Store::write_interactions`].
#[derive(Clone, Debug)]
pub enum InteractionWrite {
    /// The row of a call that has just arrived.
    Open(InteractionRecord),
    /// What is known so far of a call in progress.
    Checkpoint(InteractionRecord),
    /// The finished record.
    Complete(InteractionRecord),
}

/// What [`Store::complete_interaction`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    Completed,
    /// The row was already complete; it is left as it was.
    AlreadyComplete,
}

pub(super) const COLUMNS: &str =
    "interaction_id, state, interaction_type, agent_id, domain, queue_id, \
    project_id, direction, init_moment, connection_moment, terminate_moment, call_duration_ms, \
    remote_number, local_number, alert_length_ms, ivr_wait_length_ms, queue_wait_length_ms, \
    queue_wait_start, queue_wait_end, connected_length_ms, hold_length_ms, acw_length_ms, \
    transfer_target, transfer_type, disposition, terminate_side, classification, queue_exit, \
    answered_within_sl, short_abandon, closed_at, verdict, note, action_date, \
    recording_file, dialing_length_ms, ivr_event";

const PLACEHOLDERS: &str =
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
     $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37";

/// Every column but the key, for the completing upsert.
const UPDATES: &str = "state = excluded.state, interaction_type = excluded.interaction_type, \
    agent_id = excluded.agent_id, domain = excluded.domain, queue_id = excluded.queue_id, \
    project_id = excluded.project_id, direction = excluded.direction, \
    init_moment = excluded.init_moment, connection_moment = excluded.connection_moment, \
    terminate_moment = excluded.terminate_moment, call_duration_ms = excluded.call_duration_ms, \
    remote_number = excluded.remote_number, local_number = excluded.local_number, \
    alert_length_ms = excluded.alert_length_ms, ivr_wait_length_ms = excluded.ivr_wait_length_ms, \
    queue_wait_length_ms = excluded.queue_wait_length_ms, \
    queue_wait_start = excluded.queue_wait_start, queue_wait_end = excluded.queue_wait_end, \
    connected_length_ms = excluded.connected_length_ms, \
    hold_length_ms = excluded.hold_length_ms, acw_length_ms = excluded.acw_length_ms, \
    transfer_target = excluded.transfer_target, transfer_type = excluded.transfer_type, \
    disposition = excluded.disposition, terminate_side = excluded.terminate_side, \
    classification = excluded.classification, queue_exit = excluded.queue_exit, \
    answered_within_sl = excluded.answered_within_sl, short_abandon = excluded.short_abandon, \
    closed_at = excluded.closed_at, verdict = excluded.verdict, note = excluded.note, \
    action_date = excluded.action_date, recording_file = excluded.recording_file, \
    dialing_length_ms = excluded.dialing_length_ms, ivr_event = excluded.ivr_event";

type Query<'q> = sqlx::query::Query<'q, Db, DbArguments<'q>>;

impl Store {
    /// Writes the row of an interaction that has just arrived. Returns false
    /// when a row with its InteractionID already exists (left unchanged).
    pub async fn open_interaction(&self, record: &InteractionRecord) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO NOTHING"
        );
        let done = bind_record(sqlx::query(&sql), record, RowState::Open, None)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Rewrites the open row of a call in progress with what is known so far
    /// (its queue, the answering agent, ...), so that a row a crash leaves
    /// open keeps it. Returns false, changing nothing, when the row is
    /// already complete or interrupted.
    pub async fn checkpoint_interaction(
        &self,
        record: &InteractionRecord,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO UPDATE SET {UPDATES} \
             WHERE interactions.state = 'open'"
        );
        let done = bind_record(sqlx::query(&sql), record, RowState::Open, None)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Completes the row of an interaction that has ended, in one statement;
    /// writes it whole if the opening write never happened. A row that is
    /// already complete is left as it was. The record must have its outcome.
    pub async fn complete_interaction(
        &self,
        record: &InteractionRecord,
    ) -> Result<Completion, StoreError> {
        if record.disposition.is_none() || record.terminate_moment.is_none() {
            return Err(StoreError::Invalid(format!(
                "{} has not ended: no outcome to store",
                record.interaction_id
            )));
        }
        let sql = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO UPDATE SET {UPDATES} \
             WHERE interactions.state <> 'complete'"
        );
        let now = Millis(u64::try_from(unix_ms(SystemTime::now())).unwrap_or(0));
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        let done = bind_record(sqlx::query(&sql), record, RowState::Complete, Some(now))
            .execute(&mut *tx)
            .await?;
        let completed = done.rows_affected() == 1;
        if completed {
            write_user_tags(&mut tx, record).await?;
        }
        tx.commit().await?;
        Ok(if completed {
            Completion::Completed
        } else {
            Completion::AlreadyComplete
        })
    }

    /// Applies several writes in one transaction (group commit): all of
    /// them are durable when it returns, or none is. Each write does what
    /// [`Store::open_interaction`], [`Store::checkpoint_interaction`] or
    /// [`Store::complete_interaction`] does alone. Answers the
    /// interactions whose row this batch completed (not those that were
    /// complete already).
    pub async fn write_interactions(
        &self,
        writes: &[InteractionWrite],
    ) -> Result<Vec<InteractionId>, StoreError> {
        let open = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO NOTHING"
        );
        let checkpoint = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO UPDATE SET {UPDATES} \
             WHERE interactions.state = 'open'"
        );
        let complete = format!(
            "INSERT INTO interactions ({COLUMNS}) VALUES ({PLACEHOLDERS}) \
             ON CONFLICT (interaction_id) DO UPDATE SET {UPDATES} \
             WHERE interactions.state <> 'complete'"
        );
        for write in writes {
            if let InteractionWrite::Complete(r) = write {
                if r.disposition.is_none() || r.terminate_moment.is_none() {
                    return Err(StoreError::Invalid(format!(
                        "{} has not ended: no outcome to store",
                        r.interaction_id
                    )));
                }
            }
        }
        let now = Millis(u64::try_from(unix_ms(SystemTime::now())).unwrap_or(0));
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        let mut completed = Vec::new();
        let mut deliveries = 0;
        for write in writes {
            let query = match write {
                InteractionWrite::Open(r) => {
                    bind_record(sqlx::query(&open), r, RowState::Open, None)
                }
                InteractionWrite::Checkpoint(r) => {
                    bind_record(sqlx::query(&checkpoint), r, RowState::Open, None)
                }
                InteractionWrite::Complete(r) => {
                    bind_record(sqlx::query(&complete), r, RowState::Complete, Some(now))
                }
            };
            let done = query.execute(&mut *tx).await?;
            if let InteractionWrite::Complete(r) = write {
                if done.rows_affected() == 1 {
                    write_user_tags(&mut tx, r).await?;
                    completed.push(r.interaction_id);
                    deliveries +=
                        super::outbox::integrations::enqueue_finished(&mut tx, r, moment(now))
                            .await?;
                }
            }
        }
        tx.commit().await?;
        if deliveries > 0 {
            self.outbox_wake().notify_one();
        }
        Ok(completed)
    }

    /// Closes every row left open, marking it interrupted at `now`; returns how
    /// many. Run at start-up, before calls are taken: every open row then
    /// belongs to a call the previous run never finished. The moment the call
    /// ended is unknown, so TerminateMoment stays empty. A node of several
    /// closes only its own rows (and rows no node wrote): the others' calls
    /// are still going.
    pub async fn close_interrupted(&self, now: Millis) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE interactions SET state = $1, disposition = $2, classification = $3, closed_at = $4, \
                    answered_within_sl = 0, short_abandon = 0 \
             WHERE state = $5 AND ($6 IS NULL OR node IS NULL OR node = $6)",
        )
        .bind(RowState::Interrupted.as_str())
        .bind(Disposition::Interrupted.as_str())
        .bind(Classification::NotCounted.as_str())
        .bind(moment(now))
        .bind(RowState::Open.as_str())
        .bind(self.node())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// The stored interactions that arrived from `from` until before `to`,
    /// in order of arrival.
    pub async fn interactions_between(
        &self,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<StoredInteraction>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM interactions WHERE init_moment >= $1 AND init_moment < $2 \
             ORDER BY init_moment, interaction_id"
        );
        let rows = sqlx::query(&sql)
            .bind(moment(from))
            .bind(moment(to))
            .fetch_all(self.pool())
            .await?;
        let mut stored = rows
            .iter()
            .map(stored_interaction)
            .collect::<Result<Vec<_>, _>>()?;
        let tags: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT t.interaction_id, t.tag_id FROM interaction_tags t \
             JOIN interactions i ON i.interaction_id = t.interaction_id \
             WHERE i.init_moment >= $1 AND i.init_moment < $2 ORDER BY t.interaction_id, t.tag_id",
        )
        .bind(moment(from))
        .bind(moment(to))
        .fetch_all(self.pool())
        .await?;
        for (id, tag) in tags {
            if let Some(s) = stored
                .iter_mut()
                .find(|s| s.record.interaction_id.0 == id as u64)
            {
                s.record.user_tags.push(tag as u64);
            }
        }
        Ok(stored)
    }

    /// The stored interaction with `id`, if any.
    pub async fn interaction(
        &self,
        id: InteractionId,
    ) -> Result<Option<StoredInteraction>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM interactions WHERE interaction_id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        let Some(mut stored) = row.as_ref().map(stored_interaction).transpose()? else {
            return Ok(None);
        };
        let tags: Vec<i64> = sqlx::query_scalar(
            "SELECT tag_id FROM interaction_tags WHERE interaction_id = $1 ORDER BY tag_id",
        )
        .bind(id.0 as i64)
        .fetch_all(self.pool())
        .await?;
        stored.record.user_tags = tags.into_iter().map(|t| t as u64).collect();
        Ok(Some(stored))
    }

    /// Service level over the completed interactions that arrived from `from`
    /// until before `to`, of one queue or of all, summed from the stored flags.
    pub async fn service_level(
        &self,
        from: Millis,
        to: Millis,
        queue: Option<QueueId>,
        short_abandons: ShortAbandons,
    ) -> Result<ServiceLevel, StoreError> {
        // Two texts rather than `? IS NULL OR ...`, which PostgreSQL cannot type.
        let of_queue = if queue.is_some() {
            " AND queue_id = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT COALESCE(SUM(answered_within_sl), 0), \
                    COALESCE(SUM(CASE WHEN classification IN (?, ?, ?, ?) THEN 1 \
                                      WHEN short_abandon = 1 AND ? = 1 THEN 1 \
                                      ELSE 0 END), 0) \
             FROM interactions \
             WHERE state = ? AND init_moment >= ? AND init_moment < ?{of_queue}"
        );
        let sql = super::numbered(&sql);
        let mut query = sqlx::query(&sql)
            .bind(Classification::AnsweredWithinServiceLevel.as_str())
            .bind(Classification::AnsweredOutsideServiceLevel.as_str())
            .bind(Classification::Abandoned.as_str())
            .bind(Classification::Redirected.as_str())
            .bind(i64::from(short_abandons == ShortAbandons::Included))
            .bind(RowState::Complete.as_str())
            .bind(moment(from))
            .bind(moment(to));
        if let Some(queue) = queue {
            query = query.bind(queue.0 as i64);
        }
        let row = query.fetch_one(self.pool()).await?;
        let count = |i: usize| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        Ok(ServiceLevel {
            within: count(0)?,
            counted: count(1)?,
        })
    }
}

fn bind_record<'q>(
    query: Query<'q>,
    r: &'q InteractionRecord,
    state: RowState,
    closed_at: Option<Millis>,
) -> Query<'q> {
    query
        .bind(r.interaction_id.0 as i64)
        .bind(state.as_str())
        .bind(r.interaction_type.as_str())
        .bind(r.agent.map(|a| a.0 as i64))
        .bind(r.domain.as_str())
        .bind(r.queue.map(|q| q.0 as i64))
        .bind(r.project.map(|p| p.0 as i64))
        .bind(r.direction.as_str())
        .bind(moment(r.init_moment))
        .bind(r.connection_moment.map(moment))
        .bind(r.terminate_moment.map(moment))
        .bind(length(r.call_duration))
        .bind(r.remote_number.as_str())
        .bind(r.local_number.as_str())
        .bind(length(r.alert_length))
        .bind(length(r.ivr_wait_length))
        .bind(length(r.queue_wait_length))
        .bind(r.queue_wait_start.map(moment))
        .bind(r.queue_wait_end.map(moment))
        .bind(length(r.connected_length))
        .bind(length(r.hold_length))
        .bind(length(r.acw_length))
        .bind(r.transfer_target.as_deref())
        .bind(r.transfer_type.map(TransferType::as_str))
        .bind(r.disposition.map(Disposition::as_str))
        .bind(r.terminate_side.map(TerminateSide::as_str))
        .bind(r.classification.map(Classification::as_str))
        .bind(i64::from(r.queue_exit()))
        .bind(i64::from(r.answered_within_service_level()))
        .bind(i64::from(r.short_abandon()))
        .bind(closed_at.map(moment))
        .bind(r.verdict.map(|c| c.0 as i64))
        .bind(r.note.as_deref())
        .bind(r.action_date.as_deref())
        .bind(r.recording_file.as_deref())
        .bind(length(r.dialing_length))
        .bind(r.ivr_event.as_deref())
}

/// Replaces the agent's tags of a record that has just been completed.
async fn write_user_tags(
    tx: &mut sqlx::Transaction<'_, Db>,
    r: &InteractionRecord,
) -> Result<(), StoreError> {
    // A record is completed once, and only completion writes tags: with no
    // tags there is nothing to replace, and most calls carry none.
    if r.user_tags.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM interaction_tags WHERE interaction_id = $1")
        .bind(r.interaction_id.0 as i64)
        .execute(&mut **tx)
        .await?;
    for tag in &r.user_tags {
        sqlx::query(
            "INSERT INTO interaction_tags (interaction_id, tag_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(r.interaction_id.0 as i64)
        .bind(*tag as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) fn stored_interaction(row: &DbRow) -> Result<StoredInteraction, StoreError> {
    let id = |i: usize| -> Result<Option<u64>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(i)?.map(|v| v as u64))
    };
    let at = |i: usize| -> Result<Option<Millis>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(i)?.map(from_moment))
    };
    let len = |i: usize| -> Result<Duration, StoreError> {
        Ok(Duration::from_millis(
            u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0),
        ))
    };
    let text = |i: usize| -> Result<Option<String>, StoreError> { Ok(row.try_get(i)?) };
    let named = |i: usize, what: &str| -> Result<String, StoreError> {
        text(i)?.ok_or_else(|| invalid(what, "NULL"))
    };
    let interaction_type = named(2, "interaction type")?;
    let direction = named(7, "direction")?;
    let record = InteractionRecord {
        interaction_id: InteractionId(id(0)?.unwrap_or(0)),
        interaction_type: InteractionType::parse(&interaction_type)
            .ok_or_else(|| invalid("interaction type", &interaction_type))?,
        agent: id(3)?.map(AgentId),
        domain: named(4, "domain")?,
        queue: id(5)?.map(QueueId),
        project: id(6)?.map(ProjectId),
        direction: Direction::parse(&direction).ok_or_else(|| invalid("direction", &direction))?,
        init_moment: at(8)?.unwrap_or(Millis::ZERO),
        connection_moment: at(9)?,
        terminate_moment: at(10)?,
        call_duration: len(11)?,
        remote_number: named(12, "remote number")?,
        local_number: named(13, "local number")?,
        alert_length: len(14)?,
        ivr_wait_length: len(15)?,
        queue_wait_length: len(16)?,
        queue_wait_start: at(17)?,
        queue_wait_end: at(18)?,
        connected_length: len(19)?,
        hold_length: len(20)?,
        acw_length: len(21)?,
        transfer_target: text(22)?,
        transfer_type: parse_opt(text(23)?, "transfer type", TransferType::parse)?,
        disposition: parse_opt(text(24)?, "disposition", Disposition::parse)?,
        terminate_side: parse_opt(text(25)?, "terminate side", TerminateSide::parse)?,
        classification: parse_opt(text(26)?, "classification", Classification::parse)?,
        tags: if row.try_get::<i64, _>(27)? != 0 {
            vec![Tag::QueueExit]
        } else {
            Vec::new()
        },
        verdict: id(31)?.map(ResultCodeId),
        note: text(32)?,
        action_date: text(33)?,
        user_tags: Vec::new(),
        recording_file: text(34)?,
        dialing_length: len(35)?,
        ivr_event: text(36)?,
    };
    Ok(StoredInteraction {
        state: RowState::parse(&named(1, "row state")?)?,
        closed_at: at(30)?,
        record,
    })
}

fn parse_opt<T>(
    text: Option<String>,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| parse(&t).ok_or_else(|| invalid(what, &t)))
        .transpose()
}

fn invalid(what: &str, text: &str) -> StoreError {
    StoreError::Invalid(format!("stored interaction has an unknown {what} {text:?}"))
}

fn moment(m: Millis) -> i64 {
    i64::try_from(m.0).unwrap_or(i64::MAX)
}

fn from_moment(ms: i64) -> Millis {
    Millis(u64::try_from(ms).unwrap_or(0))
}

fn length(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;

mod results;
pub use results::Replaced;
