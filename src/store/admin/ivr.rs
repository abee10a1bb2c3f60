//! IVR menus and the destinations a call is sent to.
//!
//! A [`Destination`] is where a route, a menu key or a menu's fallback
//! sends a caller: a queue, a menu, a time condition, a voicemail box, an
//! agent's extension, an external number (through the project's outbound
//! routes) or a hang-up. It is stored as a
//! kind plus the one column its kind names (`queue_id`, a menu id, or
//! `text`), so the rows that name a queue or a menu can be found, and a
//! queue or menu still named cannot be deleted (409).
//!
//! A [`Menu`] belongs to a project and names only that project's queues and
//! menus. Its prompts name files of the media library (`prompts/en/goodbye`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{duplicate, new_id, now_ms, AdminError, Check, Saved};
use crate::store::Store;

/// Where a caller is sent. Stored as a kind and the one column it needs:
/// `queue_id`, `target_id` (a menu's id), or `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    Queue {
        queue_id: i64,
    },
    Menu {
        menu_id: i64,
    },
    /// A time condition: its open or closed destination, by the clock.
    Condition {
        condition_id: i64,
    },
    /// A voicemail box: the caller leaves a message.
    Voicemail {
        voicemail_id: i64,
    },
    /// An agent's phones, by their extension (SIP username).
    Extension {
        extension: String,
    },
    /// A number dialled out through the project's outbound routes.
    Number {
        number: String,
    },
    Hangup,
}

/// The destination kinds, as stored and sent.
pub const KINDS: &[&str] = &[
    "queue",
    "menu",
    "condition",
    "voicemail",
    "extension",
    "number",
    "hangup",
];

impl Destination {
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Queue { .. } => "queue",
            Destination::Menu { .. } => "menu",
            Destination::Condition { .. } => "condition",
            Destination::Voicemail { .. } => "voicemail",
            Destination::Extension { .. } => "extension",
            Destination::Number { .. } => "number",
            Destination::Hangup => "hangup",
        }
    }

    /// The stored columns: kind, queue id, target id, text.
    pub fn columns(&self) -> (&'static str, Option<i64>, Option<i64>, Option<&str>) {
        let kind = self.kind();
        match self {
            Destination::Queue { queue_id } => (kind, Some(*queue_id), None, None),
            Destination::Menu { menu_id: id }
            | Destination::Condition { condition_id: id }
            | Destination::Voicemail { voicemail_id: id } => (kind, None, Some(*id), None),
            Destination::Extension { extension: t } | Destination::Number { number: t } => {
                (kind, None, None, Some(t.as_str()))
            }
            Destination::Hangup => (kind, None, None, None),
        }
    }

    /// The destination of stored columns; `None` for a kind this server does
    /// not know or a row missing its column.
    pub fn from_columns(
        kind: &str,
        queue_id: Option<i64>,
        target_id: Option<i64>,
        text: Option<String>,
    ) -> Option<Destination> {
        Some(match kind {
            "queue" => Destination::Queue {
                queue_id: queue_id?,
            },
            "menu" => Destination::Menu {
                menu_id: target_id?,
            },
            "condition" => Destination::Condition {
                condition_id: target_id?,
            },
            "voicemail" => Destination::Voicemail {
                voicemail_id: target_id?,
            },
            "extension" => Destination::Extension { extension: text? },
            "number" => Destination::Number { number: text? },
            "hangup" => Destination::Hangup,
            _ => return None,
        })
    }
}

/// Checks `d` (named by input field `field`) for a destination of
/// `project`: the queue or menu exists in the project, the extension is
/// one of ours, the number is a number.
pub(crate) async fn check_destination(
    tx: &mut crate::store::DbConnection,
    c: &mut Check,
    field: &str,
    d: &Destination,
    project: Option<i64>,
) -> Result<(), AdminError> {
    match d {
        Destination::Queue { queue_id } => {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT project_id FROM queues WHERE id = $1")
                    .bind(queue_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match (owner, project) {
                (None, _) => c.fail(&format!("{field}.queue_id"), "no such queue"),
                (Some(o), Some(p)) if o != p => {
                    c.fail(&format!("{field}.queue_id"), "a queue of another project")
                }
                _ => {
                    let field = format!("{field}.queue_id");
                    super::voice_only::check_target(&mut *tx, c, &field, *queue_id).await?;
                }
            }
        }
        Destination::Menu { menu_id: id }
        | Destination::Condition { condition_id: id }
        | Destination::Voicemail { voicemail_id: id } => {
            let (table, name, what) = match d {
                Destination::Menu { .. } => ("ivr_menus", "menu_id", "menu"),
                Destination::Voicemail { .. } => {
                    ("voicemail_boxes", "voicemail_id", "voicemail box")
                }
                _ => ("time_conditions", "condition_id", "time condition"),
            };
            let owner: Option<i64> =
                sqlx::query_scalar(&format!("SELECT project_id FROM {table} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match (owner, project) {
                (None, _) => c.fail(&format!("{field}.{name}"), format!("no such {what}")),
                (Some(o), Some(p)) if o != p => c.fail(
                    &format!("{field}.{name}"),
                    format!("a {what} of another project"),
                ),
                _ => {}
            }
        }
        Destination::Extension { extension } => {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM extensions WHERE sip_username = $1")
                    .bind(extension)
                    .fetch_one(&mut *tx)
                    .await?;
            if n == 0 {
                c.fail(&format!("{field}.extension"), "no such extension");
            }
        }
        Destination::Number { number } => {
            if !super::routes::is_number(number) {
                c.fail(
                    &format!("{field}.number"),
                    "must be 1 to 20 digits, optionally after a +",
                );
            }
        }
        Destination::Hangup => {}
    }
    Ok(())
}

/// A stored menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Menu {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// The media library file played on entry and on every repeat.
    pub prompt: String,
    /// Played after a key the menu does not take; none plays nothing.
    pub invalid_prompt: Option<String>,
    /// How long the menu waits for a key after its prompt.
    pub timeout_secs: i64,
    /// How often the menu is played again after a timeout or a wrong key
    /// before the caller goes to `fallback`.
    pub repeat_count: i64,
    /// Key (`0`-`9`, `*`, `#`) to destination.
    pub options: BTreeMap<String, Destination>,
    pub fallback: Destination,
}

/// What a client sends to create or replace a menu.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuInput {
    pub project_id: i64,
    pub name: String,
    pub prompt: String,
    #[serde(default)]
    pub invalid_prompt: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: i64,
    #[serde(default = "default_repeat")]
    pub repeat_count: i64,
    #[serde(default)]
    pub options: BTreeMap<String, Destination>,
    #[serde(default = "hang_up")]
    pub fallback: Destination,
}

fn default_timeout() -> i64 {
    5
}

fn default_repeat() -> i64 {
    2
}

fn hang_up() -> Destination {
    Destination::Hangup
}

pub const MAX_NAME: usize = 100;
pub const MAX_PROMPT: usize = 200;
pub const MAX_TIMEOUT_SECS: i64 = 60;
pub const MAX_REPEAT: i64 = 10;
/// The keys a menu may take.
pub const KEYS: &str = "0123456789*#";

/// Whether `name` can name a file of the media library: letters, digits,
/// `-`, `_`, `.` and `/` between parts, none of them `..`.
pub fn is_prompt_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PROMPT
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

const SELECT: &str = "SELECT id, project_id, name, prompt, invalid_prompt, timeout_secs, \
    repeat_count, fallback_kind, fallback_queue_id, fallback_target_id, fallback_text FROM ivr_menus";

fn menu_of(row: &crate::store::DbRow) -> Result<Menu, AdminError> {
    let kind: String = row.try_get(7)?;
    let fallback =
        Destination::from_columns(&kind, row.try_get(8)?, row.try_get(9)?, row.try_get(10)?)
            .ok_or_else(|| {
                crate::store::StoreError::Invalid(format!("menu fallback of unknown kind {kind:?}"))
            })?;
    Ok(Menu {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        prompt: row.try_get(3)?,
        invalid_prompt: row.try_get(4)?,
        timeout_secs: row.try_get(5)?,
        repeat_count: row.try_get(6)?,
        options: BTreeMap::new(),
        fallback,
    })
}

/// Every menu's keys: menu id to key to destination. A stored key of a kind
/// this server does not know is left out, logged.
async fn options_of(
    conn: &mut crate::store::DbConnection,
    menu: Option<i64>,
) -> Result<Vec<(i64, String, Destination)>, AdminError> {
    let rows = sqlx::query(
        "SELECT menu_id, digit, kind, queue_id, target_id, text FROM ivr_menu_options \
         WHERE $1 IS NULL OR menu_id = $2 ORDER BY menu_id, digit",
    )
    .bind(menu)
    .bind(menu)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let kind: String = row.try_get(2)?;
        match Destination::from_columns(&kind, row.try_get(3)?, row.try_get(4)?, row.try_get(5)?) {
            Some(d) => out.push((row.try_get(0)?, row.try_get(1)?, d)),
            None => tracing::warn!(%kind, "menu key of an unknown kind left out"),
        }
    }
    Ok(out)
}

pub async fn list(store: &Store) -> Result<Vec<Menu>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows = sqlx::query(&format!("{SELECT} ORDER BY name, id"))
        .fetch_all(&mut *conn)
        .await?;
    let mut menus = rows.iter().map(menu_of).collect::<Result<Vec<_>, _>>()?;
    for (menu, digit, d) in options_of(&mut conn, None).await? {
        if let Some(m) = menus.iter_mut().find(|m| m.id == menu) {
            m.options.insert(digit, d);
        }
    }
    Ok(menus)
}

pub async fn get(store: &Store, id: i64) -> Result<Menu, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound("menu"))?;
    let mut menu = menu_of(&row)?;
    for (_, digit, d) in options_of(&mut conn, Some(id)).await? {
        menu.options.insert(digit, d);
    }
    Ok(menu)
}

pub async fn create(store: &Store, input: MenuInput) -> Result<Saved<Menu>, AdminError> {
    save(store, None, input).await
}

pub async fn update(store: &Store, id: i64, input: MenuInput) -> Result<Saved<Menu>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(store: &Store, id: Option<i64>, input: MenuInput) -> Result<Saved<Menu>, AdminError> {
    let name = input.name.trim().to_owned();
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "ivr_menus", id).await? {
            return Err(AdminError::NotFound("menu"));
        }
    }
    let menu_id = id.unwrap_or_else(new_id);
    let mut c = Check::default();
    c.text("name", &name, MAX_NAME);
    let project = super::exists(&mut tx, "projects", input.project_id).await?;
    if !project {
        c.fail("project_id", "no such project");
    }
    if !is_prompt_name(&input.prompt) {
        c.fail(
            "prompt",
            "must name a file of the media library, like prompts/en/goodbye",
        );
    }
    if let Some(p) = &input.invalid_prompt {
        if !is_prompt_name(p) {
            c.fail(
                "invalid_prompt",
                "must name a file of the media library, like prompts/en/goodbye",
            );
        }
    }
    c.range("timeout_secs", input.timeout_secs, 1, MAX_TIMEOUT_SECS);
    c.range("repeat_count", input.repeat_count, 0, MAX_REPEAT);
    let project_id = project.then_some(input.project_id);
    for (key, d) in &input.options {
        let field = format!("options.{key}");
        if key.chars().count() != 1 || !KEYS.contains(key.as_str()) {
            c.fail(&field, "a key is one of 0-9, * and #");
        }
        if *d != (Destination::Menu { menu_id }) {
            check_destination(&mut tx, &mut c, &field, d, project_id).await?;
        }
    }
    if input.fallback != (Destination::Menu { menu_id }) {
        check_destination(&mut tx, &mut c, "fallback", &input.fallback, project_id).await?;
    }
    c.finish()?;
    let clash: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ivr_menus WHERE project_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(input.project_id)
    .bind(&name)
    .bind(menu_id)
    .fetch_one(&mut *tx)
    .await?;
    if clash > 0 {
        return Err(duplicate("name", "menu", &name));
    }
    let now = now_ms();
    let (kind, queue, menu, text) = input.fallback.columns();
    if id.is_some() {
        sqlx::query(
            "UPDATE ivr_menus SET project_id = $1, name = $2, prompt = $3, invalid_prompt = $4, \
             timeout_secs = $5, repeat_count = $6, fallback_kind = $7, fallback_queue_id = $8, \
             fallback_target_id = $9, fallback_text = $10, updated_at = $11 WHERE id = $12",
        )
        .bind(input.project_id)
        .bind(&name)
        .bind(&input.prompt)
        .bind(&input.invalid_prompt)
        .bind(input.timeout_secs)
        .bind(input.repeat_count)
        .bind(kind)
        .bind(queue)
        .bind(menu)
        .bind(text)
        .bind(now)
        .bind(menu_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM ivr_menu_options WHERE menu_id = $1")
            .bind(menu_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO ivr_menus (id, project_id, name, prompt, invalid_prompt, timeout_secs, \
             repeat_count, fallback_kind, fallback_queue_id, fallback_target_id, fallback_text, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(menu_id)
        .bind(input.project_id)
        .bind(&name)
        .bind(&input.prompt)
        .bind(&input.invalid_prompt)
        .bind(input.timeout_secs)
        .bind(input.repeat_count)
        .bind(kind)
        .bind(queue)
        .bind(menu)
        .bind(text)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (key, d) in &input.options {
        let (kind, queue, menu, text) = d.columns();
        sqlx::query(
            "INSERT INTO ivr_menu_options (menu_id, digit, kind, queue_id, target_id, text) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(menu_id)
        .bind(key)
        .bind(kind)
        .bind(queue)
        .bind(menu)
        .bind(text)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Saved::plain(Menu {
        id: menu_id,
        project_id: input.project_id,
        name,
        prompt: input.prompt,
        invalid_prompt: input.invalid_prompt,
        timeout_secs: input.timeout_secs,
        repeat_count: input.repeat_count,
        options: input.options,
        fallback: input.fallback,
    }))
}

/// What leads to the target of `kind` (`menu`, `condition`) with `id`:
/// menus' keys and fallbacks, time conditions and routes (each but the
/// target itself), as the sentences of a 409.
pub(crate) async fn users_of(
    tx: &mut crate::store::DbConnection,
    kind: &str,
    id: i64,
) -> Result<Vec<String>, AdminError> {
    let mut reasons = Vec::new();
    let menus: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m.name FROM ivr_menus m LEFT JOIN ivr_menu_options o ON o.menu_id = m.id \
         WHERE NOT ($1 = 'menu' AND m.id = $2) AND ((o.kind = $3 AND o.target_id = $4) \
         OR (m.fallback_kind = $5 AND m.fallback_target_id = $6)) ORDER BY m.name",
    )
    .bind(kind)
    .bind(id)
    .bind(kind)
    .bind(id)
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !menus.is_empty() {
        reasons.push(format!("the menu(s) {} lead to it", menus.join(", ")));
    }
    let conditions: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM time_conditions WHERE NOT ($1 = 'condition' AND id = $2) \
         AND ((open_kind = $3 AND open_target_id = $4) OR (closed_kind = $5 AND closed_target_id = $6)) \
         ORDER BY name",
    )
    .bind(kind)
    .bind(id)
    .bind(kind)
    .bind(id)
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !conditions.is_empty() {
        reasons.push(format!(
            "the time condition(s) {} lead to it",
            conditions.join(", ")
        ));
    }
    let routes: Vec<String> = sqlx::query_scalar(
        "SELECT number FROM routes WHERE kind = $1 AND target_id = $2 ORDER BY number",
    )
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    if !routes.is_empty() {
        reasons.push(format!("the route(s) {} lead to it", routes.join(", ")));
    }
    if kind == "menu" {
        let queues: Vec<String> =
            sqlx::query_scalar("SELECT name FROM queues WHERE exit_menu_id = $1 ORDER BY name")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        if !queues.is_empty() {
            reasons.push(format!("the queue(s) {} exit to it", queues.join(", ")));
        }
    }
    Ok(reasons)
}

/// The menus (keys, fallback) and time conditions that send callers to the
/// queue `id`, by name.
pub(crate) async fn menus_naming_queue(
    tx: &mut crate::store::DbConnection,
    id: i64,
) -> Result<Vec<String>, AdminError> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m.name FROM ivr_menus m LEFT JOIN ivr_menu_options o ON o.menu_id = m.id \
         WHERE o.queue_id = $1 OR m.fallback_queue_id = $2 ORDER BY m.name",
    )
    .bind(id)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let conditions: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM time_conditions WHERE open_queue_id = $1 OR closed_queue_id = $2 \
         ORDER BY name",
    )
    .bind(id)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    names.extend(conditions);
    Ok(names)
}

/// Deletes a menu no route and no other menu leads to.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "ivr_menus", id).await? {
        return Err(AdminError::NotFound("menu"));
    }
    let reasons = users_of(&mut tx, "menu", id).await?;
    if !reasons.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!("the menu cannot be deleted: {}", reasons.join("; ")),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM ivr_menu_options WHERE menu_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM ivr_menus WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[path = "ivr_tests.rs"]
mod tests;
