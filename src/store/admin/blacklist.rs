//! The blacklist: caller numbers (or prefixes, ending in `*`) a project
//! does not take calls from. Each entry says what a blacklisted caller
//! gets: refused with 403, or answered with a prompt and hung up.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{new_id, now_ms, AdminError, Check, Saved};
use crate::store::Store;

super::named_enum! {
    /// What a blacklisted caller gets.
    BlockAction {
        Refuse = "refuse",
        Prompt = "prompt",
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlacklistEntry {
    pub id: i64,
    pub project_id: i64,
    /// A number (`+15550100`) or a prefix (`+1555*`).
    pub number: String,
    pub action: BlockAction,
    /// The media library file a `prompt` entry plays before the hang-up.
    pub prompt: Option<String>,
}

/// What a client sends to create or replace an entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlacklistInput {
    pub project_id: i64,
    pub number: String,
    #[serde(default = "refuse")]
    pub action: BlockAction,
    #[serde(default)]
    pub prompt: Option<String>,
}

fn refuse() -> BlockAction {
    BlockAction::Refuse
}

/// Whether `pattern` is a number or a prefix: 1 to 20 digits, optionally
/// after a `+`, optionally followed by `*`.
pub fn is_pattern(pattern: &str) -> bool {
    let number = pattern.strip_suffix('*').unwrap_or(pattern);
    super::routes::is_number(number)
}

/// Whether `caller` is caught by `pattern`; a leading `+` is optional on
/// either side.
pub fn catches(pattern: &str, caller: &str) -> bool {
    let caller = caller.trim_start_matches('+');
    match pattern.strip_suffix('*') {
        Some(prefix) => caller.starts_with(prefix.trim_start_matches('+')),
        None => caller == pattern.trim_start_matches('+'),
    }
}

const SELECT: &str = "SELECT id, project_id, number, action, prompt FROM blacklist";

fn entry_of(row: &crate::store::DbRow) -> Result<BlacklistEntry, AdminError> {
    Ok(BlacklistEntry {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        number: row.try_get(2)?,
        action: BlockAction::parse(row.try_get(3)?)?,
        prompt: row.try_get(4)?,
    })
}

pub async fn list(store: &Store) -> Result<Vec<BlacklistEntry>, AdminError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY number, id"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(entry_of).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<BlacklistEntry, AdminError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("blacklist entry"))?;
    entry_of(&row)
}

pub async fn create(
    store: &Store,
    input: BlacklistInput,
) -> Result<Saved<BlacklistEntry>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: BlacklistInput,
) -> Result<Saved<BlacklistEntry>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: BlacklistInput,
) -> Result<Saved<BlacklistEntry>, AdminError> {
    let number = input.number.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "blacklist", id).await? {
            return Err(AdminError::NotFound("blacklist entry"));
        }
    }
    let mut c = Check::default();
    if !super::exists(&mut tx, "projects", input.project_id).await? {
        c.fail("project_id", "no such project");
    }
    if !is_pattern(&number) {
        c.fail(
            "number",
            "must be 1 to 20 digits, optionally after a + and before a * (a prefix)",
        );
    }
    match (input.action, &input.prompt) {
        (BlockAction::Prompt, None) => c.fail("prompt", "required when action is prompt"),
        (BlockAction::Refuse, Some(_)) => c.fail("prompt", "only a prompt entry plays one"),
        (_, Some(p)) if !super::ivr::is_prompt_name(p) => c.fail(
            "prompt",
            "must name a file of the media library, like prompts/en/goodbye",
        ),
        _ => {}
    }
    c.finish()?;
    let clash: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM blacklist WHERE project_id = $1 AND number = $2 AND id <> $3",
    )
    .bind(input.project_id)
    .bind(&number)
    .bind(id.unwrap_or(0))
    .fetch_one(&mut *tx)
    .await?;
    if clash > 0 {
        return Err(super::duplicate("number", "blacklist entry", &number));
    }
    let entry_id = id.unwrap_or_else(new_id);
    let now = now_ms();
    if id.is_some() {
        sqlx::query(
            "UPDATE blacklist SET project_id = $1, number = $2, action = $3, prompt = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(input.project_id)
        .bind(&number)
        .bind(input.action.as_str())
        .bind(&input.prompt)
        .bind(now)
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO blacklist (id, project_id, number, action, prompt, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry_id)
        .bind(input.project_id)
        .bind(&number)
        .bind(input.action.as_str())
        .bind(&input.prompt)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(BlacklistEntry {
        id: entry_id,
        project_id: input.project_id,
        number,
        action: input.action,
        prompt: input.prompt,
    }))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM blacklist WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("blacklist entry"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_prefixes_catch_callers_with_or_without_plus() {
        assert!(catches("+15550100", "15550100"));
        assert!(catches("15550100", "+15550100"));
        assert!(!catches("+15550100", "+155501000"));
        assert!(catches("+1555*", "+15559999"));
        assert!(catches("1555*", "+1555"));
        assert!(!catches("+1555*", "+1556"));
        assert!(is_pattern("+1555*") && is_pattern("0049301234"));
        assert!(!is_pattern("*") && !is_pattern("+15*55") && !is_pattern("anonymous"));
    }
}
