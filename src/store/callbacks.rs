//! Callback requests: a caller who asked to be called back from a queue's
//! exit, or a number an administrator asked to be called back in a queue.
//!
//! The dispatch core serves each request as a callback entry of its queue
//! (`acd::Event::CallbackArrived`, `CallbackRequested`); its id is the entry's
//! [`acd::CallId`](crate::acd::CallId) (ids are below 2^53, like interaction
//! ids). The row follows the entry: waiting (in the queue, or waiting out a
//! retry delay), offered (ringing an agent), dialling (the agent is calling
//! the customer; each dial counts an attempt), then done (connected), failed
//! (unreachable or expired) or cancelled. At start-up
//! [`Store::reopen_callback_requests`] hands back every request still open,
//! oldest first, for the dispatch core to take again: an offer or a dial the
//! stop interrupted is waiting again (a dial keeps its attempt).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::admin::{new_id, now_ms, AdminError, Check};
use super::{Store, StoreError};
use crate::acd;

/// Where a callback request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackState {
    Waiting,
    Offered,
    Dialling,
    Done,
    Failed,
    Cancelled,
}

impl CallbackState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackState::Waiting => "waiting",
            CallbackState::Offered => "offered",
            CallbackState::Dialling => "dialling",
            CallbackState::Done => "done",
            CallbackState::Failed => "failed",
            CallbackState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<CallbackState, StoreError> {
        Ok(match s {
            "waiting" => CallbackState::Waiting,
            "offered" => CallbackState::Offered,
            "dialling" => CallbackState::Dialling,
            "done" => CallbackState::Done,
            "failed" => CallbackState::Failed,
            "cancelled" => CallbackState::Cancelled,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown callback state {other:?}"
                )))
            }
        })
    }

    /// Still to be served: the dispatch core holds it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CallbackState::Waiting | CallbackState::Offered | CallbackState::Dialling
        )
    }
}

/// How a callback request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackResult {
    Connected,
    Unreachable,
    Expired,
    Cancelled,
}

impl CallbackResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackResult::Connected => "connected",
            CallbackResult::Unreachable => "unreachable",
            CallbackResult::Expired => "expired",
            CallbackResult::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<CallbackResult, StoreError> {
        Ok(match s {
            "connected" => CallbackResult::Connected,
            "unreachable" => CallbackResult::Unreachable,
            "expired" => CallbackResult::Expired,
            "cancelled" => CallbackResult::Cancelled,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown callback result {other:?}"
                )))
            }
        })
    }

    /// The state a request ends in with this result.
    fn state(self) -> CallbackState {
        match self {
            CallbackResult::Connected => CallbackState::Done,
            CallbackResult::Unreachable | CallbackResult::Expired => CallbackState::Failed,
            CallbackResult::Cancelled => CallbackState::Cancelled,
        }
    }
}

impl From<acd::CallbackEnd> for CallbackResult {
    fn from(end: acd::CallbackEnd) -> Self {
        match end {
            acd::CallbackEnd::Unreachable => CallbackResult::Unreachable,
            acd::CallbackEnd::Expired => CallbackResult::Expired,
            acd::CallbackEnd::Cancelled => CallbackResult::Cancelled,
        }
    }
}

/// A stored callback request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackRequest {
    pub id: i64,
    pub queue_id: i64,
    /// The number to call back: the caller's, as it arrived, or the one given.
    pub caller: String,
    /// The interaction the request was made in; `None` when made through the
    /// API.
    pub interaction_id: Option<u64>,
    /// Unix milliseconds.
    pub requested_at_ms: i64,
    pub state: CallbackState,
    /// Dials made so far.
    pub attempts: u32,
    /// When the last dial started (Unix milliseconds).
    pub last_attempt_at_ms: Option<i64>,
    /// How it ended, once it has.
    pub result: Option<CallbackResult>,
    /// The user (agent) last offered or dialling it.
    pub agent_id: Option<i64>,
}

impl CallbackRequest {
    /// The dispatch core's input that puts this request (back) into its
    /// queue, at the back, keeping its attempts; `None` for a row whose ids
    /// no id can be.
    pub fn arrival(&self) -> Option<acd::Event> {
        Some(acd::Event::CallbackArrived {
            call: acd::CallId::from_key(self.id)?,
            queue: acd::QueueId::from_key(self.queue_id)?,
            requested: acd::Millis(u64::try_from(self.requested_at_ms).ok()?),
            attempts: self.attempts,
        })
    }

    /// The callback's id in the dispatch core.
    pub fn call(&self) -> Option<acd::CallId> {
        acd::CallId::from_key(self.id)
    }
}

/// What a client sends to ask for a callback.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackInput {
    pub queue_id: i64,
    /// The number to call: 1 to 20 digits, optionally after a `+`.
    pub number: String,
}

/// A change of a request's progress, as the dispatch core reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackUpdate {
    /// Ringing `agent`.
    Offered { agent: i64 },
    /// `agent` is dialling it (one more attempt), since `at_ms`.
    Dialling { agent: i64, at_ms: i64 },
    /// Back in the queue after an attempt that did not reach the customer.
    Waiting,
    /// Over.
    Ended {
        result: CallbackResult,
        agent: Option<i64>,
    },
}

impl CallbackUpdate {
    /// The update a dispatch-core notice about a callback stands for, and
    /// the request it concerns; `None` for notices that change no request.
    /// Only for the ids of callbacks: an answered call's notice reads as a
    /// connected callback.
    pub fn from_notice(notice: &acd::Notice, now_ms: i64) -> Option<(i64, CallbackUpdate)> {
        let id = |call: &acd::CallId| Some(call.key());
        let agent = |a: &acd::AgentId| a.key();
        match notice {
            acd::Notice::Offered { call, agent: a } => {
                Some((id(call)?, CallbackUpdate::Offered { agent: agent(a) }))
            }
            acd::Notice::CallbackDialling { call, agent: a, .. } => Some((
                id(call)?,
                CallbackUpdate::Dialling {
                    agent: agent(a),
                    at_ms: now_ms,
                },
            )),
            acd::Notice::OfferMissed { call, .. }
            | acd::Notice::CallbackAttemptFailed {
                call,
                retry_at: Some(_),
                ..
            } => Some((id(call)?, CallbackUpdate::Waiting)),
            acd::Notice::LeftQueue { call, outcome, .. } => {
                let (result, agent) = match outcome {
                    acd::Outcome::Answered { agent: a } => {
                        (CallbackResult::Connected, Some(agent(a)))
                    }
                    acd::Outcome::CallbackEnded(end) => ((*end).into(), None),
                    _ => return None,
                };
                Some((id(call)?, CallbackUpdate::Ended { result, agent }))
            }
            _ => None,
        }
    }
}

const COLUMNS: &str = "id, queue_id, caller, interaction_id, requested_at, state, attempts, \
                       last_attempt_at, result, agent_id";

fn read(row: &crate::store::DbRow) -> Result<CallbackRequest, StoreError> {
    let interaction: Option<i64> = row.try_get(3)?;
    let result: Option<String> = row.try_get(8)?;
    Ok(CallbackRequest {
        id: row.try_get(0)?,
        queue_id: row.try_get(1)?,
        caller: row.try_get(2)?,
        interaction_id: interaction.and_then(|i| u64::try_from(i).ok()),
        requested_at_ms: row.try_get(4)?,
        state: CallbackState::parse(row.try_get(5)?)?,
        attempts: u32::try_from(row.try_get::<i64, _>(6)?).unwrap_or(0),
        last_attempt_at_ms: row.try_get(7)?,
        result: result.as_deref().map(CallbackResult::parse).transpose()?,
        agent_id: row.try_get(9)?,
    })
}

impl Store {
    /// Stores a waiting callback request made in interaction
    /// `interaction_id`; its id.
    pub async fn save_callback_request(
        &self,
        queue_id: i64,
        caller: &str,
        interaction_id: u64,
        requested_at_ms: i64,
    ) -> Result<i64, StoreError> {
        let id = new_id();
        let interaction = i64::try_from(interaction_id).map_err(|_| {
            StoreError::Invalid(format!("interaction id {interaction_id} is out of range"))
        })?;
        sqlx::query(
            "INSERT INTO callback_requests (id, queue_id, caller, interaction_id, requested_at, \
             state) VALUES ($1, $2, $3, $4, $5, 'waiting')",
        )
        .bind(id)
        .bind(queue_id)
        .bind(caller)
        .bind(interaction)
        .bind(requested_at_ms)
        .execute(self.pool())
        .await?;
        Ok(id)
    }

    /// Every callback request, oldest first.
    pub async fn callback_requests(&self) -> Result<Vec<CallbackRequest>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM callback_requests ORDER BY requested_at, id");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// One callback request.
    pub async fn callback_request(&self, id: i64) -> Result<Option<CallbackRequest>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM callback_requests WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// At start-up: every request still open, oldest first, each waiting
    /// again (an offer or a dial the stop interrupted is over; a dial keeps
    /// its attempt). Feed each one's [`CallbackRequest::arrival`] to the
    /// dispatch core, in this order, so they keep their order.
    pub async fn reopen_callback_requests(&self) -> Result<Vec<CallbackRequest>, StoreError> {
        sqlx::query(
            "UPDATE callback_requests SET state = 'waiting' \
             WHERE state IN ('offered', 'dialling')",
        )
        .execute(self.pool())
        .await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM callback_requests WHERE state = 'waiting' \
             ORDER BY requested_at, id"
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// The requests waiting in their queue now (not being offered or
    /// dialled), oldest first, without changing any: what a rebuilt
    /// dispatch core takes back while the server runs.
    pub async fn waiting_callback_requests(&self) -> Result<Vec<CallbackRequest>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM callback_requests WHERE state = 'waiting' \
             ORDER BY requested_at, id"
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// Records a request's progress; false when there is no such open
    /// request (an ended one is never reopened).
    pub async fn update_callback(
        &self,
        id: i64,
        update: CallbackUpdate,
    ) -> Result<bool, StoreError> {
        let query = match update {
            CallbackUpdate::Offered { agent } => sqlx::query(
                "UPDATE callback_requests SET state = 'offered', agent_id = $1 \
                 WHERE id = $2 AND state IN ('waiting', 'offered', 'dialling')",
            )
            .bind(agent),
            CallbackUpdate::Dialling { agent, at_ms } => sqlx::query(
                "UPDATE callback_requests SET state = 'dialling', agent_id = $1, \
                 attempts = attempts + 1, last_attempt_at = $2 \
                 WHERE id = $3 AND state IN ('waiting', 'offered', 'dialling')",
            )
            .bind(agent)
            .bind(at_ms),
            CallbackUpdate::Waiting => sqlx::query(
                "UPDATE callback_requests SET state = 'waiting' \
                 WHERE id = $1 AND state IN ('waiting', 'offered', 'dialling')",
            ),
            CallbackUpdate::Ended { result, agent } => sqlx::query(
                "UPDATE callback_requests SET state = $1, result = $2, \
                 agent_id = COALESCE($3, agent_id) \
                 WHERE id = $4 AND state IN ('waiting', 'offered', 'dialling')",
            )
            .bind(result.state().as_str())
            .bind(result.as_str())
            .bind(agent),
        };
        let done = query.bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Asks for a callback of `input.number` in `input.queue_id`, now; the
    /// stored request (waiting), for the dispatch core to take
    /// ([`CallbackRequest::arrival`]).
    pub async fn create_callback(
        &self,
        input: CallbackInput,
    ) -> Result<CallbackRequest, AdminError> {
        let number = input.number.trim().to_owned();
        let mut tx = self.begin().await?;
        let mut c = Check::default();
        if !super::admin::routes::is_number(&number) {
            c.fail("number", "must be 1 to 20 digits, optionally after a +");
        }
        if !super::admin::exists(&mut tx, "queues", input.queue_id).await? {
            c.fail("queue_id", "no such queue");
        }
        c.finish()?;
        let (id, now) = (new_id(), now_ms());
        sqlx::query(
            "INSERT INTO callback_requests (id, queue_id, caller, requested_at, state) \
             VALUES ($1, $2, $3, $4, 'waiting')",
        )
        .bind(id)
        .bind(input.queue_id)
        .bind(&number)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CallbackRequest {
            id,
            queue_id: input.queue_id,
            caller: number,
            interaction_id: None,
            requested_at_ms: now,
            state: CallbackState::Waiting,
            attempts: 0,
            last_attempt_at_ms: None,
            result: None,
            agent_id: None,
        })
    }

    /// Cancels an open request; the request as it now stands. One that has
    /// ended is a conflict. The dispatch core is to be told
    /// (`acd::Event::CallbackCancelled`).
    pub async fn cancel_callback(&self, id: i64) -> Result<CallbackRequest, AdminError> {
        let done = sqlx::query(
            "UPDATE callback_requests SET state = 'cancelled', result = 'cancelled' \
             WHERE id = $1 AND state IN ('waiting', 'offered', 'dialling')",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        let request = self
            .callback_request(id)
            .await?
            .ok_or(AdminError::NotFound("callback request"))?;
        if done.rows_affected() == 0 {
            return Err(AdminError::Conflict {
                detail: format!("the callback request is over ({})", request.state.as_str()),
                errors: Vec::new(),
            });
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{project_with_queue, temp_store};

    #[tokio::test]
    async fn callback_requests_are_stored_waiting_oldest_first() {
        let (store, _dir) = temp_store().await;
        let (_, queue) = project_with_queue(&store).await;
        assert!(store.callback_requests().await.unwrap().is_empty());
        let second = store
            .save_callback_request(queue, "+15550123", 1 << 45, 2_000)
            .await
            .unwrap();
        let first = store
            .save_callback_request(queue, "1002", 7, 1_000)
            .await
            .unwrap();
        let all = store.callback_requests().await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, first);
        assert_eq!(all[1].id, second);
        assert_eq!(all[1].interaction_id, Some(1 << 45));
        assert_eq!(all[1].caller, "+15550123");
        assert_eq!(all[0].state, CallbackState::Waiting);
        assert_eq!((all[0].attempts, all[0].result), (0, None));
        assert!(store
            .save_callback_request(queue, "x", u64::MAX, 0)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn progress_is_recorded_until_the_request_ends() {
        let (store, _dir) = temp_store().await;
        let (_, queue) = project_with_queue(&store).await;
        let id = store
            .save_callback_request(queue, "+15550123", 9, 1_000)
            .await
            .unwrap();
        let get = |store: Store| async move { store.callback_request(id).await.unwrap().unwrap() };
        let up = |u| {
            let store = store.clone();
            async move { store.update_callback(id, u).await.unwrap() }
        };
        assert!(up(CallbackUpdate::Offered { agent: 5 }).await);
        assert_eq!(get(store.clone()).await.state, CallbackState::Offered);
        assert!(
            up(CallbackUpdate::Dialling {
                agent: 5,
                at_ms: 3_000
            })
            .await
        );
        assert!(up(CallbackUpdate::Waiting).await);
        assert!(
            up(CallbackUpdate::Dialling {
                agent: 6,
                at_ms: 9_000
            })
            .await
        );
        let r = get(store.clone()).await;
        assert_eq!(
            (r.state, r.attempts, r.last_attempt_at_ms, r.agent_id),
            (CallbackState::Dialling, 2, Some(9_000), Some(6))
        );
        assert!(
            up(CallbackUpdate::Ended {
                result: CallbackResult::Unreachable,
                agent: None
            })
            .await
        );
        let r = get(store.clone()).await;
        assert_eq!(
            (r.state, r.result, r.agent_id),
            (
                CallbackState::Failed,
                Some(CallbackResult::Unreachable),
                Some(6)
            )
        );
        // Over is over: nothing reopens it.
        assert!(!up(CallbackUpdate::Waiting).await);
        assert!(!store
            .update_callback(id + 1, CallbackUpdate::Waiting)
            .await
            .unwrap());
        assert!(matches!(
            store.cancel_callback(id).await,
            Err(AdminError::Conflict { .. })
        ));
    }

    #[tokio::test]
    async fn open_requests_are_handed_back_at_start_up_in_order() {
        let (store, _dir) = temp_store().await;
        let (_, queue) = project_with_queue(&store).await;
        let ids: Vec<i64> = [3_000, 1_000, 2_000, 4_000]
            .into_iter()
            .map(|at| {
                let store = store.clone();
                async move {
                    store
                        .save_callback_request(queue, "+15550100", 1, at)
                        .await
                        .unwrap()
                }
            })
            .collect::<futures_util::future::JoinAll<_>>()
            .await;
        let dialling = CallbackUpdate::Dialling {
            agent: 2,
            at_ms: 5_000,
        };
        store.update_callback(ids[0], dialling).await.unwrap();
        store.cancel_callback(ids[2]).await.unwrap();
        let ended = CallbackUpdate::Ended {
            result: CallbackResult::Connected,
            agent: Some(2),
        };
        store.update_callback(ids[3], ended).await.unwrap();
        let open = store.reopen_callback_requests().await.unwrap();
        let order: Vec<i64> = open.iter().map(|r| r.id).collect();
        assert_eq!(order, [ids[1], ids[0]]);
        assert!(open.iter().all(|r| r.state == CallbackState::Waiting));
        assert_eq!(
            open[1].arrival(),
            Some(acd::Event::CallbackArrived {
                call: acd::CallId(ids[0] as u64),
                queue: acd::QueueId(queue as u64),
                requested: acd::Millis(3_000),
                attempts: 1,
            })
        );
    }

    #[tokio::test]
    async fn a_callback_is_asked_for_a_number_in_an_existing_queue_and_cancelled_once() {
        let (store, _dir) = temp_store().await;
        let (_, queue) = project_with_queue(&store).await;
        let bad = store
            .create_callback(CallbackInput {
                queue_id: queue + 1,
                number: "call me".into(),
            })
            .await;
        let Err(AdminError::Invalid(errors)) = bad else {
            panic!("{bad:?}");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["number", "queue_id"]);
        let made = store
            .create_callback(CallbackInput {
                queue_id: queue,
                number: " +15550123 ".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            (made.caller.as_str(), made.interaction_id, made.state),
            ("+15550123", None, CallbackState::Waiting)
        );
        assert_eq!(
            store.callback_requests().await.unwrap(),
            std::slice::from_ref(&made)
        );
        let cancelled = store.cancel_callback(made.id).await.unwrap();
        assert_eq!(
            (cancelled.state, cancelled.result),
            (CallbackState::Cancelled, Some(CallbackResult::Cancelled))
        );
        assert!(matches!(
            store.cancel_callback(made.id).await,
            Err(AdminError::Conflict { .. })
        ));
        assert!(matches!(
            store.cancel_callback(made.id + 1).await,
            Err(AdminError::NotFound(_))
        ));
        // The queue keeps its requests: deleting it is a conflict, not a
        // database failure.
        let refused = crate::store::admin::queues::delete(&store, queue).await;
        let Err(AdminError::Conflict { detail, .. }) = refused else {
            panic!("{refused:?}");
        };
        assert!(detail.contains("1 callback request(s)"), "{detail}");
    }

    #[test]
    fn notices_of_a_callback_read_as_its_progress() {
        let (call, agent, queue) = (acd::CallId(1 << 41), acd::AgentId(7), acd::QueueId(3));
        let id = 1i64 << 41;
        let left = |outcome| acd::Notice::LeftQueue {
            call,
            queue,
            outcome,
            waited: std::time::Duration::ZERO,
        };
        let cases = [
            (
                acd::Notice::CallbackDialling {
                    call,
                    agent,
                    attempt: 1,
                },
                Some(CallbackUpdate::Dialling {
                    agent: 7,
                    at_ms: 50,
                }),
            ),
            (
                acd::Notice::CallbackAttemptFailed {
                    call,
                    agent,
                    attempt: 1,
                    retry_at: Some(acd::Millis(9)),
                },
                Some(CallbackUpdate::Waiting),
            ),
            (
                acd::Notice::CallbackAttemptFailed {
                    call,
                    agent,
                    attempt: 2,
                    retry_at: None,
                },
                None,
            ),
            (
                left(acd::Outcome::Answered { agent }),
                Some(CallbackUpdate::Ended {
                    result: CallbackResult::Connected,
                    agent: Some(7),
                }),
            ),
            (
                left(acd::Outcome::CallbackEnded(acd::CallbackEnd::Expired)),
                Some(CallbackUpdate::Ended {
                    result: CallbackResult::Expired,
                    agent: None,
                }),
            ),
        ];
        for (notice, expected) in cases {
            assert_eq!(
                CallbackUpdate::from_notice(&notice, 50),
                expected.map(|u| (id, u)),
                "{notice:?}"
            );
        }
    }
}
