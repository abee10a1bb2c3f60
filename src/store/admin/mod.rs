//! Administration data: projects, statuses, queues, queue groups, result codes,
//! tags, profiles, users, agent and pickup groups, login sessions, trunks,
//! routes and a queue's assigned agents, with the product's rules enforced
//! here rather than left to a UI.
//!
//! Every entity has the same five operations (`list`, `get`, `create`,
//! `update`, `delete`) as free functions in its module, taking the [`Store`].
//! Input is checked first and every failing field is reported at once
//! ([`AdminError::Invalid`]); each write then runs in one transaction, so a
//! refused change (a duplicate name, a queue still referenced) leaves nothing
//! half-saved. Ids are random below 2^53: unique across nodes, and exact as
//! JSON numbers. [`dispatch`] turns the stored configuration into what the
//! dispatch core (`acd`) takes.

pub mod announcements;
pub mod blacklist;
pub mod conditions;
pub mod destination;
pub mod dial_pattern;
pub mod dispatch;
pub mod extensions;
pub mod ivr;
pub mod member_groups;
pub mod outbound_routes;
pub mod panel;
pub mod passwords;
pub mod permissions;
pub mod profiles;
pub mod projects;
pub mod queue_agents;
pub mod queue_groups;
pub mod queue_rules;
pub mod queues;
pub mod result_codes;
pub mod routes;
pub mod sessions;
pub mod statuses;
pub mod tags;
pub mod trunks;
pub mod users;
pub mod users_csv;
pub mod voice_only;

pub use member_groups::{agent_groups, pickup_groups};

use std::collections::HashMap;
use std::time::SystemTime;

use serde::Serialize;

use super::{unix_ms, Store, StoreError};

/// One refused input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why an administration operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input breaks the product's rules (422); every failing field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such id.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with stored data (a duplicate unique value, or a
    /// row still referenced); `detail` names what blocks it.
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The system status Available and its like.
    #[error("{0}")]
    ReadOnly(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AdminError {
    fn from(e: sqlx::Error) -> Self {
        // The checks before each write name the field; this is the backstop
        // for a race they cannot see.
        let unique = e
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation());
        if unique {
            return AdminError::Conflict {
                detail: "the change conflicts with a value saved at the same moment".into(),
                errors: Vec::new(),
            };
        }
        AdminError::Store(StoreError::Database(e))
    }
}

/// A warning about one field of an input: the write goes through, but the
/// setting will not work as the operator may expect (or was changed).
/// `message` is the whole sentence, as a write's `warnings` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub field: &'static str,
    pub message: String,
}

impl Warning {
    pub fn new(field: &'static str, message: impl Into<String>) -> Warning {
        Warning {
            field,
            message: message.into(),
        }
    }

    /// The sentences of `warnings`, as a write answers them.
    pub fn messages(warnings: Vec<Warning>) -> Vec<String> {
        warnings.into_iter().map(|w| w.message).collect()
    }
}

/// A stored item with the warnings its write produced (a value raised to a
/// minimum, a setting that will not work as the operator may expect).
#[derive(Debug, Clone, Serialize)]
pub struct Saved<T> {
    #[serde(flatten)]
    pub item: T,
    pub warnings: Vec<String>,
}

impl<T> Saved<T> {
    pub fn plain(item: T) -> Saved<T> {
        Saved {
            item,
            warnings: Vec::new(),
        }
    }
}

/// Collects field errors while checking an input.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// A name-like text: trimmed, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min || value > max {
            self.fail(field, format!("must be between {min} and {max}"));
        }
    }

    /// `Ok` when nothing failed.
    pub fn finish(self) -> Result<(), AdminError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AdminError::Invalid(self.errors))
        }
    }
}

/// A new id: random, between 2^40 and 2^53, so it never meets the small ids
/// the migrations seed (the system status is 1).
pub(crate) fn new_id() -> i64 {
    (rand::random::<u64>() >> 11) as i64 | 1 << 40
}

pub(crate) fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

/// A conflict on one unique field.
pub(crate) fn duplicate(field: &str, what: &str, value: &str) -> AdminError {
    AdminError::Conflict {
        detail: format!("a {what} with {field} {value:?} already exists"),
        errors: vec![FieldError {
            field: field.to_owned(),
            message: "already in use".to_owned(),
        }],
    }
}

/// Whether a value of a unique column is already taken (by a row other than `id`).
pub(crate) async fn taken(
    tx: &mut crate::store::DbConnection,
    table: &str,
    column: &str,
    value: &str,
    id: Option<i64>,
) -> Result<bool, AdminError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1 AND id <> $2");
    let n: i64 = sqlx::query_scalar(&sql)
        .bind(value)
        .bind(id.unwrap_or(0))
        .fetch_one(&mut *tx)
        .await?;
    Ok(n > 0)
}

/// Whether a row with `id` exists in `table`.
pub(crate) async fn exists(
    tx: &mut crate::store::DbConnection,
    table: &str,
    id: i64,
) -> Result<bool, AdminError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    let n: i64 = sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    Ok(n > 0)
}

/// The rows of a two-column query, `(owner id, value)`, grouped by owner in
/// the query's order: a list reads each link table once for all its items
/// rather than once per item.
pub(crate) async fn grouped<T>(
    conn: &mut crate::store::DbConnection,
    sql: &str,
) -> Result<HashMap<i64, Vec<T>>, AdminError>
where
    T: for<'r> sqlx::Decode<'r, crate::store::Db> + sqlx::Type<crate::store::Db> + Send + Unpin,
{
    let rows: Vec<(i64, T)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    let mut out: HashMap<i64, Vec<T>> = HashMap::new();
    for (owner, value) in rows {
        out.entry(owner).or_default().push(value);
    }
    Ok(out)
}

impl Store {
    /// A configuration write: see [`Store::begin_checked`].
    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'_, crate::store::Db>, AdminError> {
        Ok(self.begin_checked().await?)
    }
}

/// Declares a product enum stored and sent as its snake_case name.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<$name, $crate::store::StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::store::StoreError::Invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), other
                    ))),
                }
            }
        }
    };
}
pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_and_exact_in_json() {
        for _ in 0..1000 {
            let id = new_id();
            assert!(id > 0 && id < 1 << 53);
        }
    }
}
