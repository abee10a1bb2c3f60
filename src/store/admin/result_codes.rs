//! Result codes: how an agent closes an interaction. A code has a category
//! (success, fail, schedule, other), a type (call, written channel, product),
//! a unique short display name (at most [`MAX_DISPLAY_NAME`] characters) and
//! feature flags. Incompatible flags are refused: a code that asks for a date
//! schedules its own follow-up, so it cannot also say "call again". A code a
//! queue offers cannot be deleted until the queue stops offering it.
//!
//! Two lengths go with the flags: Extra Time adds `extra_time_secs` to the
//! agent's after-call work, and the follow-up of Call Again (or of Remind
//! when the agent gives no date) falls due `follow_up_secs` after the
//! result (both 0 unless set; migration 0024).

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, named_enum, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::{Store, StoreError};

/// The longest display name, in characters (it is shown on agent buttons).
pub const MAX_DISPLAY_NAME: usize = 32;

/// The longest extra time a code may add to after-call work: an hour.
pub const MAX_EXTRA_TIME_SECS: u32 = 3600;

/// The longest delay of a follow-up: 30 days.
pub const MAX_FOLLOW_UP_SECS: u32 = 30 * 24 * 3600;

named_enum! {
    ResultCategory {
        Success = "success",
        Fail = "fail",
        Schedule = "schedule",
        Other = "other",
    }
}

named_enum! {
    ResultCodeType {
        Call = "call",
        WrittenChannel = "written_channel",
        Product = "product",
    }
}

/// The feature flags of a result code; each defaults to off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResultCodeFlags {
    pub ask_date: bool,
    /// Closes the contact's work: no further result code follows.
    pub final_result: bool,
    pub contact: bool,
    pub show_on_dashboard: bool,
    pub delete_action_date: bool,
    pub phone_answered: bool,
    /// The follow-up goes to the same agent.
    #[serde(rename = "self")]
    pub own: bool,
    pub note_required: bool,
    pub contact_callable: bool,
    pub phone_callable: bool,
    pub deactivate_phone: bool,
    pub send_sms: bool,
    pub send_email: bool,
    pub deactivate: bool,
    pub extra_time: bool,
    pub call_again: bool,
    pub remind: bool,
    pub assign: bool,
    pub delete_assignment: bool,
    pub http: bool,
}

/// A stored result code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultCode {
    pub id: i64,
    pub category: ResultCategory,
    #[serde(rename = "type")]
    pub kind: ResultCodeType,
    pub display_name: String,
    pub flags: ResultCodeFlags,
    /// After-call work added when the code is chosen (with `extra_time`).
    pub extra_time_secs: u32,
    /// When the follow-up of Call Again (or of Remind without a date) falls
    /// due, after the result.
    pub follow_up_secs: u32,
}

/// What a client sends to create or replace a result code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultCodeInput {
    pub category: ResultCategory,
    #[serde(rename = "type")]
    pub kind: ResultCodeType,
    pub display_name: String,
    #[serde(default)]
    pub flags: ResultCodeFlags,
    #[serde(default)]
    pub extra_time_secs: u32,
    #[serde(default)]
    pub follow_up_secs: u32,
}

const COLUMNS: &str = "id, category, kind, display_name, flags, extra_time_secs, follow_up_secs";

fn from_row(row: &DbRow) -> Result<ResultCode, AdminError> {
    let flags: String = row.try_get(4)?;
    Ok(ResultCode {
        id: row.try_get(0)?,
        category: ResultCategory::parse(row.try_get(1)?)?,
        kind: ResultCodeType::parse(row.try_get(2)?)?,
        display_name: row.try_get(3)?,
        flags: serde_json::from_str(&flags)
            .map_err(|e| StoreError::Invalid(format!("stored result code flags: {e}")))?,
        extra_time_secs: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
        follow_up_secs: u32::try_from(row.try_get::<i64, _>(6)?).unwrap_or(0),
    })
}

fn check(input: &ResultCodeInput) -> Result<(), AdminError> {
    let mut c = Check::default();
    c.text("display_name", &input.display_name, MAX_DISPLAY_NAME);
    if input.flags.ask_date && input.flags.call_again {
        c.fail(
            "flags.call_again",
            "ask_date and call_again cannot be used together",
        );
    }
    if input.extra_time_secs > MAX_EXTRA_TIME_SECS {
        c.fail(
            "extra_time_secs",
            format!("at most {MAX_EXTRA_TIME_SECS} seconds"),
        );
    }
    if input.follow_up_secs > MAX_FOLLOW_UP_SECS {
        c.fail(
            "follow_up_secs",
            format!("at most {MAX_FOLLOW_UP_SECS} seconds"),
        );
    }
    c.finish()
}

pub async fn list(store: &Store) -> Result<Vec<ResultCode>, AdminError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM result_codes ORDER BY display_name"
    ))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<ResultCode, AdminError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM result_codes WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("result code"))?;
    from_row(&row)
}

pub async fn create(
    store: &Store,
    input: ResultCodeInput,
) -> Result<Saved<ResultCode>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: ResultCodeInput,
) -> Result<Saved<ResultCode>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: ResultCodeInput,
) -> Result<Saved<ResultCode>, AdminError> {
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "result_codes", id).await? {
            return Err(AdminError::NotFound("result code"));
        }
    }
    check(&input)?;
    let display_name = input.display_name.trim().to_owned();
    if taken(&mut tx, "result_codes", "display_name", &display_name, id).await? {
        return Err(duplicate("display_name", "result code", &display_name));
    }
    let flags = serde_json::to_string(&input.flags)
        .map_err(|e| StoreError::Invalid(format!("result code flags: {e}")))?;
    let now = now_ms();
    let code_id = id.unwrap_or_else(new_id);
    let sql = if id.is_some() {
        "UPDATE result_codes SET category = $1, kind = $2, display_name = $3, flags = $4, \
         extra_time_secs = $5, follow_up_secs = $6, updated_at = $7 WHERE id = $8"
    } else {
        "INSERT INTO result_codes (category, kind, display_name, flags, extra_time_secs, \
         follow_up_secs, updated_at, created_at, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    };
    let mut q = sqlx::query(sql)
        .bind(input.category.as_str())
        .bind(input.kind.as_str())
        .bind(&display_name)
        .bind(&flags)
        .bind(i64::from(input.extra_time_secs))
        .bind(i64::from(input.follow_up_secs))
        .bind(now);
    if id.is_none() {
        q = q.bind(now);
    }
    q.bind(code_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Saved::plain(ResultCode {
        id: code_id,
        category: input.category,
        kind: input.kind,
        display_name,
        flags: input.flags,
        extra_time_secs: input.extra_time_secs,
        follow_up_secs: input.follow_up_secs,
    }))
}

/// Deletes a result code that no queue offers.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "result_codes", id).await? {
        return Err(AdminError::NotFound("result code"));
    }
    let queues: Vec<String> = sqlx::query_scalar(
        "SELECT q.name FROM queues q JOIN queue_result_codes r ON r.queue_id = q.id \
         WHERE r.result_code_id = $1 ORDER BY q.name",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !queues.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the result code is offered by the queue(s) {}; take it off them first",
                queues.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    let profiles: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM profiles p JOIN profile_result_codes r ON r.profile_id = p.id \
         WHERE r.result_code_id = $1 ORDER BY p.name",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !profiles.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the result code is offered by the profile(s) {}; take it off them first",
                profiles.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM result_codes WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The result codes a queue offers, in the order given.
pub(crate) async fn of_queue(
    conn: &mut crate::store::DbConnection,
    queue: i64,
) -> Result<Vec<i64>, AdminError> {
    Ok(sqlx::query_scalar(
        "SELECT result_code_id FROM queue_result_codes WHERE queue_id = $1 ORDER BY position",
    )
    .bind(queue)
    .fetch_all(&mut *conn)
    .await?)
}

/// Checks that every id in `codes` names a result code, once.
pub(crate) async fn check_ids(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    codes: &[i64],
) -> Result<(), AdminError> {
    for (i, code) in codes.iter().enumerate() {
        if codes[..i].contains(code) {
            c.fail(&format!("result_codes[{i}]"), "listed twice");
        } else if !super::exists(conn, "result_codes", *code).await? {
            c.fail(&format!("result_codes[{i}]"), "no such result code");
        }
    }
    Ok(())
}

/// Replaces the result codes a queue offers (inside the caller's transaction).
pub(crate) async fn set_for_queue(
    conn: &mut crate::store::DbConnection,
    queue: i64,
    codes: &[i64],
) -> Result<(), AdminError> {
    sqlx::query("DELETE FROM queue_result_codes WHERE queue_id = $1")
        .bind(queue)
        .execute(&mut *conn)
        .await?;
    for (position, code) in codes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO queue_result_codes (queue_id, result_code_id, position) VALUES ($1, $2, $3)",
        )
        .bind(queue)
        .bind(code)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Where the result codes offered for a call come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferedFrom {
    /// The queue names its own codes.
    Queue,
    /// The queue's profile, else the agent's profiles, name codes.
    Profile,
    /// Neither: the general codes, those no queue or profile names.
    General,
}

/// The result codes an agent sees for a call of a queue, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offered {
    pub source: OfferedFrom,
    pub result_codes: Vec<ResultCode>,
}

/// The codes an agent sees for a call of `queue`: the queue's codes, else
/// the profile's (the queue's profile first, then those of `user`, in the
/// order the user holds them), else the general codes.
pub async fn offered(store: &Store, queue: i64, user: Option<i64>) -> Result<Offered, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let queue_profile: Option<Option<String>> =
        sqlx::query_scalar("SELECT profile FROM queues WHERE id = $1")
            .bind(queue)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(queue_profile) = queue_profile else {
        return Err(AdminError::NotFound("queue"));
    };
    let all = list(store).await?;
    let pick = |ids: &[i64]| -> Vec<ResultCode> {
        ids.iter()
            .filter_map(|id| all.iter().find(|c| c.id == *id).cloned())
            .collect()
    };
    let own = of_queue(&mut conn, queue).await?;
    if !own.is_empty() {
        return Ok(Offered {
            source: OfferedFrom::Queue,
            result_codes: pick(&own),
        });
    }
    let mut profiles: Vec<i64> = Vec::new();
    if let Some(name) = queue_profile {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM profiles WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        profiles.extend(id);
    }
    if let Some(user) = user {
        let held: Vec<i64> = sqlx::query_scalar(
            "SELECT profile_id FROM user_profiles WHERE user_id = $1 ORDER BY profile_id",
        )
        .bind(user)
        .fetch_all(&mut *conn)
        .await?;
        profiles.extend(held);
    }
    let mut codes: Vec<i64> = Vec::new();
    for profile in profiles {
        for code in super::profiles::codes(&mut conn, profile).await? {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    if !codes.is_empty() {
        return Ok(Offered {
            source: OfferedFrom::Profile,
            result_codes: pick(&codes),
        });
    }
    let named: Vec<i64> = sqlx::query_scalar(
        "SELECT result_code_id FROM queue_result_codes \
         UNION SELECT result_code_id FROM profile_result_codes",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Offered {
        source: OfferedFrom::General,
        result_codes: all.into_iter().filter(|c| !named.contains(&c.id)).collect(),
    })
}
