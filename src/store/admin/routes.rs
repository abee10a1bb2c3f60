//! Routes: a dialled number (DID) and where its calls go: a queue (the
//! `queue_id` of earlier versions, still accepted alone) or any other
//! [`Destination`] (an IVR menu, an extension, a number, a hang-up). A
//! number is routed once (a second route of it is a conflict) and leads to
//! an existing voice queue (SIP calls never enter a text queue) or menu; a
//! queue or menu a route leads to cannot be deleted.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::ivr::{check_destination, Destination};
use super::{duplicate, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// A stored route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteEntry {
    pub id: i64,
    /// The dialled number: digits, optionally after a `+`.
    pub number: String,
    /// The queue, when the route leads to one.
    pub queue_id: Option<i64>,
    pub destination: Destination,
}

/// What a client sends to create or replace a route: `queue_id` or
/// `destination`; with both, the destination is a queue and `queue_id`
/// says which.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    pub number: String,
    #[serde(default)]
    pub queue_id: Option<i64>,
    #[serde(default)]
    pub destination: Option<Destination>,
}

impl RouteInput {
    /// A route to a queue.
    pub fn to_queue(number: &str, queue_id: i64) -> RouteInput {
        RouteInput {
            number: number.to_owned(),
            queue_id: Some(queue_id),
            destination: None,
        }
    }
}

const SELECT: &str = "SELECT id, number, kind, queue_id, target_id, text FROM routes";

fn entry_of(row: &crate::store::DbRow) -> Result<RouteEntry, AdminError> {
    let kind: String = row.try_get(2)?;
    let destination =
        Destination::from_columns(&kind, row.try_get(3)?, row.try_get(4)?, row.try_get(5)?)
            .ok_or_else(|| {
                crate::store::StoreError::Invalid(format!("route of unknown kind {kind:?}"))
            })?;
    Ok(RouteEntry {
        id: row.try_get(0)?,
        number: row.try_get(1)?,
        queue_id: match destination {
            Destination::Queue { queue_id } => Some(queue_id),
            _ => None,
        },
        destination,
    })
}

/// Whether `number` is 1 to 20 digits, optionally after a `+`.
pub fn is_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

pub async fn list(store: &Store) -> Result<Vec<RouteEntry>, AdminError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY number"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(entry_of).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<RouteEntry, AdminError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("route"))?;
    entry_of(&row)
}

pub async fn create(store: &Store, input: RouteInput) -> Result<Saved<RouteEntry>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: RouteInput,
) -> Result<Saved<RouteEntry>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: RouteInput,
) -> Result<Saved<RouteEntry>, AdminError> {
    let number = input.number.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "routes", id).await? {
            return Err(AdminError::NotFound("route"));
        }
    }
    let mut c = Check::default();
    if !is_number(&number) {
        c.fail("number", "must be 1 to 20 digits, optionally after a +");
    }
    let destination = match (input.queue_id, input.destination) {
        (Some(queue_id), None) => Some(Destination::Queue { queue_id }),
        (None, Some(d)) => Some(d),
        // A form that edits `queue_id` sends the stored destination back.
        (Some(queue_id), Some(Destination::Queue { .. })) => Some(Destination::Queue { queue_id }),
        (Some(_), Some(_)) => {
            c.fail("queue_id", "only a queue destination names a queue_id");
            None
        }
        (None, None) => {
            c.fail("destination", "required (or queue_id)");
            None
        }
    };
    if let Some(Destination::Queue { queue_id }) = &destination {
        if !super::exists(&mut tx, "queues", *queue_id).await? {
            c.fail("queue_id", "no such queue");
        } else {
            super::voice_only::check_target(&mut tx, &mut c, "queue_id", *queue_id).await?;
        }
    } else if let Some(d) = &destination {
        check_destination(&mut tx, &mut c, "destination", d, None).await?;
    }
    c.finish()?;
    let Some(destination) = destination else {
        return Err(AdminError::Invalid(Vec::new()));
    };
    let (kind, queue_id, target_id, text) = destination.columns();
    if taken(&mut tx, "routes", "number", &number, id).await? {
        return Err(duplicate("number", "route", &number));
    }
    let now = now_ms();
    let route_id = id.unwrap_or_else(new_id);
    if id.is_some() {
        sqlx::query(
            "UPDATE routes SET number = $1, kind = $2, queue_id = $3, target_id = $4, text = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(&number)
        .bind(kind)
        .bind(queue_id)
        .bind(target_id)
        .bind(text)
        .bind(now)
        .bind(route_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO routes (id, number, kind, queue_id, target_id, text, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(route_id)
        .bind(&number)
        .bind(kind)
        .bind(queue_id)
        .bind(target_id)
        .bind(text)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(RouteEntry {
        id: route_id,
        number,
        queue_id,
        destination,
    }))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM routes WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("route"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::queues;
    use crate::store::test_support::{project_with_queue, temp_store};

    #[tokio::test]
    async fn a_number_is_routed_once_to_an_existing_queue() {
        let (store, _dir) = temp_store().await;
        let (_, queue_id) = project_with_queue(&store).await;
        let bad = create(&store, RouteInput::to_queue("555-0100", 42)).await;
        let Err(AdminError::Invalid(errors)) = bad else {
            panic!("accepted")
        };
        assert_eq!(errors.len(), 2);
        let made = create(&store, RouteInput::to_queue("+15550100", queue_id))
            .await
            .unwrap()
            .item;
        assert!(matches!(
            create(&store, RouteInput::to_queue("+15550100", queue_id),).await,
            Err(AdminError::Conflict { .. })
        ));
        let Err(AdminError::Conflict { detail, .. }) = queues::delete(&store, queue_id).await
        else {
            panic!("a routed queue was deleted")
        };
        assert!(detail.contains("+15550100"), "{detail}");
        assert_eq!(get(&store, made.id).await.unwrap(), made);
        delete(&store, made.id).await.unwrap();
        queues::delete(&store, queue_id).await.unwrap();
    }
}
