//! Time conditions: a project's weekly opening hours and holidays, and where
//! a caller goes while it is open and while it is closed. A condition is a
//! [`Destination`] (kind `condition`) that routes and menus name.
//!
//! Hours are `HH:MM-HH:MM` intervals per weekday (`monday` .. `sunday`),
//! read in the project's time zone; `24:00` ends a day. Holidays are dates
//! (`YYYY-MM-DD`) closed all day. Evaluation is
//! [`crate::call::schedule::Schedule::is_open`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::ivr::{check_destination, Destination};
use super::{duplicate, new_id, now_ms, AdminError, Check, Saved};
use crate::store::Store;

/// The weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub const MAX_NAME: usize = 100;
pub const MAX_INTERVALS: usize = 12;
pub const MAX_HOLIDAYS: usize = 366;

/// A stored time condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// Weekday to its open intervals (`09:00-17:00`); a missing day is closed.
    pub weekly: BTreeMap<String, Vec<String>>,
    pub holidays: Vec<String>,
    pub open: Destination,
    pub closed: Destination,
}

/// What a client sends to create or replace a time condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionInput {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<String>,
    pub open: Destination,
    pub closed: Destination,
}

/// The minutes `[from, to)` of an interval `HH:MM-HH:MM`; `None` when it is
/// not one, or is empty.
pub fn interval(text: &str) -> Option<(u16, u16)> {
    let (from, to) = text.split_once('-')?;
    let minute = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let (from, to) = (minute(from)?, minute(to)?);
    (from < to).then_some((from, to))
}

/// The week of `weekly` as the schedule takes it, Monday first; unknown
/// days and bad intervals are left out (the input check refuses them).
pub fn week(weekly: &BTreeMap<String, Vec<String>>) -> [Vec<(u16, u16)>; 7] {
    std::array::from_fn(|i| {
        weekly
            .get(WEEKDAYS[i])
            .map(|list| list.iter().filter_map(|t| interval(t)).collect())
            .unwrap_or_default()
    })
}

const SELECT: &str = "SELECT id, project_id, name, weekly, holidays, open_kind, open_queue_id, \
    open_target_id, open_text, closed_kind, closed_queue_id, closed_target_id, closed_text \
    FROM time_conditions";

fn condition_of(row: &crate::store::DbRow) -> Result<Condition, AdminError> {
    let destination = |at: usize| -> Result<Destination, AdminError> {
        let kind: String = row.try_get(at)?;
        Destination::from_columns(
            &kind,
            row.try_get(at + 1)?,
            row.try_get(at + 2)?,
            row.try_get(at + 3)?,
        )
        .ok_or_else(|| {
            crate::store::StoreError::Invalid(format!("condition target of kind {kind:?}")).into()
        })
    };
    let json = |at: usize| -> Result<String, AdminError> { Ok(row.try_get(at)?) };
    Ok(Condition {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        weekly: serde_json::from_str(&json(3)?).unwrap_or_default(),
        holidays: serde_json::from_str(&json(4)?).unwrap_or_default(),
        open: destination(5)?,
        closed: destination(9)?,
    })
}

pub async fn list(store: &Store) -> Result<Vec<Condition>, AdminError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY name, id"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(condition_of).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Condition, AdminError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("time condition"))?;
    condition_of(&row)
}

pub async fn create(store: &Store, input: ConditionInput) -> Result<Saved<Condition>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: ConditionInput,
) -> Result<Saved<Condition>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: ConditionInput,
) -> Result<Saved<Condition>, AdminError> {
    let name = input.name.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "time_conditions", id).await? {
            return Err(AdminError::NotFound("time condition"));
        }
    }
    let cond_id = id.unwrap_or_else(new_id);
    let mut c = Check::default();
    c.text("name", &name, MAX_NAME);
    let project = super::exists(&mut tx, "projects", input.project_id).await?;
    if !project {
        c.fail("project_id", "no such project");
    }
    for (day, list) in &input.weekly {
        let field = format!("weekly.{day}");
        if !WEEKDAYS.contains(&day.as_str()) {
            c.fail(&field, "a weekday is monday .. sunday");
        }
        if list.len() > MAX_INTERVALS {
            c.fail(&field, format!("at most {MAX_INTERVALS} intervals"));
        }
        for (i, t) in list.iter().enumerate() {
            if interval(t).is_none() {
                c.fail(
                    &format!("{field}[{i}]"),
                    "an interval is HH:MM-HH:MM, its start before its end (24:00 at most)",
                );
            }
        }
    }
    if input.holidays.len() > MAX_HOLIDAYS {
        c.fail("holidays", format!("at most {MAX_HOLIDAYS} dates"));
    }
    for (i, d) in input.holidays.iter().enumerate() {
        if d.len() != 10 || d.parse::<jiff::civil::Date>().is_err() {
            c.fail(&format!("holidays[{i}]"), "a date is YYYY-MM-DD");
        }
    }
    let project_id = project.then_some(input.project_id);
    for (field, d) in [("open", &input.open), ("closed", &input.closed)] {
        if *d
            == (Destination::Condition {
                condition_id: cond_id,
            })
        {
            c.fail(field, "a condition cannot lead to itself");
        } else {
            check_destination(&mut tx, &mut c, field, d, project_id).await?;
        }
    }
    c.finish()?;
    let clash: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM time_conditions WHERE project_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(input.project_id)
    .bind(&name)
    .bind(cond_id)
    .fetch_one(&mut *tx)
    .await?;
    if clash > 0 {
        return Err(duplicate("name", "time condition", &name));
    }
    let weekly = serde_json::to_string(&input.weekly).unwrap_or_else(|_| "{}".into());
    let holidays = serde_json::to_string(&input.holidays).unwrap_or_else(|_| "[]".into());
    let (ok, oq, ot, ox) = input.open.columns();
    let (ck, cq, ct, cx) = input.closed.columns();
    let now = now_ms();
    if id.is_some() {
        sqlx::query(
            "UPDATE time_conditions SET project_id = $1, name = $2, weekly = $3, holidays = $4, \
             open_kind = $5, open_queue_id = $6, open_target_id = $7, open_text = $8, \
             closed_kind = $9, closed_queue_id = $10, closed_target_id = $11, closed_text = $12, \
             updated_at = $13 WHERE id = $14",
        )
        .bind(input.project_id)
        .bind(&name)
        .bind(&weekly)
        .bind(&holidays)
        .bind(ok)
        .bind(oq)
        .bind(ot)
        .bind(ox)
        .bind(ck)
        .bind(cq)
        .bind(ct)
        .bind(cx)
        .bind(now)
        .bind(cond_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO time_conditions (id, project_id, name, weekly, holidays, open_kind, \
             open_queue_id, open_target_id, open_text, closed_kind, closed_queue_id, \
             closed_target_id, closed_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(cond_id)
        .bind(input.project_id)
        .bind(&name)
        .bind(&weekly)
        .bind(&holidays)
        .bind(ok)
        .bind(oq)
        .bind(ot)
        .bind(ox)
        .bind(ck)
        .bind(cq)
        .bind(ct)
        .bind(cx)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(Condition {
        id: cond_id,
        project_id: input.project_id,
        name,
        weekly: input.weekly,
        holidays: input.holidays,
        open: input.open,
        closed: input.closed,
    }))
}

/// Deletes a condition no route, menu or other condition leads to.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "time_conditions", id).await? {
        return Err(AdminError::NotFound("time condition"));
    }
    let reasons = super::ivr::users_of(&mut tx, "condition", id).await?;
    if !reasons.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the time condition cannot be deleted: {}",
                reasons.join("; ")
            ),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM time_conditions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_minutes_of_the_day() {
        assert_eq!(interval("09:00-17:30"), Some((540, 1050)));
        assert_eq!(interval("22:00-24:00"), Some((1320, 1440)));
        for bad in [
            "9:00-17:00",
            "17:00-09:00",
            "10:00-10:00",
            "24:30-25:00",
            "x",
            "09:60-10:00",
        ] {
            assert_eq!(interval(bad), None, "{bad}");
        }
        let weekly = BTreeMap::from([
            (
                "monday".to_owned(),
                vec!["09:00-12:00".to_owned(), "13:00-17:00".to_owned()],
            ),
            ("sunday".to_owned(), vec!["00:00-02:00".to_owned()]),
        ]);
        let w = week(&weekly);
        assert_eq!(w[0], [(540, 720), (780, 1020)]);
        assert!(w[1].is_empty());
        assert_eq!(w[6], [(0, 120)]);
    }
}
