//! Agent groups and pickup groups: a name and a set of users. Agent groups
//! gather agents for routing and reports; a pickup group's members may answer
//! each other's ringing phones. Both have the same shape and rules (unique
//! name, members must be users), so one implementation serves both through
//! [`Kind`].

use serde::{Deserialize, Serialize};

use super::{duplicate, grouped, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// Which of the two group tables.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    table: &'static str,
    members: &'static str,
    what: &'static str,
}

pub const AGENT_GROUPS: Kind = Kind {
    table: "agent_groups",
    members: "agent_group_members",
    what: "agent group",
};

pub const PICKUP_GROUPS: Kind = Kind {
    table: "pickup_groups",
    members: "pickup_group_members",
    what: "pickup group",
};

/// A stored group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberGroup {
    pub id: i64,
    pub name: String,
    /// User ids, ascending.
    pub members: Vec<i64>,
}

/// What a client sends to create or replace a group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberGroupInput {
    pub name: String,
    #[serde(default)]
    pub members: Vec<i64>,
}

async fn members(
    conn: &mut crate::store::DbConnection,
    kind: Kind,
    id: i64,
) -> Result<Vec<i64>, AdminError> {
    let sql = format!(
        "SELECT user_id FROM {} WHERE group_id = $1 ORDER BY user_id",
        kind.members
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?)
}

pub async fn list(store: &Store, kind: Kind) -> Result<Vec<MemberGroup>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let sql = format!("SELECT id, name FROM {} ORDER BY name", kind.table);
    let rows: Vec<(i64, String)> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
    let sql = format!(
        "SELECT group_id, user_id FROM {} ORDER BY group_id, user_id",
        kind.members
    );
    let mut members = grouped(&mut conn, &sql).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| MemberGroup {
            id,
            name,
            members: members.remove(&id).unwrap_or_default(),
        })
        .collect())
}

pub async fn get(store: &Store, kind: Kind, id: i64) -> Result<MemberGroup, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let sql = format!("SELECT name FROM {} WHERE id = $1", kind.table);
    let name: String = sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound(kind.what))?;
    Ok(MemberGroup {
        id,
        name,
        members: members(&mut conn, kind, id).await?,
    })
}

pub async fn save(
    store: &Store,
    kind: Kind,
    id: Option<i64>,
    input: MemberGroupInput,
) -> Result<Saved<MemberGroup>, AdminError> {
    let name = input.name.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, kind.table, id).await? {
            return Err(AdminError::NotFound(kind.what));
        }
    }
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    for (i, user) in input.members.iter().enumerate() {
        if input.members[..i].contains(user) {
            c.fail(&format!("members[{i}]"), "listed twice");
        } else if !super::exists(&mut tx, "users", *user).await? {
            c.fail(&format!("members[{i}]"), "no such user");
        }
    }
    c.finish()?;
    if taken(&mut tx, kind.table, "name", &name, id).await? {
        return Err(duplicate("name", kind.what, &name));
    }
    let now = now_ms();
    let group_id = match id {
        Some(id) => {
            let sql = format!(
                "UPDATE {} SET name = $1, updated_at = $2 WHERE id = $3",
                kind.table
            );
            sqlx::query(&sql)
                .bind(&name)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let sql = format!("DELETE FROM {} WHERE group_id = $1", kind.members);
            sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
            id
        }
        None => {
            let id = new_id();
            let sql = format!(
                "INSERT INTO {} (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)",
                kind.table
            );
            sqlx::query(&sql)
                .bind(id)
                .bind(&name)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            id
        }
    };
    let sql = format!(
        "INSERT INTO {} (group_id, user_id) VALUES ($1, $2)",
        kind.members
    );
    for user in &input.members {
        sqlx::query(&sql)
            .bind(group_id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let mut members = input.members;
    members.sort_unstable();
    Ok(Saved::plain(MemberGroup {
        id: group_id,
        name,
        members,
    }))
}

pub async fn delete(store: &Store, kind: Kind, id: i64) -> Result<(), AdminError> {
    let sql = format!("DELETE FROM {} WHERE id = $1", kind.table);
    let done = sqlx::query(&sql).bind(id).execute(store.pool()).await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound(kind.what));
    }
    Ok(())
}

/// The five operations of one kind, in the shape the API's handlers call.
macro_rules! group_module {
    ($name:ident, $kind:ident) => {
        pub mod $name {
            use super::super::{AdminError, Saved};
            use super::{$kind, MemberGroup, MemberGroupInput};
            use crate::store::Store;

            pub async fn list(store: &Store) -> Result<Vec<MemberGroup>, AdminError> {
                super::list(store, $kind).await
            }
            pub async fn get(store: &Store, id: i64) -> Result<MemberGroup, AdminError> {
                super::get(store, $kind, id).await
            }
            pub async fn create(
                store: &Store,
                input: MemberGroupInput,
            ) -> Result<Saved<MemberGroup>, AdminError> {
                super::save(store, $kind, None, input).await
            }
            pub async fn update(
                store: &Store,
                id: i64,
                input: MemberGroupInput,
            ) -> Result<Saved<MemberGroup>, AdminError> {
                super::save(store, $kind, Some(id), input).await
            }
            pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
                super::delete(store, $kind, id).await
            }
        }
    };
}

group_module!(agent_groups, AGENT_GROUPS);
group_module!(pickup_groups, PICKUP_GROUPS);
