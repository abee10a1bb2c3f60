//! The outbox: deliveries to other systems (webhooks, e-mail, SMS) kept in
//! the database until they are made, and a row per attempt.
//!
//! A delivery is written in the transaction of what caused it (the completed
//! interaction record of a result code with integrations, see
//! [`integrations`]), so it exists exactly when its cause does. The delivery
//! worker (`crate::outbox`) claims due rows for a lease
//! ([`Store::claim_deliveries`]), makes the attempt, and records it with what
//! follows ([`Store::finish_attempt`]): delivered, another try at a later
//! moment, or failed. A worker that dies mid-attempt leaves only its lease,
//! which lapses (or is released at the next start-up,
//! [`Store::release_delivery_claims`]), and the delivery is made again under
//! the same id: receivers drop duplicates by `X-Switchboard-Delivery`.

pub mod integrations;

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use super::admin::{named_enum, new_id, now_ms};
use super::{Store, StoreError};

named_enum! {
    /// What a delivery is.
    DeliveryKind {
        Webhook = "webhook",
        Email = "email",
        Sms = "sms",
    }
}

named_enum! {
    /// Where a delivery stands.
    DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub attempt: u32,
    pub started_at_ms: i64,
    pub duration_ms: i64,
    /// The HTTP status, or the SMTP reply code, received.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// A delivery as the admin API shows it (secrets left out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub kind: DeliveryKind,
    pub state: DeliveryState,
    pub interaction_id: Option<i64>,
    pub result_code_id: Option<i64>,
    /// Where it goes: `url`, `method`, the extra `headers` and whether it is
    /// `signed`; or the recipients `to`.
    pub target: Value,
    pub payload: Value,
    pub attempt_count: u32,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at_ms: Option<i64>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    pub attempts: Vec<Attempt>,
}

/// A delivery a worker has claimed, with all it needs to make the attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub kind: DeliveryKind,
    pub target: Value,
    /// The payload's JSON text, sent as it was stored.
    pub payload: String,
    /// The number of this attempt, over the delivery's life.
    pub attempt: u32,
    /// The number of this attempt within the round (since the last manual
    /// retry): what the retry limit counts.
    pub round_attempt: u32,
}

/// What an attempt led to, as the worker's schedule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEnd {
    Delivered,
    RetryAt(i64),
    Failed,
}

/// An e-mail to send through the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailInput {
    /// The recipients' addresses (`name@example.com` or
    /// `Name <name@example.com>`).
    pub to: Vec<String>,
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// Files attached, by path on this machine (read when the mail is sent;
    /// a file missing then fails the delivery).
    pub attachments: Vec<String>,
    /// The interaction the mail is about, if any.
    pub interaction_id: Option<i64>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    pub kind: Option<DeliveryKind>,
    pub interaction_id: Option<i64>,
    pub limit: u32,
}

/// Why a manual retry was refused.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no such delivery")]
    NotFound,
    #[error("the delivery was made already")]
    Delivered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new delivery row, inside the caller's transaction.
pub(crate) struct NewDelivery<'a> {
    pub id: i64,
    pub kind: DeliveryKind,
    pub interaction_id: Option<i64>,
    pub result_code_id: Option<i64>,
    pub target: &'a Value,
    pub payload: &'a Value,
}

pub(crate) async fn insert(
    conn: &mut crate::store::DbConnection,
    d: NewDelivery<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deliveries (id, kind, state, interaction_id, result_code_id, target, \
         payload, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(d.id)
    .bind(d.kind.as_str())
    .bind(d.interaction_id)
    .bind(d.result_code_id)
    .bind(d.target.to_string())
    .bind(d.payload.to_string())
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, kind, state, interaction_id, result_code_id, target, payload, \
    attempts, next_attempt_at, last_status, last_error, created_at, delivered_at";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn from_row(row: &DbRow) -> Result<Delivery, StoreError> {
    let state = DeliveryState::parse(row.try_get(2)?)?;
    let mut target = json(row.try_get(5)?);
    if let Some(t) = target.as_object_mut() {
        let signed = t
            .remove("secret")
            .is_some_and(|s| s.as_str().is_some_and(|s| !s.is_empty()));
        if t.contains_key("url") {
            t.insert("signed".into(), signed.into());
        }
    }
    Ok(Delivery {
        id: row.try_get(0)?,
        kind: DeliveryKind::parse(row.try_get(1)?)?,
        state,
        interaction_id: row.try_get(3)?,
        result_code_id: row.try_get(4)?,
        target,
        payload: json(row.try_get(6)?),
        attempt_count: row.try_get::<i64, _>(7)?.max(0) as u32,
        next_attempt_at_ms: (state == DeliveryState::Pending)
            .then(|| row.try_get(8))
            .transpose()?,
        last_status: row
            .try_get::<Option<i64>, _>(9)?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: row.try_get(10)?,
        created_at_ms: row.try_get(11)?,
        delivered_at_ms: row.try_get(12)?,
        attempts: Vec::new(),
    })
}

impl Store {
    /// Queues an e-mail; the delivery worker sends it through the `[mail]`
    /// server, retrying as it does webhooks. Returns the delivery's id.
    pub async fn enqueue_mail(&self, mail: MailInput) -> Result<i64, StoreError> {
        if mail.to.is_empty() {
            return Err(StoreError::Invalid("an e-mail needs a recipient".into()));
        }
        let id = new_id();
        let target = serde_json::json!({"to": mail.to});
        let payload = serde_json::json!({
            "subject": mail.subject,
            "body": mail.body,
            "attachments": mail.attachments,
        });
        let mut conn = self.pool().acquire().await?;
        let new = NewDelivery {
            id,
            kind: DeliveryKind::Email,
            interaction_id: mail.interaction_id,
            result_code_id: None,
            target: &target,
            payload: &payload,
        };
        insert(&mut conn, new, now_ms()).await?;
        self.outbox_wake().notify_one();
        Ok(id)
    }

    /// The deliveries `filter` asks for, newest first, with their attempts.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM deliveries WHERE 1 = 1");
        if filter.state.is_some() {
            sql.push_str(" AND state = ?");
        }
        if filter.kind.is_some() {
            sql.push_str(" AND kind = ?");
        }
        if filter.interaction_id.is_some() {
            sql.push_str(" AND interaction_id = ?");
        }
        sql.push_str(" ORDER BY created_at DESC, id LIMIT ?");
        let sql = crate::store::numbered(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(s) = filter.state {
            q = q.bind(s.as_str());
        }
        if let Some(k) = filter.kind {
            q = q.bind(k.as_str());
        }
        if let Some(i) = filter.interaction_id {
            q = q.bind(i);
        }
        let rows = q
            .bind(i64::from(filter.limit))
            .fetch_all(self.pool())
            .await?;
        let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = out.iter().map(|d| d.id.to_string()).collect();
        let rows = sqlx::query(&format!(
            "SELECT delivery_id, attempt, started_at, duration_ms, status, error \
             FROM delivery_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
            ids.join(", ")
        ))
        .fetch_all(self.pool())
        .await?;
        for row in rows {
            let id: i64 = row.try_get(0)?;
            if let Some(d) = out.iter_mut().find(|d| d.id == id) {
                d.attempts.push(attempt_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// One delivery with its attempts.
    pub async fn delivery(&self, id: i64) -> Result<Option<Delivery>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut d = from_row(&row)?;
        let rows = sqlx::query(
            "SELECT delivery_id, attempt, started_at, duration_ms, status, error \
             FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        d.attempts = rows
            .iter()
            .map(attempt_from_row)
            .collect::<Result<_, _>>()?;
        Ok(Some(d))
    }

    /// Makes a pending or failed delivery due now, with a new round of
    /// attempts.
    pub async fn retry_delivery(&self, id: i64) -> Result<Delivery, RetryError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, round_start = attempts, \
             updated_at = $2 WHERE id = $3 AND state <> 'delivered'",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return match self.delivery(id).await? {
                None => Err(RetryError::NotFound),
                Some(_) => Err(RetryError::Delivered),
            };
        }
        self.outbox_wake().notify_one();
        self.delivery(id).await?.ok_or(RetryError::NotFound)
    }

    /// Claims up to `limit` due deliveries until `lease_until` (a worker
    /// that has not recorded its attempt by then is taken for dead).
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        let rows = sqlx::query(
            "UPDATE deliveries SET claimed_until = $1 WHERE id IN ( \
                 SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $2 \
                 AND (claimed_until IS NULL OR claimed_until <= $3) \
                 ORDER BY next_attempt_at LIMIT $4) \
             RETURNING id, kind, target, payload, attempts, round_start",
        )
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let attempts: i64 = row.try_get(4)?;
                let round_start: i64 = row.try_get(5)?;
                Ok(Claimed {
                    id: row.try_get(0)?,
                    kind: DeliveryKind::parse(row.try_get(1)?)?,
                    target: json(row.try_get(2)?),
                    payload: row.try_get(3)?,
                    attempt: (attempts + 1).max(1) as u32,
                    round_attempt: (attempts - round_start + 1).max(1) as u32,
                })
            })
            .collect()
    }

    /// The moment the earliest pending delivery is due, if any.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until \
             ELSE next_attempt_at END) FROM deliveries WHERE state = 'pending'",
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// Records attempt `claimed.attempt` and what follows it, in one
    /// transaction.
    pub async fn finish_attempt(
        &self,
        claimed: &Claimed,
        started_at: i64,
        duration_ms: i64,
        status: Option<u16>,
        error: Option<&str>,
        end: AttemptEnd,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let (state, next_at, delivered_at) = match end {
            AttemptEnd::Delivered => (DeliveryState::Delivered, now, Some(now)),
            AttemptEnd::RetryAt(at) => (DeliveryState::Pending, at, None),
            AttemptEnd::Failed => (DeliveryState::Failed, now, None),
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, \
             status, error) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (delivery_id, attempt) DO NOTHING",
        )
        .bind(claimed.id)
        .bind(i64::from(claimed.attempt))
        .bind(started_at)
        .bind(duration_ms)
        .bind(status.map(i64::from))
        .bind(error)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE deliveries SET state = $1, attempts = $2, next_attempt_at = $3, \
             claimed_until = NULL, last_status = $4, last_error = $5, updated_at = $6, \
             delivered_at = COALESCE($7, delivered_at) WHERE id = $8",
        )
        .bind(state.as_str())
        .bind(i64::from(claimed.attempt))
        .bind(next_at)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(now)
        .bind(delivered_at)
        .bind(claimed.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Releases every claim: at start-up, the claims of a previous run of
    /// this node are those of attempts it never finished. (One node owns
    /// the outbox today; with several, a claim names its node.)
    pub async fn release_delivery_claims(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET claimed_until = NULL \
             WHERE state = 'pending' AND claimed_until IS NOT NULL",
        )
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

fn attempt_from_row(row: &DbRow) -> Result<Attempt, StoreError> {
    Ok(Attempt {
        attempt: row.try_get::<i64, _>(1)?.max(0) as u32,
        started_at_ms: row.try_get(2)?,
        duration_ms: row.try_get(3)?,
        status: row
            .try_get::<Option<i64>, _>(4)?
            .and_then(|s| u16::try_from(s).ok()),
        error: row.try_get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn mail() -> MailInput {
        MailInput {
            to: vec!["ops@example.com".into()],
            subject: "s".into(),
            body: "b".into(),
            attachments: vec!["/tmp/x.wav".into()],
            interaction_id: Some(7),
        }
    }

    #[tokio::test]
    async fn a_delivery_is_claimed_once_retried_and_delivered() {
        let (store, _dir) = temp_store().await;
        let id = store.enqueue_mail(mail()).await.unwrap();
        let now = now_ms() + 1;
        let claimed = store.claim_deliveries(now, now + 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].id, claimed[0].attempt), (id, 1));
        // Leased: a second claim takes nothing.
        assert!(store
            .claim_deliveries(now, now + 60_000, 10)
            .await
            .unwrap()
            .is_empty());
        store
            .finish_attempt(
                &claimed[0],
                now,
                5,
                Some(451),
                Some("busy"),
                AttemptEnd::RetryAt(now + 1000),
            )
            .await
            .unwrap();
        assert!(store
            .claim_deliveries(now, now + 60_000, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.next_delivery_due().await.unwrap(), Some(now + 1000));
        let again = store
            .claim_deliveries(now + 1000, now + 61_000, 10)
            .await
            .unwrap();
        assert_eq!(again[0].attempt, 2);
        store
            .finish_attempt(
                &again[0],
                now + 1000,
                7,
                Some(250),
                None,
                AttemptEnd::Delivered,
            )
            .await
            .unwrap();
        let d = store.delivery(id).await.unwrap().unwrap();
        assert_eq!(d.state, DeliveryState::Delivered);
        assert_eq!(d.attempt_count, 2);
        assert_eq!(d.attempts.len(), 2);
        assert_eq!(d.attempts[0].status, Some(451));
        assert_eq!(d.attempts[0].error.as_deref(), Some("busy"));
        assert_eq!(d.payload["attachments"][0], "/tmp/x.wav");
        assert_eq!(d.next_attempt_at_ms, None);
        assert!(matches!(
            store.retry_delivery(id).await,
            Err(RetryError::Delivered)
        ));
        assert!(matches!(
            store.retry_delivery(id + 1).await,
            Err(RetryError::NotFound)
        ));
        let listed = store
            .deliveries(&DeliveryFilter {
                interaction_id: Some(7),
                limit: 10,
                ..DeliveryFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(listed, vec![d]);
    }

    #[tokio::test]
    async fn a_failed_delivery_gets_a_new_round_and_claims_are_released() {
        let (store, _dir) = temp_store().await;
        let id = store.enqueue_mail(mail()).await.unwrap();
        let now = now_ms() + 1;
        let c = store.claim_deliveries(now, now + 60_000, 1).await.unwrap();
        store
            .finish_attempt(&c[0], now, 1, Some(550), None, AttemptEnd::Failed)
            .await
            .unwrap();
        let d = store.retry_delivery(id).await.unwrap();
        assert_eq!(d.state, DeliveryState::Pending);
        let c = store
            .claim_deliveries(now_ms() + 1, now + 60_000, 1)
            .await
            .unwrap();
        assert_eq!((c[0].attempt, c[0].round_attempt), (2, 1));
        // The claimer dies: the next start releases its claim.
        assert_eq!(store.release_delivery_claims().await.unwrap(), 1);
        let c = store
            .claim_deliveries(now_ms() + 1, now + 60_000, 1)
            .await
            .unwrap();
        assert_eq!(c[0].attempt, 2);
    }
}
