//! The log of recordings played or downloaded: who, when, which interaction.
//! Every listen is written before the audio is sent, so no listen goes
//! unlogged; the admins read the log back, newest first.

use serde::Serialize;

use super::{Store, StoreError};
use crate::cdr::InteractionId;

/// One play or download of a call's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingListen {
    pub id: i64,
    pub interaction_id: u64,
    /// The user who listened; none for the admin token.
    pub user_id: Option<i64>,
    /// Their username then (`admin` for the admin token).
    pub username: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

/// The most entries one listing returns.
pub const MAX_LISTENS: i64 = 1000;

impl Store {
    /// Logs that `username` (user `user_id`) got the recording of `interaction`.
    pub async fn log_recording_listen(
        &self,
        interaction: InteractionId,
        user_id: Option<i64>,
        username: &str,
        at: i64,
    ) -> Result<RecordingListen, StoreError> {
        let listen = RecordingListen {
            id: super::admin::new_id(),
            interaction_id: interaction.0,
            user_id,
            username: username.to_owned(),
            at,
        };
        sqlx::query(
            "INSERT INTO recording_listens (id, interaction_id, user_id, username, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(listen.id)
        .bind(interaction.0 as i64)
        .bind(user_id)
        .bind(username)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(listen)
    }

    /// The latest listens (at most [`MAX_LISTENS`]), of one interaction or of
    /// all, newest first.
    pub async fn recording_listens(
        &self,
        interaction: Option<InteractionId>,
    ) -> Result<Vec<RecordingListen>, StoreError> {
        let rows: Vec<(i64, i64, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT id, interaction_id, user_id, username, at FROM recording_listens \
             WHERE ($1 IS NULL OR interaction_id = $2) ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(interaction.map(|i| i.0 as i64))
        .bind(interaction.map(|i| i.0 as i64))
        .bind(MAX_LISTENS)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, interaction_id, user_id, username, at)| RecordingListen {
                    id,
                    interaction_id: interaction_id as u64,
                    user_id,
                    username,
                    at,
                },
            )
            .collect())
    }
}
