//! Announcements: prompts a project uploads through the API (the
//! Announcements screen), stored as 8 kHz WAV files and played from the
//! media library under their library name `uploads/<project_id>/<id>`.
//!
//! Menus, blacklist entries, voicemail boxes and queues name an announcement
//! by that library name, so nothing else changes to play one; while any of
//! them does, the announcement cannot be deleted (409 naming them). The row
//! is written only once its file is in place (the API's part), so a listed
//! announcement always has its audio.

use serde::Serialize;
use sqlx::Row;

use super::{new_id, now_ms, AdminError, Check};
use crate::store::Store;

super::named_enum! {
    /// The format of the uploaded original.
    AudioFormat {
        Wav = "wav",
        Mp3 = "mp3",
        Ogg = "ogg",
        Flac = "flac",
    }
}

impl AudioFormat {
    /// The format a `Content-Type` announces (parameters ignored), if it is
    /// one taken: `audio/wav` (`audio/x-wav`, `audio/wave`, `audio/vnd.wave`),
    /// `audio/mpeg` (`audio/mp3`), `audio/ogg` (`application/ogg`),
    /// `audio/flac` (`audio/x-flac`).
    pub fn from_content_type(value: &str) -> Option<AudioFormat> {
        let essence = value.split(';').next().unwrap_or("").trim();
        Some(match essence.to_ascii_lowercase().as_str() {
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => AudioFormat::Wav,
            "audio/mpeg" | "audio/mp3" => AudioFormat::Mp3,
            "audio/ogg" | "application/ogg" => AudioFormat::Ogg,
            "audio/flac" | "audio/x-flac" => AudioFormat::Flac,
            _ => return None,
        })
    }

    /// The format a file's first bytes tell (for a body sent as
    /// `application/octet-stream`): `RIFF....WAVE`, `OggS`, `fLaC`, or an
    /// ID3 tag or MPEG audio frame sync for MP3.
    pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
        match bytes {
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => {
                Some(AudioFormat::Wav)
            }
            [b'O', b'g', b'g', b'S', ..] => Some(AudioFormat::Ogg),
            [b'f', b'L', b'a', b'C', ..] => Some(AudioFormat::Flac),
            [b'I', b'D', b'3', ..] => Some(AudioFormat::Mp3),
            [0xFF, second, ..] if second & 0xE0 == 0xE0 => Some(AudioFormat::Mp3),
            _ => None,
        }
    }
}

/// A stored announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Announcement {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// What menus, blacklist entries, boxes and queues name to play it.
    pub library_name: String,
    /// The uploaded original's format.
    pub format: AudioFormat,
    /// The length of the converted audio, in milliseconds.
    pub length_ms: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// The longest name.
pub const MAX_NAME: usize = 100;

/// The library name of announcement `id` of project `project_id`.
pub fn library_name(project_id: i64, id: i64) -> String {
    format!("uploads/{project_id}/{id}")
}

/// Whether `name` has the form of an announcement's library name
/// (`uploads/<project_id>/<id>`).
pub fn is_library_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = name.split('/');
    parts.next() == Some("uploads")
        && parts.next().is_some_and(digits)
        && parts.next().is_some_and(digits)
        && parts.next().is_none()
}

const SELECT: &str =
    "SELECT id, project_id, name, library_name, format, length_ms, created_at FROM announcements";

fn announcement_of(row: &crate::store::DbRow) -> Result<Announcement, AdminError> {
    Ok(Announcement {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        library_name: row.try_get(3)?,
        format: AudioFormat::parse(row.try_get(4)?)?,
        length_ms: row.try_get(5)?,
        created_at: row.try_get(6)?,
    })
}

/// Every announcement (of one project when given), by project and name.
pub async fn list(store: &Store, project_id: Option<i64>) -> Result<Vec<Announcement>, AdminError> {
    let rows = match project_id {
        Some(p) => {
            sqlx::query(&format!("{SELECT} WHERE project_id = $1 ORDER BY name, id"))
                .bind(p)
                .fetch_all(store.pool())
                .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY project_id, name, id"))
                .fetch_all(store.pool())
                .await?
        }
    };
    rows.iter().map(announcement_of).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Announcement, AdminError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("announcement"))?;
    announcement_of(&row)
}

/// Checks what an upload names before its audio is converted: the project
/// exists and the name is free in it. The trimmed name, and a new id.
pub async fn check_new(
    store: &Store,
    project_id: Option<i64>,
    name: Option<&str>,
) -> Result<(String, i64), AdminError> {
    let mut c = Check::default();
    let name = name.unwrap_or("").trim().to_owned();
    c.text("name", &name, MAX_NAME);
    let mut conn = store.pool().acquire().await?;
    match project_id {
        None => c.fail("project_id", "required"),
        Some(p) if !super::exists(&mut conn, "projects", p).await? => {
            c.fail("project_id", "no such project")
        }
        Some(_) => {}
    }
    c.finish()?;
    let project_id = project_id.unwrap_or_default();
    if name_taken(&mut conn, project_id, &name, None).await? {
        return Err(super::duplicate(
            "name",
            "announcement in the project",
            &name,
        ));
    }
    Ok((name, new_id()))
}

async fn name_taken(
    conn: &mut crate::store::DbConnection,
    project_id: i64,
    name: &str,
    id: Option<i64>,
) -> Result<bool, AdminError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM announcements WHERE project_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(project_id)
    .bind(name)
    .bind(id.unwrap_or(0))
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Lists an announcement whose file is in place.
pub async fn insert(store: &Store, a: &Announcement) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if name_taken(&mut tx, a.project_id, &a.name, None).await? {
        return Err(super::duplicate(
            "name",
            "announcement in the project",
            &a.name,
        ));
    }
    sqlx::query(
        "INSERT INTO announcements (id, project_id, name, library_name, format, length_ms, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(a.project_id)
    .bind(&a.name)
    .bind(&a.library_name)
    .bind(a.format.as_str())
    .bind(a.length_ms)
    .bind(a.created_at)
    .bind(a.created_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Renames an announcement (its library name, and so what plays it, stays).
pub async fn rename(store: &Store, id: i64, name: &str) -> Result<Announcement, AdminError> {
    let name = name.trim().to_owned();
    let mut tx = store.begin().await?;
    let mut a = {
        let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AdminError::NotFound("announcement"))?;
        announcement_of(&row)?
    };
    let mut c = Check::default();
    c.text("name", &name, MAX_NAME);
    c.finish()?;
    if name_taken(&mut tx, a.project_id, &name, Some(id)).await? {
        return Err(super::duplicate(
            "name",
            "announcement in the project",
            &name,
        ));
    }
    sqlx::query("UPDATE announcements SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(&name)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    a.name = name;
    Ok(a)
}

/// What plays `library_name`: `(kind, name)` of every menu, blacklist entry,
/// voicemail box and queue naming it.
async fn players(
    conn: &mut crate::store::DbConnection,
    library_name: &str,
) -> Result<Vec<String>, AdminError> {
    const USES: &[(&str, &str)] = &[
        (
            "IVR menu",
            "SELECT name FROM ivr_menus WHERE prompt = $1 OR invalid_prompt = $1 ORDER BY name",
        ),
        (
            "blacklist entry",
            "SELECT number FROM blacklist WHERE prompt = $1 ORDER BY number",
        ),
        (
            "voicemail box",
            "SELECT name FROM voicemail_boxes WHERE greeting = $1 ORDER BY name",
        ),
        (
            "queue",
            "SELECT name FROM queues WHERE hold_music = $1 ORDER BY name",
        ),
    ];
    let mut out = Vec::new();
    for (kind, sql) in USES {
        let names: Vec<String> = sqlx::query_scalar(sql)
            .bind(library_name)
            .fetch_all(&mut *conn)
            .await?;
        out.extend(names.into_iter().map(|n| format!("{kind} {n:?}")));
    }
    Ok(out)
}

/// Deletes an announcement's row, unless something still plays it; the
/// deleted announcement (whose file the caller then removes).
pub async fn delete(store: &Store, id: i64) -> Result<Announcement, AdminError> {
    let mut tx = store.begin().await?;
    let a = {
        let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AdminError::NotFound("announcement"))?;
        announcement_of(&row)?
    };
    let players = players(&mut tx, &a.library_name).await?;
    if !players.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "the announcement is played by {}; change them first",
                players.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM announcements WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{project_with_queue, temp_store};

    #[test]
    fn content_types_and_library_names() {
        assert_eq!(
            AudioFormat::from_content_type("audio/MPEG; charset=x"),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(
            AudioFormat::from_content_type("audio/x-wav"),
            Some(AudioFormat::Wav)
        );
        assert_eq!(AudioFormat::from_content_type("application/json"), None);
        assert_eq!(AudioFormat::sniff(b"fLaC\0\0"), Some(AudioFormat::Flac));
        assert_eq!(
            AudioFormat::sniff(b"RIFF\x24\0\0\0WAVEfmt "),
            Some(AudioFormat::Wav)
        );
        assert_eq!(
            AudioFormat::sniff(&[0xFF, 0xFB, 0x90]),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(AudioFormat::sniff(b"{}"), None);
        assert!(is_library_name(&library_name(12, 345)));
        for bad in [
            "uploads/1",
            "uploads/1/2/3",
            "uploads/a/2",
            "prompts/en/beep",
            "uploads//2",
        ] {
            assert!(!is_library_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_played_announcement_is_kept_and_a_free_one_goes() {
        let (store, _dir) = temp_store().await;
        let (project, _queue) = project_with_queue(&store).await;
        let (name, id) = check_new(&store, Some(project), Some(" Welcome "))
            .await
            .unwrap();
        assert_eq!(name, "Welcome");
        let a = Announcement {
            id,
            project_id: project,
            name,
            library_name: library_name(project, id),
            format: AudioFormat::Mp3,
            length_ms: 2000,
            created_at: now_ms(),
        };
        insert(&store, &a).await.unwrap();
        assert!(matches!(
            check_new(&store, Some(project), Some("Welcome")).await,
            Err(AdminError::Conflict { .. })
        ));
        assert!(matches!(
            check_new(&store, Some(777), Some("")).await,
            Err(AdminError::Invalid(e)) if e.len() == 2
        ));
        sqlx::query("UPDATE queues SET hold_music = $1 WHERE project_id = $2")
            .bind(&a.library_name)
            .bind(project)
            .execute(store.pool())
            .await
            .unwrap();
        match delete(&store, id).await {
            Err(AdminError::Conflict { detail, .. }) => {
                assert!(detail.contains("queue"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        sqlx::query("UPDATE queues SET hold_music = 'hold'")
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(rename(&store, id, "Hello").await.unwrap().name, "Hello");
        assert_eq!(delete(&store, id).await.unwrap().name, "Hello");
        assert!(matches!(
            get(&store, id).await,
            Err(AdminError::NotFound(_))
        ));
        assert!(list(&store, Some(project)).await.unwrap().is_empty());
    }
}
