//! Queue groups: a name and an ordered list of queues, used by reports and
//! routes. A queue in a group cannot be deleted until it leaves the group.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, grouped, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// A stored queue group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueGroup {
    pub id: i64,
    pub name: String,
    /// Queue ids, in the group's order.
    pub queues: Vec<i64>,
}

/// What a client sends to create or replace a queue group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueGroupInput {
    pub name: String,
    #[serde(default)]
    pub queues: Vec<i64>,
}

async fn members(conn: &mut crate::store::DbConnection, id: i64) -> Result<Vec<i64>, AdminError> {
    Ok(sqlx::query_scalar(
        "SELECT queue_id FROM queue_group_members WHERE group_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn list(store: &Store) -> Result<Vec<QueueGroup>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows = sqlx::query("SELECT id, name FROM queue_groups ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    let mut queues = grouped(
        &mut conn,
        "SELECT group_id, queue_id FROM queue_group_members ORDER BY group_id, position",
    )
    .await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get(0)?;
            Ok(QueueGroup {
                id,
                name: row.try_get(1)?,
                queues: queues.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

pub async fn get(store: &Store, id: i64) -> Result<QueueGroup, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let name: String = sqlx::query_scalar("SELECT name FROM queue_groups WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound("queue group"))?;
    Ok(QueueGroup {
        id,
        name,
        queues: members(&mut conn, id).await?,
    })
}

pub async fn create(
    store: &Store,
    input: QueueGroupInput,
) -> Result<Saved<QueueGroup>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: QueueGroupInput,
) -> Result<Saved<QueueGroup>, AdminError> {
    save(store, Some(id), input).await
}

/// Checks that every id in `queues` names a queue, once.
pub(crate) async fn check_queues(
    tx: &mut crate::store::DbConnection,
    c: &mut Check,
    queues: &[i64],
) -> Result<(), AdminError> {
    for (i, q) in queues.iter().enumerate() {
        if queues[..i].contains(q) {
            c.fail(&format!("queues[{i}]"), "listed twice");
        } else if !super::exists(tx, "queues", *q).await? {
            c.fail(&format!("queues[{i}]"), "no such queue");
        }
    }
    Ok(())
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: QueueGroupInput,
) -> Result<Saved<QueueGroup>, AdminError> {
    let name = input.name.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "queue_groups", id).await? {
            return Err(AdminError::NotFound("queue group"));
        }
    }
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    check_queues(&mut tx, &mut c, &input.queues).await?;
    c.finish()?;
    if taken(&mut tx, "queue_groups", "name", &name, id).await? {
        return Err(duplicate("name", "queue group", &name));
    }
    let now = now_ms();
    let group_id = match id {
        Some(id) => {
            sqlx::query("UPDATE queue_groups SET name = $1, updated_at = $2 WHERE id = $3")
                .bind(&name)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM queue_group_members WHERE group_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO queue_groups (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(&name)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    for (position, queue) in input.queues.iter().enumerate() {
        sqlx::query(
            "INSERT INTO queue_group_members (group_id, queue_id, position) VALUES ($1, $2, $3)",
        )
        .bind(group_id)
        .bind(queue)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(QueueGroup {
        id: group_id,
        name,
        queues: input.queues,
    }))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM queue_groups WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("queue group"));
    }
    Ok(())
}
