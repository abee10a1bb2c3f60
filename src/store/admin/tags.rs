//! Tags an agent puts on an interaction: a name, a category, a colour
//! (`#rrggbb`) and the queues it is offered in (a tag with no queue is not
//! offered). Deleting a queue removes it from its tags.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::queue_groups::check_queues;
use super::{grouped, new_id, now_ms, AdminError, Check, Saved, Warning};
use crate::store::Store;

/// A stored tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub colour: String,
    pub queues: Vec<i64>,
}

/// What a client sends to create or replace a tag.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub name: String,
    #[serde(default)]
    pub category: String,
    pub colour: String,
    #[serde(default)]
    pub queues: Vec<i64>,
}

/// Whether `s` is a colour as `#rrggbb`.
pub fn is_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

async fn queues_of(conn: &mut crate::store::DbConnection, id: i64) -> Result<Vec<i64>, AdminError> {
    Ok(
        sqlx::query_scalar("SELECT queue_id FROM tag_queues WHERE tag_id = $1 ORDER BY queue_id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

fn tag(row: &crate::store::DbRow, queues: Vec<i64>) -> Result<Tag, AdminError> {
    Ok(Tag {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        category: row.try_get(2)?,
        colour: row.try_get(3)?,
        queues,
    })
}

pub async fn list(store: &Store) -> Result<Vec<Tag>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows = sqlx::query("SELECT id, name, category, colour FROM tags ORDER BY category, name")
        .fetch_all(&mut *conn)
        .await?;
    let mut queues = grouped(
        &mut conn,
        "SELECT tag_id, queue_id FROM tag_queues ORDER BY tag_id, queue_id",
    )
    .await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get(0)?;
            tag(row, queues.remove(&id).unwrap_or_default())
        })
        .collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Tag, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let row = sqlx::query("SELECT id, name, category, colour FROM tags WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound("tag"))?;
    let queues = queues_of(&mut conn, id).await?;
    tag(&row, queues)
}

pub async fn create(store: &Store, input: TagInput) -> Result<Saved<Tag>, AdminError> {
    save(store, None, input).await
}

pub async fn update(store: &Store, id: i64, input: TagInput) -> Result<Saved<Tag>, AdminError> {
    save(store, Some(id), input).await
}

/// What saving `input` (as tag `id`, or a new one) would answer, without
/// saving it: the field errors, or the warnings.
pub async fn check(
    store: &Store,
    id: Option<i64>,
    input: &TagInput,
) -> Result<Vec<Warning>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    prepare(&mut conn, id, input).await
}

/// Checks `input` against the stored configuration: its warnings. Reads only.
async fn prepare(
    conn: &mut crate::store::DbConnection,
    id: Option<i64>,
    input: &TagInput,
) -> Result<Vec<Warning>, AdminError> {
    if let Some(id) = id {
        if !super::exists(&mut *conn, "tags", id).await? {
            return Err(AdminError::NotFound("tag"));
        }
    }
    let mut c = Check::default();
    c.text("name", &input.name, 64);
    if input.category.chars().count() > 64 {
        c.fail("category", "must be at most 64 characters");
    }
    if !is_colour(&input.colour) {
        c.fail("colour", "must be a colour written #rrggbb");
    }
    check_queues(&mut *conn, &mut c, &input.queues).await?;
    c.finish()?;
    let mut warnings = Vec::new();
    if input.queues.is_empty() {
        warnings.push(Warning::new(
            "queues",
            "the tag has no queue, so no agent is offered it",
        ));
    }
    Ok(warnings)
}

async fn save(store: &Store, id: Option<i64>, input: TagInput) -> Result<Saved<Tag>, AdminError> {
    let mut tx = store.begin().await?;
    let warnings = Warning::messages(prepare(&mut tx, id, &input).await?);
    let now = now_ms();
    let tag_id = id.unwrap_or_else(new_id);
    let name = input.name.trim().to_owned();
    let colour = input.colour.to_ascii_lowercase();
    if id.is_some() {
        sqlx::query(
            "UPDATE tags SET name = $1, category = $2, colour = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&name)
        .bind(&input.category)
        .bind(&colour)
        .bind(now)
        .bind(tag_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM tag_queues WHERE tag_id = $1")
            .bind(tag_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO tags (id, name, category, colour, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tag_id)
        .bind(&name)
        .bind(&input.category)
        .bind(&colour)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let mut queues = input.queues;
    queues.sort_unstable();
    for q in &queues {
        sqlx::query("INSERT INTO tag_queues (tag_id, queue_id) VALUES ($1, $2)")
            .bind(tag_id)
            .bind(q)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Saved {
        item: Tag {
            id: tag_id,
            name,
            category: input.category,
            colour,
            queues,
        },
        warnings,
    })
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("tag"));
    }
    Ok(())
}
