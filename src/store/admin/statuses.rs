//! Agent statuses in the categories Available, Offline, Break and In Call.
//! The system status Available (id 1, seeded by the migration) is listed like
//! any other but cannot be edited or deleted: the dispatch core relies on it.

use crate::store::{flag, DbRow};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, named_enum, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

named_enum! {
    /// What a status means to the dispatch core.
    StatusCategory {
        Available = "available",
        Offline = "offline",
        Break = "break",
        InCall = "in_call",
    }
}

/// A stored status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub id: i64,
    pub category: StatusCategory,
    pub name: String,
    /// The agent may choose it.
    pub agent_changeable: bool,
    /// Only a supervisor may set it.
    pub supervisor_only: bool,
    pub show_on_dashboard: bool,
    /// An agent in it may receive transfers.
    pub transferable: bool,
    pub play_sound: bool,
    /// Set when a CRM card opens.
    pub crm_card_trigger: bool,
    pub active: bool,
    /// The built-in Available status: read-only.
    pub system: bool,
}

/// What a client sends to create or replace a status.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub category: StatusCategory,
    pub name: String,
    #[serde(default)]
    pub agent_changeable: bool,
    #[serde(default)]
    pub supervisor_only: bool,
    #[serde(default)]
    pub show_on_dashboard: bool,
    #[serde(default)]
    pub transferable: bool,
    #[serde(default)]
    pub play_sound: bool,
    #[serde(default)]
    pub crm_card_trigger: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

// The flags are read as integers: SQLite cannot hand a BOOLEAN column to
// the store's driver as it is.
const COLUMNS: &str = "id, category, name, CAST(agent_changeable AS INTEGER), \
    CAST(supervisor_only AS INTEGER), CAST(show_on_dashboard AS INTEGER), \
    CAST(transferable AS INTEGER), CAST(play_sound AS INTEGER), \
    CAST(crm_card_trigger AS INTEGER), CAST(active AS INTEGER), CAST(system AS INTEGER)";

fn from_row(row: &DbRow) -> Result<Status, AdminError> {
    let category: String = row.try_get(1)?;
    Ok(Status {
        id: row.try_get(0)?,
        category: StatusCategory::parse(&category)?,
        name: row.try_get(2)?,
        agent_changeable: flag(row, 3)?,
        supervisor_only: flag(row, 4)?,
        show_on_dashboard: flag(row, 5)?,
        transferable: flag(row, 6)?,
        play_sound: flag(row, 7)?,
        crm_card_trigger: flag(row, 8)?,
        active: flag(row, 9)?,
        system: flag(row, 10)?,
    })
}

fn check(input: &StatusInput) -> Result<(), AdminError> {
    let mut c = Check::default();
    c.text("name", &input.name, 64);
    if input.agent_changeable && input.supervisor_only {
        c.fail(
            "supervisor_only",
            "a supervisor-only status cannot also be changeable by the agent",
        );
    }
    c.finish()
}

pub async fn list(store: &Store) -> Result<Vec<Status>, AdminError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM statuses ORDER BY system DESC, name"
    ))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Status, AdminError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM statuses WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("status"))?;
    from_row(&row)
}

pub async fn create(store: &Store, input: StatusInput) -> Result<Saved<Status>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: StatusInput,
) -> Result<Saved<Status>, AdminError> {
    save(store, Some(id), input).await
}

async fn refuse_system(tx: &mut crate::store::DbConnection, id: i64) -> Result<(), AdminError> {
    let system: Option<i64> =
        sqlx::query_scalar("SELECT CAST(system AS INTEGER) FROM statuses WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let system = system.map(|s| s != 0);
    match system {
        None => Err(AdminError::NotFound("status")),
        Some(true) => Err(AdminError::ReadOnly(
            "Available is a system status: it cannot be edited or deleted".into(),
        )),
        Some(false) => Ok(()),
    }
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: StatusInput,
) -> Result<Saved<Status>, AdminError> {
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        refuse_system(&mut tx, id).await?;
    }
    check(&input)?;
    let name = input.name.trim().to_owned();
    if taken(&mut tx, "statuses", "name", &name, id).await? {
        return Err(duplicate("name", "status", &name));
    }
    let now = now_ms();
    let status_id = id.unwrap_or_else(new_id);
    let sql = if id.is_some() {
        "UPDATE statuses SET category = $1, name = $2, agent_changeable = $3, supervisor_only = $4, \
         show_on_dashboard = $5, transferable = $6, play_sound = $7, crm_card_trigger = $8, active = $9, \
         updated_at = $10 WHERE id = $11"
    } else {
        "INSERT INTO statuses (category, name, agent_changeable, supervisor_only, show_on_dashboard, \
         transferable, play_sound, crm_card_trigger, active, created_at, updated_at, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
    let mut q = sqlx::query(sql)
        .bind(input.category.as_str())
        .bind(&name)
        .bind(input.agent_changeable)
        .bind(input.supervisor_only)
        .bind(input.show_on_dashboard)
        .bind(input.transferable)
        .bind(input.play_sound)
        .bind(input.crm_card_trigger)
        .bind(input.active)
        .bind(now);
    if id.is_none() {
        q = q.bind(now);
    }
    q.bind(status_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Saved::plain(Status {
        id: status_id,
        category: input.category,
        name,
        agent_changeable: input.agent_changeable,
        supervisor_only: input.supervisor_only,
        show_on_dashboard: input.show_on_dashboard,
        transferable: input.transferable,
        play_sound: input.play_sound,
        crm_card_trigger: input.crm_card_trigger,
        active: input.active,
        system: false,
    }))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    refuse_system(&mut tx, id).await?;
    sqlx::query("DELETE FROM statuses WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
