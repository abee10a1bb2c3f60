//! Persistence: configuration, SIP credentials and registrar bindings in SQLite
//! through sqlx (migrations under `sql/sqlite/`).
//!
//! The SQL is kept portable so that a PostgreSQL backend (`sql/postgres/`) can
//! implement the same operations. Writes that answer a network request (a
//! REGISTER's bindings, a failed login) are committed before the answer goes
//! out: nothing acknowledged is lost.

pub mod admin;
mod bindings;
pub mod break_days;
pub mod callbacks;
pub mod follow_ups;
mod interactions;
pub mod outbox;
mod recorded;
mod recordings;
pub mod reports;
mod routing;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use bindings::BindingRow;
pub use callbacks::{CallbackRequest, CallbackResult, CallbackState};
pub use interactions::{Completion, InteractionWrite, Replaced, RowState, StoredInteraction};
pub use recorded::{QueueScope, Recorded, RecordedPage, MAX_PAGE};
pub use recordings::{RecordingListen, MAX_LISTENS};
pub use routing::{
    DemoSeed, QueueAgent, Route, Trunk, TrunkRegistration, DEMO_AGENTS, DEMO_PROJECT, DEMO_QUEUE,
    DEMO_QUEUE_NUMBER, DEMO_ROUTE, DEMO_TRUNK,
};
pub use users::{SipCredential, UserState};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: only sqlite:// is built in")]
    UnsupportedUrl(String),
    #[error(
        "the database file {0} is empty (0 bytes): it is not a Switchboard database; \
         restore it from a backup, or remove it to start a fresh install"
    )]
    EmptyFile(String),
    #[error("{0}")]
    Invalid(String),
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    passwords: std::sync::Arc<admin::passwords::Passwords>,
    /// Whose turn it is to write, among the writers that run all the time.
    writes: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Told whenever a delivery is queued, to wake the outbox's worker.
    outbox_wake: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens (creating when missing) the database at `url` and brings its schema
    /// up to date. A file that exists but is empty is refused: it is a
    /// truncated or failed copy, and taking it for a fresh install would hide
    /// that every setting and record is gone.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let options = SqliteConnectOptions::from_str(url)?;
        let file = options.get_filename();
        if std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.len() == 0) {
            return Err(StoreError::EmptyFile(file.display().to_string()));
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./sql/sqlite").run(&pool).await?;
        Ok(Store {
            pool,
            passwords: std::sync::Arc::new(admin::passwords::Passwords::per_core()),
            writes: std::sync::Arc::default(),
            outbox_wake: std::sync::Arc::default(),
        })
    }

    /// Opens a database file by path.
    pub async fn open_path(path: &Path) -> Result<Store, StoreError> {
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for this process's turn to write, first come first served.
    ///
    /// SQLite lets one transaction write at a time, and a writer that finds
    /// the database locked sleeps in growing steps (up to 100 ms) before it
    /// tries again: two writers that each always have work, such as the
    /// interaction records and the agents' history under load, then starve
    /// each other for seconds. The batch writers take turns here instead, so
    /// each waits only for the transaction ahead of it.
    pub(crate) async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Notified when a delivery is queued (the outbox's worker waits on it).
    pub fn outbox_wake(&self) -> &tokio::sync::Notify {
        &self.outbox_wake
    }

    /// The bounded hasher of login passwords, shared by every clone.
    pub(crate) fn passwords(&self) -> &admin::passwords::Passwords {
        &self.passwords
    }

    /// Closes every connection, waiting for writes in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch: the time unit of every stored moment.
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Store;

    /// A store on a fresh database file in a temporary folder.
    pub async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_path(&dir.path().join("test.db")).await.unwrap();
        (store, dir)
    }

    /// A project `P` with one queue `Q` (number 1); their ids.
    pub async fn project_with_queue(store: &Store) -> (i64, i64) {
        use super::admin::{projects, queues};
        let project = projects::create(
            store,
            projects::ProjectInput {
                name: "P".into(),
                default_profile: None,
                break_minutes: 0,
                caller_id: None,
                time_zone: "UTC".into(),
            },
        )
        .await
        .unwrap()
        .item;
        let queue = queues::create(
            store,
            &queues::QueueRules::default(),
            serde_json::from_value(
                serde_json::json!({"project_id": project.id, "name": "Q", "number": "1"}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .item;
        (project.id, queue.id)
    }
}
