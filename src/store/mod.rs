//! Persistence: configuration, SIP credentials, registrar bindings and
//! interaction records, in SQLite (the embedded default, migrations under
//! `sql/sqlite/`) or PostgreSQL (`sql/postgres/`), through sqlx's `Any`
//! driver.
//!
//! One text of SQL serves both: placeholders are numbered (`$1`, `$2`, ...,
//! which both take; SQL composed at run time is written with `?` marks and
//! passed through [`numbered`]), flags are read with [`flag`], and the few
//! places where the two differ ask [`Store::backend`]. Writes that answer a
//! network request (a REGISTER's bindings, a failed login) are committed
//! before the answer goes out: nothing acknowledged is lost.

pub mod admin;
mod bindings;
pub mod break_days;
pub mod callbacks;
pub mod cluster;
pub mod follow_ups;
mod interactions;
pub mod outbox;
mod recorded;
mod recordings;
pub mod reports;
mod routing;
mod users;
pub mod voicemail;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Row;

pub use bindings::{BindingRow, BINDINGS_CHANNEL};
pub use callbacks::{CallbackRequest, CallbackResult, CallbackState};
pub use interactions::{Completion, InteractionWrite, Replaced, RowState, StoredInteraction};
pub use recorded::{QueueScope, Recorded, RecordedPage, MAX_PAGE};
pub use recordings::{RecordingListen, MAX_LISTENS};
pub use routing::{
    DemoSeed, QueueAgent, Route, Trunk, TrunkRegistration, DEMO_AGENTS, DEMO_PROJECT, DEMO_QUEUE,
    DEMO_QUEUE_NUMBER, DEMO_ROUTE, DEMO_TRUNK,
};
pub use users::{SipCredential, UserState};

/// The database every store query runs on.
pub type Db = sqlx::Any;
/// A row as the store reads it.
pub type DbRow = sqlx::any::AnyRow;
/// One connection (or a transaction's, through `&mut *tx`).
pub type DbConnection = sqlx::AnyConnection;
/// The connection pool.
pub type DbPool = sqlx::AnyPool;
/// The values bound to one query.
pub type DbArguments<'q> = sqlx::any::AnyArguments<'q>;

/// The PostgreSQL advisory lock that [`Store::begin_checked`] takes.
const CHECKED_WRITES_LOCK: i64 = 0x5357_4243_4647; // "SWBCFG"

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: write sqlite://PATH or postgres://USER@HOST/NAME")]
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
    pool: DbPool,
    backend: Backend,
    url: std::sync::Arc<str>,
    /// This node's name when it is one of several.
    node: Option<std::sync::Arc<str>>,
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
        Store::open_as(url, None).await
    }

    /// Opens the database as the cluster node `node`: the records it writes
    /// carry its name (PostgreSQL only), and it closes only its own records
    /// left open.
    pub async fn open_as(url: &str, node: Option<&str>) -> Result<Store, StoreError> {
        if let Some(n) = node {
            if n.is_empty()
                || n.len() > 64
                || !n
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(StoreError::Invalid(format!(
                    "node name {n:?}: 1 to 64 letters, digits, '-', '_' or '.'"
                )));
            }
        }
        // SQLite and PostgreSQL, once per process.
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let pool = match backend {
            Backend::Sqlite => {
                let file = SqliteConnectOptions::from_str(url)?
                    .get_filename()
                    .to_path_buf();
                if std::fs::metadata(&file).is_ok_and(|m| m.is_file() && m.len() == 0) {
                    return Err(StoreError::EmptyFile(file.display().to_string()));
                }
                // The file is created when missing; every connection waits up
                // to 5 s for the write lock, enforces foreign keys and syncs
                // the write-ahead log at checkpoints only.
                let mut url = url.to_owned();
                if !url.contains("mode=") {
                    url.push(if url.contains('?') { '&' } else { '?' });
                    url.push_str("mode=rwc");
                }
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => {
                // Rows a node writes name it (interactions.node's default).
                let set_node: Option<std::sync::Arc<str>> =
                    node.map(|n| format!("SET switchboard.node = '{n}'").into());
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |conn, _| {
                        let set_node = set_node.clone();
                        Box::pin(async move {
                            if let Some(sql) = set_node {
                                use sqlx::Executor;
                                conn.execute(&*sql).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("./sql/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./sql/postgres").run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            url: url.into(),
            node: node.map(Into::into),
            passwords: std::sync::Arc::new(admin::passwords::Passwords::per_core()),
            writes: std::sync::Arc::default(),
            outbox_wake: std::sync::Arc::default(),
        })
    }

    /// Opens a database file by path.
    pub async fn open_path(path: &Path) -> Result<Store, StoreError> {
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    pub(crate) fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
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

    /// A write transaction that holds the write lock from its start, so the
    /// checks a write makes first (is the name taken? is the queue still
    /// referenced? is the row still open?) still hold when it writes, and two
    /// such writers wait for each other instead of failing. SQLite's `BEGIN
    /// IMMEDIATE` takes its one write lock; on PostgreSQL a transaction-scoped
    /// advisory lock plays that part among these writers on every node.
    pub(crate) async fn begin_checked(&self) -> Result<sqlx::Transaction<'_, Db>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(CHECKED_WRITES_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// This node's name when it is one of several.
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    /// The URL this store was opened with.
    pub fn url(&self) -> &str {
        &self.url
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

/// Creates the empty database `name` on the PostgreSQL server that `server`
/// (a `postgres://` URL of any database there) reaches, and returns its
/// URL: tests and benchmarks each take a database of their own.
pub async fn create_postgres_database(server: &str, name: &str) -> Result<String, StoreError> {
    use sqlx::Connection;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Invalid(format!(
            "database name {name:?}: a-z, 0-9 and _ only"
        )));
    }
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let Some((prefix, _)) = base.rsplit_once('/').filter(|(p, _)| p.contains("//")) else {
        return Err(StoreError::UnsupportedUrl(server.to_owned()));
    };
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(if query.is_empty() {
        format!("{prefix}/{name}")
    } else {
        format!("{prefix}/{name}?{query}")
    })
}

/// `sql`, composed at run time with `?` marks, with its marks numbered
/// `$1`, `$2`, ... in order: the placeholder form both engines take. Marks
/// inside quoted text are left alone.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quoted = false;
    let mut n = 0;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Reads the flag in column `i`: a BOOLEAN in PostgreSQL, 0 or 1 in SQLite.
pub(crate) fn flag(row: &DbRow, i: usize) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(i) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(i)? != 0),
    }
}

/// Milliseconds since the Unix epoch: the time unit of every stored moment.
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn marks_are_numbered_in_order_outside_quoted_text() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c IN (?, ?) AND d <> 'why?' LIMIT ?"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) AND d <> 'why?' LIMIT $4"
        );
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Store;

    /// A store on a fresh database: a file in a temporary folder, or, when
    /// `SWITCHBOARD_TEST_POSTGRES` names a PostgreSQL server, a new database
    /// there.
    pub async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = match std::env::var("SWITCHBOARD_TEST_POSTGRES") {
            Ok(server) => {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let name = format!("unit_{}_{n}", std::process::id());
                let url = super::create_postgres_database(&server, &name)
                    .await
                    .unwrap();
                Store::open(&url).await.unwrap()
            }
            Err(_) => Store::open_path(&dir.path().join("test.db")).await.unwrap(),
        };
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
