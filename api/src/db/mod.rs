//! Database connection: SQLite (embedded default) or PostgreSQL, chosen by the URL.

use std::{path::Path, time::Duration};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sqlx::{
        postgres::PgListener,
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::config::Config;

pub mod reads;

#[derive(Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schemas to use, e.g. a per-test schema.
    pub search_path: Option<String>,
    /// PostgreSQL only: let prepared statements settle on a generic plan (see `connect_lookups`).
    pub generic_plans: bool,
    /// Open connections only when first used (a replica that is down at start must not stop the server).
    pub lazy: bool,
}

impl DbOptions {
    pub fn from_config(config: &Config) -> Self {
        Self {
            url: config.database_url.clone(),
            max_connections: config.database_max_connections,
            acquire_timeout: Duration::from_millis(config.database_acquire_timeout_ms),
            search_path: None,
            generic_plans: false,
            lazy: false,
        }
    }
}

pub async fn connect(options: DbOptions) -> Result<DatabaseConnection, DbErr> {
    if options.url.starts_with("sqlite:") {
        ensure_sqlite_dir(&options.url);
    }
    // Plan every statement with its actual values. sqlx prepares statements, and after a few runs
    // PostgreSQL may switch to a generic plan; on skewed data (a tag on 3% of contacts, a 30-day
    // window) a generic plan guessed "1 row" and nested-looped for 50 s instead of 10 ms.
    let plan_cache_mode = if options.generic_plans { "auto" } else { "force_custom_plan" };
    let mut opts = ConnectOptions::new(options.url);
    opts.connect_lazy(options.lazy);
    opts.max_connections(options.max_connections)
        .min_connections(1)
        // Connections opened for a burst close once it passes, taking their caches with them.
        .idle_timeout(Duration::from_secs(30))
        .acquire_timeout(options.acquire_timeout)
        // Ping only connections idle long enough to have been dropped: a ping on every checkout
        // doubled the round trips of every query.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false)
        // A span per statement (kept only inside a traced request or job), without its text: a statement
        // built with inlined values would carry them into the tracing backend.
        .record_stmt_in_spans(false)
        // WAL lets readers run beside the single writer; the busy timeout makes writers queue
        // instead of failing with SQLITE_BUSY.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_postgres_opts(move |o| o.options([("plan_cache_mode", plan_cache_mode)]));
    if let Some(path) = options.search_path {
        opts.set_schema_search_path(path);
    }
    Database::connect(opts).await
}

/// The pool for key lookups: the actor of each request and the batch loaders (rows by id, rows of a
/// page's contacts). Their plans do not depend on the values, so on PostgreSQL they get a pool of their
/// own whose statements settle on a generic plan; planning had been most of their cost. On SQLite this
/// is the main pool.
pub async fn connect_lookups(options: DbOptions, main: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    if !is_postgres(main) {
        return Ok(main.clone());
    }
    connect(DbOptions { generic_plans: true, ..options }).await
}

/// Creates the folder of a `sqlite://dir/file.db` URL so a fresh checkout can start.
fn ensure_sqlite_dir(url: &str) {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return;
    }
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Starts a write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so a transaction
/// that reads and then writes waits its turn instead of failing with SQLITE_BUSY when another writer
/// committed in between. PostgreSQL ignores the mode.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Current time at microsecond precision: what both databases store, so values round-trip exactly.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A new time-ordered id.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// What a PostgreSQL LISTEN connection hears (`listen`).
pub enum Heard<'a> {
    /// Listening, at first or again: whatever was sent while it was not is lost.
    Listening,
    Payload(&'a str),
    /// The connection is gone; another is tried a second later.
    Lost,
}

/// Listens on `channel` at `url` until `on` answers false, connecting again a second after a failure.
/// `try_recv` reports a lost connection rather than reconnecting silently, so `on` hears of every gap.
pub async fn listen(url: &str, channel: &str, mut on: impl FnMut(Heard<'_>) -> bool) {
    loop {
        match PgListener::connect(url).await {
            Ok(mut listener) => {
                if listener.listen(channel).await.is_ok() {
                    if !on(Heard::Listening) {
                        return;
                    }
                    while let Ok(Some(note)) = listener.try_recv().await {
                        if !on(Heard::Payload(note.payload())) {
                            return;
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, channel, "cannot listen for notifications; retrying"),
        }
        if !on(Heard::Lost) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How many connections `db`'s pool holds, how many wait idle, and its cap (`/metrics`).
pub fn pool_use(db: &DatabaseConnection, pool: &'static str) -> crate::metrics::PoolUse {
    let (open, idle, max) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
    };
    crate::metrics::PoolUse { pool, open, idle: u32::try_from(idle).unwrap_or(u32::MAX), max }
}
