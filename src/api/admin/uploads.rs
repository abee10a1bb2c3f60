//! Announcements over the API (the Announcements screen): prompts a project
//! uploads, converted once and played at once, without a restart.
//!
//! - `GET /api/announcements[?project_id=]`: the announcements;
//! - `POST /api/announcements?project_id=&name=` with the audio file as the
//!   raw body, `Content-Type` `audio/wav`, `audio/mpeg`, `audio/ogg` or
//!   `audio/flac` (or `application/octet-stream`, the format then told by
//!   the file's first bytes): decoded (WAV with hound; MP3, Ogg Vorbis, FLAC with
//!   symphonia), mixed to mono and resampled to 8 kHz once, here, never when
//!   it plays; 201 with the announcement;
//! - `GET`/`PUT`/`DELETE /api/announcements/{id}`: read one, rename it (the
//!   item as read, with another `name`), delete it (409 while a menu, a
//!   blacklist entry, a voicemail box or a queue names it);
//! - `GET /api/announcements/{id}/audio`: the converted audio, `audio/wav`
//!   (mono, PCM 16-bit, 8 kHz).
//!
//! Refusals: 415 for another `Content-Type`, 413 past `media.max_upload_bytes`,
//! 422 `unplayable-audio` naming why (the decoder's error, no audio, longer
//! than [`MAX_SECS`]). Each is logged and counted
//! (`switchboard_announcements_*_total`).
//!
//! The file is written as `<id>.wav.part`, flushed, and renamed to `<id>.wav`
//! under `<data folder>/announcements/<project_id>/` before the row is
//! inserted, so a listed announcement always has its whole file; a delete
//! removes the row first and the file after. At start-up [`load`] puts every
//! listed announcement in the media library and removes files no row lists
//! (an upload a crash cut short).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::Deserialize;

use super::handlers::id;
use super::problem::Problem;
use super::replace::replacement;
use super::AdminState;
use crate::media::library::{wav_bytes, LiveLibrary};
use crate::media::source::{MediaLibrary, MediaSource};
use crate::sip::metrics::counters;
use crate::store::admin::announcements::{self as store, Announcement, AudioFormat};
use crate::store::admin::{now_ms, FieldError, Saved};
use crate::store::Store;

/// The longest announcement taken: ten minutes.
pub const MAX_SECS: u64 = 600;

/// Uploads converted at once; more wait their turn (each holds its decoded
/// audio in memory while it converts).
const CONVERTING: usize = 2;

/// The fields of an announcement a replace takes back unchanged.
pub const READ_ONLY: &[&str] = &[
    "id",
    "project_id",
    "library_name",
    "format",
    "length_ms",
    "created_at",
];

counters!(
    /// The announcement uploads' counters; all monotonic.
    UploadMetrics,
    "announcements",
    {
    uploaded => "Announcements uploaded, converted and listed.",
    refused_type => "Uploads refused with 415: a Content-Type other than audio/wav, audio/mpeg, audio/ogg or audio/flac.",
    refused_size => "Uploads refused with 413: larger than media.max_upload_bytes.",
    refused_audio => "Uploads refused with 422: not decodable, no audio, or longer than ten minutes.",
    write_failures => "Uploads whose converted file could not be written.",
    }
);

/// What the announcement handlers share.
pub struct Uploads {
    /// `<data folder>/announcements`.
    dir: PathBuf,
    max_bytes: u64,
    library: Arc<LiveLibrary>,
    converting: tokio::sync::Semaphore,
    pub metrics: UploadMetrics,
}

impl Uploads {
    /// Uploads stored under `dir`, at most `max_bytes` each, played from
    /// `library`.
    pub fn new(dir: PathBuf, max_bytes: u64, library: Arc<LiveLibrary>) -> Uploads {
        Uploads {
            dir,
            max_bytes,
            library,
            converting: tokio::sync::Semaphore::new(CONVERTING),
            metrics: UploadMetrics::default(),
        }
    }

    fn file_of(&self, a: &Announcement) -> PathBuf {
        file_in(&self.dir, a)
    }
}

fn file_in(dir: &FsPath, a: &Announcement) -> PathBuf {
    dir.join(a.project_id.to_string())
        .join(format!("{}.wav", a.id))
}

/// Puts every listed announcement of `store` whose file is under `dir` into
/// `library`, and removes the files under `dir` that no row lists. Missing
/// or unreadable files are logged and left out (the row stays).
pub async fn load(store: &Store, dir: &FsPath, library: &mut MediaLibrary) -> usize {
    let listed = match store::list(store, None).await {
        Ok(all) => all,
        Err(e) => {
            tracing::error!(error = %e, "announcements not read");
            return 0;
        }
    };
    let dir = dir.to_owned();
    let loaded = tokio::task::spawn_blocking(move || {
        let mut sources = Vec::new();
        for a in &listed {
            let path = file_in(&dir, a);
            match MediaSource::open(&path, &a.library_name) {
                Ok(s) => sources.push(s),
                Err(e) => tracing::warn!(announcement = a.id, error = %e,
                    "an announcement's file is missing or unreadable: it will not play"),
            }
        }
        let kept: std::collections::HashSet<PathBuf> =
            listed.iter().map(|a| file_in(&dir, a)).collect();
        remove_unlisted(&dir, &kept);
        sources
    })
    .await
    .unwrap_or_default();
    let n = loaded.len();
    for s in loaded {
        library.insert(s);
    }
    if n > 0 {
        tracing::info!(loaded = n, "announcements loaded");
    }
    n
}

/// Removes the files under `dir/<project>/` that `kept` does not hold.
fn remove_unlisted(dir: &FsPath, kept: &std::collections::HashSet<PathBuf>) {
    let Ok(projects) = std::fs::read_dir(dir) else {
        return;
    };
    for project in projects.flatten() {
        let Ok(files) = std::fs::read_dir(project.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.is_file() && !kept.contains(&path) {
                tracing::warn!(file = %path.display(), "removing an announcement file no row lists");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// The query of a list and of an upload.
#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    project_id: Option<String>,
    name: Option<String>,
}

fn malformed_query(detail: String) -> Problem {
    Problem::new("malformed-request", detail.clone()).with_errors(vec![FieldError {
        field: "query".into(),
        message: detail,
    }])
}

fn project_of(q: &UploadQuery) -> Result<Option<i64>, Problem> {
    q.project_id
        .as_deref()
        .map(|raw| {
            raw.parse::<i64>().map_err(|_| {
                Problem::new("malformed-request", "project_id must be an id").with_errors(vec![
                    FieldError {
                        field: "project_id".into(),
                        message: "must be an integer".into(),
                    },
                ])
            })
        })
        .transpose()
}

type QueryResult = Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>;

/// `GET /api/announcements`.
pub async fn list(
    State(s): State<Arc<AdminState>>,
    query: QueryResult,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| malformed_query(e.body_text()))?;
    let all = store::list(&s.store, project_of(&q)?).await?;
    Ok(Json(all).into_response())
}

/// `GET /api/announcements/{id}`.
pub async fn get(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    Ok(Json(store::get(&s.store, id(&raw)?).await?).into_response())
}

/// `POST /api/announcements?project_id=&name=`.
pub async fn create(
    State(s): State<Arc<AdminState>>,
    query: QueryResult,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let up = &s.uploads;
    let Query(q) = query.map_err(|e| malformed_query(e.body_text()))?;
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let sniffed = kind.split(';').next().is_some_and(|essence| {
        essence
            .trim()
            .eq_ignore_ascii_case("application/octet-stream")
    });
    let declared = AudioFormat::from_content_type(kind);
    if declared.is_none() && !sniffed {
        UploadMetrics::bump(&up.metrics.refused_type);
        tracing::info!(
            content_type = kind,
            "announcement upload refused: not audio"
        );
        return Err(Problem::new(
            "unsupported-media-type",
            format!(
                "Content-Type is {kind:?}; send audio/wav, audio/mpeg, audio/ogg, audio/flac \
                 or application/octet-stream"
            ),
        ));
    }
    let (name, new) = store::check_new(&s.store, project_of(&q)?, q.name.as_deref()).await?;
    let project_id = project_of(&q)?.unwrap_or_default();
    let bytes = read_limited(up, &headers, body).await?;
    let Some(format) = declared.or_else(|| AudioFormat::sniff(&bytes)) else {
        UploadMetrics::bump(&up.metrics.refused_audio);
        tracing::info!("announcement upload refused: not a known audio file");
        return Err(Problem::new(
            "unplayable-audio",
            "the body is not a WAV, MP3, Ogg or FLAC file",
        )
        .with_errors(vec![FieldError {
            field: "body".into(),
            message: "not a WAV, MP3, Ogg or FLAC file".into(),
        }]));
    };
    let library_name = store::library_name(project_id, new);
    let source = convert(up, library_name.clone(), bytes, format).await?;
    let a = Announcement {
        id: new,
        project_id,
        name,
        library_name,
        format,
        length_ms: source.frames() as i64 * 20,
        created_at: now_ms(),
    };
    let source = Arc::new(source);
    let file = up.file_of(&a);
    write_whole(&file, wav_bytes(&source)).await.map_err(|e| {
        UploadMetrics::bump(&up.metrics.write_failures);
        tracing::error!(file = %file.display(), error = %e, "announcement file not written");
        Problem::new("internal-error", "the announcement could not be stored")
    })?;
    if let Err(e) = store::insert(&s.store, &a).await {
        remove(&file).await;
        return Err(e.into());
    }
    up.library.insert(source);
    UploadMetrics::bump(&up.metrics.uploaded);
    tracing::info!(
        announcement = a.id,
        project = a.project_id,
        format = a.format.as_str(),
        length_ms = a.length_ms,
        "announcement uploaded"
    );
    let location = format!("/api/announcements/{}", a.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(Saved::plain(a)),
    )
        .into_response())
}

fn too_large(up: &Uploads) -> Problem {
    UploadMetrics::bump(&up.metrics.refused_size);
    tracing::info!(max = up.max_bytes, "announcement upload refused: too large");
    Problem::new(
        "too-large",
        format!(
            "an announcement upload may be at most {} bytes",
            up.max_bytes
        ),
    )
}

/// The body, unless it is longer than the limit (told by `Content-Length`
/// before reading, or found while reading).
async fn read_limited(up: &Uploads, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Problem> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > up.max_bytes) {
        return Err(too_large(up));
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0) as usize);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!(error = %e, "announcement upload cut short");
            Problem::new("malformed-request", "the upload was cut short")
        })?;
        if (out.len() + chunk.len()) as u64 > up.max_bytes {
            return Err(too_large(up));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Decodes and converts the upload, off the async threads.
async fn convert(
    up: &Uploads,
    library_name: String,
    bytes: Vec<u8>,
    format: AudioFormat,
) -> Result<MediaSource, Problem> {
    let unplayable = |why: String| {
        UploadMetrics::bump(&up.metrics.refused_audio);
        tracing::info!(reason = %why, "announcement upload refused: unplayable");
        Problem::new(
            "unplayable-audio",
            format!("the {} file cannot be played: {why}", format.as_str()),
        )
        .with_errors(vec![FieldError {
            field: "body".into(),
            message: why,
        }])
    };
    if bytes.is_empty() {
        return Err(unplayable("the body is empty".into()));
    }
    let _turn = up
        .converting
        .acquire()
        .await
        .map_err(|_| Problem::new("internal-error", "the server is stopping"))?;
    let decoded = tokio::task::spawn_blocking(move || {
        MediaSource::decode(&library_name, bytes, format.as_str(), MAX_SECS)
    })
    .await
    // A decoder that panics on a malformed file has still refused it.
    .unwrap_or_else(|_| Err("the decoder failed on this file".into()));
    decoded.map_err(unplayable)
}

/// Writes `bytes` to `file` through `file.part`, flushed before the rename,
/// so `file` is whole or absent.
async fn write_whole(file: &FsPath, bytes: Vec<u8>) -> std::io::Result<()> {
    let part = file.with_extension("wav.part");
    let (file, dir) = (file.to_owned(), file.parent().map(FsPath::to_owned));
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::File::create(&part)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&part, &file)?;
        if let Some(dir) = &dir {
            // The rename itself survives a crash once the folder is synced.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
}

async fn remove(file: &FsPath) {
    if let Err(e) = tokio::fs::remove_file(file).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(file = %file.display(), error = %e, "announcement file not removed");
        }
    }
}

/// The body of a replace: the announcement's new name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub name: String,
}

/// `PUT /api/announcements/{id}`.
pub async fn update(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, Problem> {
    let stored = store::get(&s.store, id(&raw)?).await?;
    let stored_json = serde_json::to_value(&stored).unwrap_or_default();
    let input: Rename = replacement(&headers, &bytes, READ_ONLY, &stored_json)?;
    let renamed = store::rename(&s.store, stored.id, &input.name).await?;
    Ok(Json(Saved::plain(renamed)).into_response())
}

/// `DELETE /api/announcements/{id}`.
pub async fn delete(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let a = store::delete(&s.store, id(&raw)?).await?;
    s.uploads.library.remove(&a.library_name);
    remove(&s.uploads.file_of(&a)).await;
    tracing::info!(announcement = a.id, "announcement deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/announcements/{id}/audio`.
pub async fn audio(
    State(s): State<Arc<AdminState>>,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let a = store::get(&s.store, id(&raw)?).await?;
    let file = s.uploads.file_of(&a);
    let bytes = match tokio::fs::read(&file).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(file = %file.display(), error = %e, "announcement file not readable");
            return Err(Problem::new("not-found", "the announcement's file is gone"));
        }
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "audio/wav")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"announcement-{}.wav\"", a.id),
        )
        .body(Body::from(bytes))
        .map_err(|_| Problem::new("internal-error", "the answer could not be formed"))
}
