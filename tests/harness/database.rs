//! Each test's own database: a fresh SQLite file, or a schema of its own on PostgreSQL, dropped when the
//! test ends; schemas left by a process that died are swept after an hour.

use std::sync::atomic::Ordering;

use api::db::{DbOptions, connect, connect_lookups};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

/// Keeps a test's database alive, and removes it when the test ends (even when it fails).
pub enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { url: String, schema: String },
}

/// A fresh database (a schema of its own on PostgreSQL), its main pool and its pool for key lookups.
pub async fn fresh_database(acquire_ms: u64) -> (DatabaseConnection, DatabaseConnection, DbGuard, String) {
    let acquire_timeout = std::time::Duration::from_millis(acquire_ms);
    let (options, guard, url) = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let schema = format!("t_{}_{}", unix_now(), &Uuid::new_v4().simple().to_string()[..12]);
            let admin = connect(options(&url, None)).await.expect("connect to TEST_DATABASE_URL");
            sweep_stale_schemas(&admin).await;
            admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create schema");
            admin.close().await.ok();
            let options = DbOptions { acquire_timeout, ..options(&url, Some(format!("{schema},public"))) };
            (options, DbGuard::Postgres { url: url.clone(), schema }, url)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (DbOptions { acquire_timeout, ..options(&url, None) }, DbGuard::Sqlite(dir), url)
        }
    };
    // A pool with a very short acquire timeout may miss its first connection while the whole suite runs on
    // two cores: try again rather than fail a test that is about something else.
    let mut attempt = 0;
    let db = loop {
        match connect(options.clone()).await {
            Ok(db) => break db,
            Err(err) if attempt < 5 => {
                attempt += 1;
                eprintln!("connect, attempt {attempt}: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(err) => panic!("connect: {err}"),
        }
    };
    let lookups = connect_lookups(options, &db).await.expect("connect lookups");
    (db, lookups, guard, url)
}

/// The options of a test pool on `url`.
pub fn options(url: &str, search_path: Option<String>) -> DbOptions {
    DbOptions {
        url: url.to_string(),
        max_connections: 5,
        acquire_timeout: std::time::Duration::from_secs(10),
        search_path,
        generic_plans: false,
        lazy: false,
    }
}

impl DbGuard {
    /// The PostgreSQL schemas the test's connections use (its own, then public); None on SQLite.
    pub fn search_path(&self) -> Option<String> {
        match self {
            DbGuard::Postgres { schema, .. } => Some(format!("{schema},public")),
            DbGuard::Sqlite(_) => None,
        }
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        let DbGuard::Postgres { url, schema } = self else {
            return;
        };
        let (url, schema) = (url.clone(), schema.clone());
        // Not joined: the test's own connections (and a transaction a failed request left to roll back)
        // only let go once this drop returns. What a finished process leaves behind, the sweep removes.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let db = connect(options(&url, None)).await.ok()?;
                db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await.ok()?;
                db.close().await.ok()
            })
        });
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Drops test schemas more than an hour old, once per test process.
async fn sweep_stale_schemas(db: &DatabaseConnection) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let sql = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'";
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    let Ok(rows) = db.query_all_raw(stmt).await else { return };
    let cutoff = unix_now().saturating_sub(3600);
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "nspname") else {
            continue;
        };
        let born = name.split('_').nth(1).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
        if born < cutoff {
            let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await;
        }
    }
}
