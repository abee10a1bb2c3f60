//! Users as CSV (RFC 4180): export, and an all-or-nothing import.
//!
//! The first line names the columns. `username`, `first_name`, `last_name` and
//! `profiles` are required; `password`, `priority`, `state` and `projects` may
//! be added. Profiles and projects are given by name, several separated by
//! `;`. An import checks every row first and reports every bad one with its
//! line number (`line 3.username`); only a file without any is imported, in
//! one transaction. Export writes the same columns, without passwords.

use std::collections::HashMap;

use serde::Serialize;

use super::users::{check_fields, insert, settle, UserInput};
use super::{AdminError, Check, FieldError};
use crate::store::{Store, UserState};

/// The columns export writes, in order; an import needs the first three and `profiles`.
pub const COLUMNS: &[&str] = &[
    "username",
    "first_name",
    "last_name",
    "state",
    "priority",
    "profiles",
    "projects",
];

const REQUIRED: &[&str] = &["username", "first_name", "last_name", "profiles"];
const OPTIONAL: &[&str] = &["password", "priority", "state", "projects"];

/// The most rows one import takes.
pub const MAX_ROWS: usize = 1000;

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub imported: usize,
    /// The new users' ids, in the file's order.
    pub users: Vec<i64>,
}

/// Splits CSV text into records, each with the line it starts on. Quoted
/// fields may hold commas, doubled quotes and line breaks.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, FieldError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut line = 1;
    let mut start = 1;
    let mut field = String::new();
    let mut fields = Vec::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push((start, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start = line;
            }
            _ => field.push(ch),
        }
    }
    if quoted {
        return Err(FieldError {
            field: format!("line {start}"),
            message: "a quoted field is not closed".into(),
        });
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

fn quote(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Every user as CSV, with a header line.
pub async fn export(store: &Store) -> Result<String, AdminError> {
    let users = super::users::list(store).await?;
    let profiles: HashMap<i64, String> = sqlx::query_as("SELECT id, name FROM profiles")
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .collect();
    let projects: HashMap<i64, String> = sqlx::query_as("SELECT id, name FROM projects")
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .collect();
    let names = |ids: &[i64], table: &HashMap<i64, String>| -> String {
        let mut names: Vec<&str> = ids
            .iter()
            .filter_map(|id| table.get(id).map(String::as_str))
            .collect();
        names.sort_unstable();
        names.join(";")
    };
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for u in users {
        let row = [
            u.username.clone(),
            u.first_name.clone(),
            u.last_name.clone(),
            u.state.clone(),
            u.priority.to_string(),
            names(&u.profiles, &profiles),
            names(&u.projects, &projects),
        ];
        let row: Vec<String> = row.iter().map(|v| quote(v)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Names separated by `;`, trimmed, blanks dropped.
fn split_names(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Imports the users of `text`: every row or none.
pub async fn import(store: &Store, text: &str) -> Result<Imported, AdminError> {
    let records = parse(text).map_err(|e| AdminError::Invalid(vec![e]))?;
    let mut c = Check::default();
    let Some(((_, header), rows)) = records.split_first() else {
        c.fail(
            "line 1",
            "the file is empty; the first line names the columns",
        );
        c.finish()?;
        unreachable!("finish fails");
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    for (i, h) in header.iter().enumerate() {
        if !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()) {
            c.fail("line 1", format!("unknown column {h:?}"));
        } else if header[..i].contains(h) {
            c.fail("line 1", format!("column {h:?} named twice"));
        }
    }
    for required in REQUIRED {
        if !header.iter().any(|h| h == required) {
            c.fail("line 1", format!("the column {required:?} is required"));
        }
    }
    if rows.len() > MAX_ROWS {
        c.fail("body", format!("at most {MAX_ROWS} users per import"));
    }
    std::mem::take(&mut c).finish()?;

    let mut conn = store.pool().acquire().await?;
    let profiles: HashMap<String, i64> = sqlx::query_as("SELECT name, id FROM profiles")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let projects: HashMap<String, i64> = sqlx::query_as("SELECT name, id FROM projects")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    drop(conn);

    let mut inputs = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, values) in rows {
        let at = format!("line {line}.");
        if values.len() != header.len() {
            c.fail(
                &format!("line {line}"),
                format!("expected {} fields, found {}", header.len(), values.len()),
            );
            continue;
        }
        let get = |name: &str| -> Option<&str> {
            header
                .iter()
                .position(|h| h == name)
                .map(|i| values[i].as_str())
        };
        let mut lookup = |column: &str, table: &HashMap<String, i64>, what: &str| -> Vec<i64> {
            let mut ids = Vec::new();
            for name in split_names(get(column).unwrap_or("")) {
                match table.get(&name) {
                    Some(id) if !ids.contains(id) => ids.push(*id),
                    Some(_) => {}
                    None => c.fail(&format!("{at}{column}"), format!("no such {what} {name:?}")),
                }
            }
            ids
        };
        let profile_ids = lookup("profiles", &profiles, "profile");
        let project_ids = lookup("projects", &projects, "project");
        let priority = match get("priority").map(str::trim) {
            None | Some("") => 0,
            Some(p) => p.parse().unwrap_or_else(|_| {
                c.fail(&format!("{at}priority"), "must be a whole number");
                0
            }),
        };
        let input = UserInput {
            username: get("username").unwrap_or("").to_owned(),
            first_name: get("first_name").unwrap_or("").to_owned(),
            last_name: get("last_name").unwrap_or("").to_owned(),
            password: get("password").filter(|p| !p.is_empty()).map(str::to_owned),
            priority,
            state: get("state")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            projects: project_ids,
            profiles: profile_ids,
            queues: Vec::new(),
        };
        // An unknown profile is reported above; "at least one" only when the
        // column is empty.
        let named_profiles = !split_names(get("profiles").unwrap_or("")).is_empty();
        let mut row_check = Check::default();
        check_fields(&mut row_check, &at, &input);
        if let Err(AdminError::Invalid(errors)) = row_check.finish() {
            for e in errors {
                if !(named_profiles && e.field == format!("{at}profiles")) {
                    c.fail(&e.field, e.message);
                }
            }
        }
        let username = input.username.trim().to_owned();
        if !username.is_empty() {
            if let Some(first) = seen.get(&username) {
                c.fail(
                    &format!("{at}username"),
                    format!("{username:?} is already on line {first}"),
                );
            } else {
                seen.insert(username, *line);
            }
        }
        inputs.push((*line, input));
    }
    std::mem::take(&mut c).finish()?;

    let mut settled = Vec::with_capacity(inputs.len());
    for (line, input) in inputs {
        match settle(store, &format!("line {line}."), input).await {
            Ok(user) => settled.push((line, user)),
            Err(errors) => {
                for e in errors {
                    c.fail(&e.field, e.message);
                }
            }
        }
    }
    std::mem::take(&mut c).finish()?;

    let mut tx = store.begin().await?;
    for (line, user) in &settled {
        if super::taken(&mut tx, "users", "username", &user.username, None).await? {
            c.fail(
                &format!("line {line}.username"),
                format!("a user {:?} already exists", user.username),
            );
        }
    }
    std::mem::take(&mut c).finish()?;
    let mut ids = Vec::with_capacity(settled.len());
    for (_, user) in &settled {
        let state = user.state.unwrap_or(UserState::New);
        ids.push(insert(&mut tx, user, state).await?);
    }
    tx.commit().await?;
    Ok(Imported {
        imported: ids.len(),
        users: ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_line_numbers_and_quotes() {
        let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\nlast,row";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0], (1, vec!["a".into(), "b".into()]));
        assert_eq!(records[1], (2, vec!["x, y".into(), "say \"hi\"".into()]));
        assert_eq!(records[2], (4, vec!["two\nlines".into(), "z".into()]));
        assert_eq!(records[3], (6, vec!["last".into(), "row".into()]));
        assert!(parse("a,\"open").is_err());
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("plain"), "plain");
    }
}
