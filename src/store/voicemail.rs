//! Voicemail boxes and the messages left in them.
//!
//! A box belongs to one queue or one user (never both, never neither); its
//! greeting is the built-in prompt unless it names another, its messages are
//! cut at `max_message_secs`, and with an e-mail address each new message is
//! mailed there. A message row is written only once its WAV file is complete
//! under its final name (see [`crate::call::voicemail`]), so a listed message
//! always has a whole file. Deleting a message deletes its row; the caller of
//! [`Store::delete_voicemail_message`] removes the file it returns.
//!
//! Who sees a box: its user, the agents who serve its queue, and whoever sees
//! every queue ([`Store::voicemail_visible`]).

use serde::{Deserialize, Serialize};

use super::admin::{new_id, now_ms, AdminError, Check, FieldError};
use super::{Store, StoreError};

/// The longest a message may be set to last.
pub const MAX_MESSAGE_SECS: i64 = 3600;
/// The most messages one listing returns.
pub const MAX_MESSAGES: i64 = 1000;

/// A stored voicemail box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoicemailBox {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// The queue whose box it is (or `user_id`).
    pub queue_id: Option<i64>,
    /// The user whose box it is (or `queue_id`).
    pub user_id: Option<i64>,
    /// A prompt name in the media folder; `None`: the built-in greeting.
    pub greeting: Option<String>,
    pub max_message_secs: i64,
    /// Where new messages are mailed, with the WAV attached.
    pub email: Option<String>,
}

/// A box as the API creates or replaces it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailBoxInput {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub queue_id: Option<i64>,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub greeting: Option<String>,
    #[serde(default = "default_max")]
    pub max_message_secs: i64,
    #[serde(default)]
    pub email: Option<String>,
}

fn default_max() -> i64 {
    120
}

/// A message left in a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoicemailMessage {
    pub id: i64,
    pub box_id: i64,
    pub caller_number: String,
    /// The interaction the caller left it in.
    pub interaction_id: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub duration_ms: i64,
    /// The WAV file (mono, PCM 16-bit, 8 kHz).
    #[serde(skip)]
    pub file: String,
    pub heard: bool,
}

/// A message to store: everything but its id and heard flag.
#[derive(Debug, Clone)]
pub struct NewVoicemailMessage {
    pub box_id: i64,
    pub caller_number: String,
    pub interaction_id: Option<u64>,
    pub started_at: i64,
    pub duration_ms: i64,
    pub file: String,
}

const BOX_COLUMNS: &str =
    "id, project_id, name, queue_id, user_id, greeting, max_message_secs, email";
const MESSAGE_COLUMNS: &str =
    "id, box_id, caller_number, interaction_id, started_at, duration_ms, file, \
     CAST(heard AS INTEGER)";

type BoxRow = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<String>,
);
type MessageRow = (i64, i64, String, Option<i64>, i64, i64, String, i64);

fn to_box(r: BoxRow) -> VoicemailBox {
    VoicemailBox {
        id: r.0,
        project_id: r.1,
        name: r.2,
        queue_id: r.3,
        user_id: r.4,
        greeting: r.5,
        max_message_secs: r.6,
        email: r.7,
    }
}

fn to_message(r: MessageRow) -> VoicemailMessage {
    VoicemailMessage {
        id: r.0,
        box_id: r.1,
        caller_number: r.2,
        interaction_id: r.3.map(|i| i as u64),
        started_at: r.4,
        duration_ms: r.5,
        file: r.6,
        heard: r.7 != 0,
    }
}

/// Checks the rules one input keeps by itself.
fn settle(input: &VoicemailBoxInput) -> Result<(), AdminError> {
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    match (input.queue_id, input.user_id) {
        (Some(_), Some(_)) => c.fail("user_id", "a box belongs to a queue or a user, not both"),
        (None, None) => c.fail("queue_id", "a box belongs to a queue or a user"),
        _ => {}
    }
    c.range(
        "max_message_secs",
        input.max_message_secs,
        1,
        MAX_MESSAGE_SECS,
    );
    if let Some(g) = &input.greeting {
        c.text("greeting", g, 100);
        let uploaded = super::admin::announcements::is_library_name(g);
        if !uploaded && (g.contains(['/', '\\']) || g.starts_with('.')) {
            c.fail(
                "greeting",
                "must be a prompt name in the media folder or an announcement's library name, \
                 not a path",
            );
        }
    }
    if let Some(e) = &input.email {
        let parts: Vec<&str> = e.split('@').collect();
        let ok = e.len() <= 254
            && parts.len() == 2
            && !parts[0].is_empty()
            && parts[1].contains('.')
            && !e.contains(char::is_whitespace);
        if !ok {
            c.fail("email", "must be an e-mail address");
        }
    }
    c.finish()
}

fn conflict(detail: String, field: &str) -> AdminError {
    AdminError::Conflict {
        detail,
        errors: vec![FieldError {
            field: field.to_owned(),
            message: "already has a box".to_owned(),
        }],
    }
}

impl Store {
    /// Every box, by name.
    pub async fn voicemail_boxes(&self) -> Result<Vec<VoicemailBox>, StoreError> {
        let rows: Vec<BoxRow> = sqlx::query_as(&format!(
            "SELECT {BOX_COLUMNS} FROM voicemail_boxes ORDER BY name, id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_box).collect())
    }

    pub async fn voicemail_box(&self, id: i64) -> Result<Option<VoicemailBox>, StoreError> {
        let row: Option<BoxRow> = sqlx::query_as(&format!(
            "SELECT {BOX_COLUMNS} FROM voicemail_boxes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(to_box))
    }

    /// Creates a box (`id` `None`) or replaces box `id`.
    pub async fn save_voicemail_box(
        &self,
        id: Option<i64>,
        input: VoicemailBoxInput,
    ) -> Result<VoicemailBox, AdminError> {
        settle(&input)?;
        let mut tx = self.begin().await?;
        let box_id = id.unwrap_or_else(new_id);
        if id.is_some() && !super::admin::exists(&mut tx, "voicemail_boxes", box_id).await? {
            return Err(AdminError::NotFound("voicemail box"));
        }
        let mut c = Check::default();
        if !super::admin::exists(&mut tx, "projects", input.project_id).await? {
            c.fail("project_id", "no such project");
        }
        if let Some(q) = input.queue_id {
            if !super::admin::exists(&mut tx, "queues", q).await? {
                c.fail("queue_id", "no such queue");
            }
        }
        if let Some(u) = input.user_id {
            if !super::admin::exists(&mut tx, "users", u).await? {
                c.fail("user_id", "no such user");
            }
        }
        c.finish()?;
        for (column, value) in [("queue_id", input.queue_id), ("user_id", input.user_id)] {
            let Some(value) = value else { continue };
            let sql =
                format!("SELECT COUNT(*) FROM voicemail_boxes WHERE {column} = $1 AND id <> $2");
            let n: i64 = sqlx::query_scalar(&sql)
                .bind(value)
                .bind(box_id)
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Err(conflict(
                    format!("that {column} already has a voicemail box"),
                    column,
                ));
            }
        }
        let now = now_ms();
        let sql = if id.is_some() {
            "UPDATE voicemail_boxes SET project_id = $1, name = $2, queue_id = $3, user_id = $4, \
             greeting = $5, max_message_secs = $6, email = $7, updated_at = $8 WHERE id = $9"
        } else {
            "INSERT INTO voicemail_boxes (project_id, name, queue_id, user_id, greeting, \
             max_message_secs, email, updated_at, id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        };
        let name = input.name.trim().to_owned();
        let mut q = sqlx::query(sql)
            .bind(input.project_id)
            .bind(&name)
            .bind(input.queue_id)
            .bind(input.user_id)
            .bind(&input.greeting)
            .bind(input.max_message_secs)
            .bind(&input.email)
            .bind(now)
            .bind(box_id);
        if id.is_none() {
            q = q.bind(now);
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(VoicemailBox {
            id: box_id,
            project_id: input.project_id,
            name,
            queue_id: input.queue_id,
            user_id: input.user_id,
            greeting: input.greeting,
            max_message_secs: input.max_message_secs,
            email: input.email,
        })
    }

    /// Deletes a box no queue exits to and no route, menu or time condition
    /// leads to, with its messages; returns their files for the caller to
    /// remove.
    pub async fn delete_voicemail_box(&self, id: i64) -> Result<Vec<String>, AdminError> {
        let mut tx = self.begin().await?;
        if !super::admin::exists(&mut tx, "voicemail_boxes", id).await? {
            return Err(AdminError::NotFound("voicemail box"));
        }
        let exits: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM queues WHERE exit_voicemail_id = $1 ORDER BY name",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let mut reasons = super::admin::ivr::users_of(&mut tx, "voicemail", id).await?;
        if !exits.is_empty() {
            reasons.insert(
                0,
                format!("it is the exit target of the queue(s) {}", exits.join(", ")),
            );
        }
        if !reasons.is_empty() {
            return Err(AdminError::Conflict {
                detail: reasons.join("; "),
                errors: Vec::new(),
            });
        }
        let files: Vec<String> =
            sqlx::query_scalar("SELECT file FROM voicemail_messages WHERE box_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM voicemail_messages WHERE box_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM voicemail_boxes WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(files)
    }

    /// Whether `user` may see `b`: their own box, or the box of a queue they
    /// serve. (Whoever sees every queue sees every box; the API asks that.)
    pub async fn voicemail_visible(&self, b: &VoicemailBox, user: i64) -> Result<bool, StoreError> {
        if b.user_id == Some(user) {
            return Ok(true);
        }
        let Some(queue) = b.queue_id else {
            return Ok(false);
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM queue_agents WHERE queue_id = $1 AND user_id = $2",
        )
        .bind(queue)
        .bind(user)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// The boxes `user` sees (their own and their queues').
    pub async fn voicemail_boxes_of(&self, user: i64) -> Result<Vec<VoicemailBox>, StoreError> {
        let rows: Vec<BoxRow> = sqlx::query_as(&format!(
            "SELECT {BOX_COLUMNS} FROM voicemail_boxes WHERE user_id = $1 \
             OR queue_id IN (SELECT queue_id FROM queue_agents WHERE user_id = $2) \
             ORDER BY name, id"
        ))
        .bind(user)
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_box).collect())
    }

    /// Stores a message whose file is complete.
    pub async fn add_voicemail_message(
        &self,
        m: NewVoicemailMessage,
    ) -> Result<VoicemailMessage, StoreError> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO voicemail_messages (id, box_id, caller_number, interaction_id, \
             started_at, duration_ms, file, heard) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE)",
        )
        .bind(id)
        .bind(m.box_id)
        .bind(&m.caller_number)
        .bind(m.interaction_id.map(|i| i as i64))
        .bind(m.started_at)
        .bind(m.duration_ms)
        .bind(&m.file)
        .execute(self.pool())
        .await?;
        Ok(VoicemailMessage {
            id,
            box_id: m.box_id,
            caller_number: m.caller_number,
            interaction_id: m.interaction_id,
            started_at: m.started_at,
            duration_ms: m.duration_ms,
            file: m.file,
            heard: false,
        })
    }

    /// A box's latest messages (at most [`MAX_MESSAGES`]), newest first.
    pub async fn voicemail_messages(
        &self,
        box_id: i64,
    ) -> Result<Vec<VoicemailMessage>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM voicemail_messages WHERE box_id = $1 \
             ORDER BY started_at DESC, id DESC LIMIT $2"
        ))
        .bind(box_id)
        .bind(MAX_MESSAGES)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_message).collect())
    }

    pub async fn voicemail_message(&self, id: i64) -> Result<Option<VoicemailMessage>, StoreError> {
        let row: Option<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM voicemail_messages WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(to_message))
    }

    /// Sets a message's heard flag; false when there is no such message.
    pub async fn mark_voicemail_heard(&self, id: i64, heard: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE voicemail_messages SET heard = $1 WHERE id = $2")
            .bind(heard)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a message's row; its file, for the caller to remove.
    pub async fn delete_voicemail_message(&self, id: i64) -> Result<Option<String>, StoreError> {
        let file: Option<String> =
            sqlx::query_scalar("DELETE FROM voicemail_messages WHERE id = $1 RETURNING file")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(file)
    }
}
