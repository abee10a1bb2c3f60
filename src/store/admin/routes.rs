//! Routes: a dialled number (DID) and the queue its calls enter. A number is
//! routed once (a second route of it is a conflict) and leads to an existing
//! voice queue (SIP calls never enter a text queue); a queue a route leads to
//! cannot be deleted.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// A stored route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteEntry {
    pub id: i64,
    /// The dialled number: digits, optionally after a `+`.
    pub number: String,
    pub queue_id: i64,
}

/// What a client sends to create or replace a route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    pub number: String,
    pub queue_id: i64,
}

/// Whether `number` is 1 to 20 digits, optionally after a `+`.
pub fn is_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

pub async fn list(store: &Store) -> Result<Vec<RouteEntry>, AdminError> {
    let rows = sqlx::query("SELECT id, number, queue_id FROM routes ORDER BY number")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RouteEntry {
                id: row.try_get(0)?,
                number: row.try_get(1)?,
                queue_id: row.try_get(2)?,
            })
        })
        .collect()
}

pub async fn get(store: &Store, id: i64) -> Result<RouteEntry, AdminError> {
    let (number, queue_id) = sqlx::query_as("SELECT number, queue_id FROM routes WHERE id = ?")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("route"))?;
    Ok(RouteEntry {
        id,
        number,
        queue_id,
    })
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
    if !super::exists(&mut tx, "queues", input.queue_id).await? {
        c.fail("queue_id", "no such queue");
    } else {
        super::voice_only::check_target(&mut tx, &mut c, "queue_id", input.queue_id).await?;
    }
    c.finish()?;
    if taken(&mut tx, "routes", "number", &number, id).await? {
        return Err(duplicate("number", "route", &number));
    }
    let now = now_ms();
    let route_id = id.unwrap_or_else(new_id);
    if id.is_some() {
        sqlx::query("UPDATE routes SET number = ?, queue_id = ?, updated_at = ? WHERE id = ?")
            .bind(&number)
            .bind(input.queue_id)
            .bind(now)
            .bind(route_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO routes (id, number, queue_id, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(route_id)
        .bind(&number)
        .bind(input.queue_id)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(RouteEntry {
        id: route_id,
        number,
        queue_id: input.queue_id,
    }))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM routes WHERE id = ?")
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
        let bad = create(
            &store,
            RouteInput {
                number: "555-0100".into(),
                queue_id: 42,
            },
        )
        .await;
        let Err(AdminError::Invalid(errors)) = bad else {
            panic!("accepted")
        };
        assert_eq!(errors.len(), 2);
        let made = create(
            &store,
            RouteInput {
                number: "+15550100".into(),
                queue_id,
            },
        )
        .await
        .unwrap()
        .item;
        assert!(matches!(
            create(
                &store,
                RouteInput {
                    number: "+15550100".into(),
                    queue_id,
                },
            )
            .await,
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
