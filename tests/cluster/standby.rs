//! A real PostgreSQL streaming replica of the test database's server, made once per machine with
//! `pg_basebackup -R` and started on its own port, or the one an earlier run left streaming.

use std::{process::Command, sync::OnceLock, time::Duration};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

const PORT: u16 = 5433;
const DIR: &str = "/tmp/contacts-test-replica";

/// The replica's URL (same user, password and database as `primary`), once it streams.
pub fn url(primary: &str) -> String {
    static STARTED: OnceLock<String> = OnceLock::new();
    STARTED.get_or_init(|| start(primary)).clone()
}

/// Runs SQL on the replica itself (pausing and resuming its replay, say).
pub async fn connect(primary: &str) -> DatabaseConnection {
    Database::connect(url(primary)).await.expect("connect to the replica")
}

fn replica_url(primary: &str) -> String {
    on_port(primary, PORT)
}

/// `url` with its host and port replaced by 127.0.0.1 and `port`.
pub fn on_port(url: &str, port: u16) -> String {
    let (head, db) = url.rsplit_once('/').expect("a database URL");
    let host = head.rsplit_once('@').map(|(_, h)| h).or_else(|| head.split_once("://").map(|(_, h)| h)).unwrap_or(head);
    head.replacen(host, &format!("127.0.0.1:{port}"), 1) + "/" + db
}

fn start(primary: &str) -> String {
    let url = replica_url(primary);
    if streams(&url) {
        return url;
    }
    let bin = bin_dir(primary);
    // A replica left behind that no longer streams is made again.
    if std::path::Path::new(DIR).exists() {
        let _ = as_postgres(&bin, "pg_ctl", &["-D", DIR, "-m", "immediate", "stop"]);
    }
    let _ = std::fs::remove_dir_all(DIR);
    let made = as_postgres(&bin, "pg_basebackup", &["-d", primary, "-D", DIR, "-R", "-X", "stream", "-c", "fast"]);
    assert!(
        made,
        "pg_basebackup failed: the primary must accept replication connections from 127.0.0.1 \
         (`host replication all 127.0.0.1/32 trust` in pg_hba.conf, as .ci/run sets)"
    );
    // Debian keeps the server's configuration outside its data folder: the copy needs its own.
    // A hot standby refuses to start with fewer of these than its primary has.
    let at_least = primary_settings(primary);
    let conf = format!(
        "port = {PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '/tmp'\nhot_standby = on\n\
         hba_file = '{DIR}/pg_hba.conf'\nshared_buffers = 32MB\n{at_least}"
    );
    write_owned(&format!("{DIR}/postgresql.conf"), &conf);
    write_owned(&format!("{DIR}/pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
    let log = format!("{DIR}/replica.log");
    assert!(as_postgres(&bin, "pg_ctl", &["-D", DIR, "-l", &log, "-w", "start"]), "the replica did not start: {log}");
    for _ in 0..120 {
        if streams(&url) {
            return url;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the replica does not stream; see {log}");
}

/// Whether a replica answers at `url`, in recovery, streaming from its primary, replaying.
fn streams(url: &str) -> bool {
    let url = url.to_string();
    let check = async move {
        let db = Database::connect(url).await.ok()?;
        let sql =
            "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')";
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.ok()??;
        let ok: bool = row.try_get_by_index(0).ok()?;
        // A run that stopped mid-test may have left replay paused.
        let _ = db.execute_unprepared("SELECT pg_wal_replay_resume()").await;
        ok.then_some(())
    };
    super::on_own_thread(check).is_some()
}

/// The primary's settings a standby must match or exceed, as configuration lines.
fn primary_settings(primary: &str) -> String {
    let sql = "SELECT string_agg(name || ' = ' || setting, E'\\n') || E'\\n' FROM pg_settings WHERE name IN \
               ('max_connections', 'max_worker_processes', 'max_locks_per_transaction', \
                'max_prepared_transactions', 'max_wal_senders')";
    primary_value(primary, sql)
}

/// PostgreSQL's programs of the primary's major version.
fn bin_dir(primary: &str) -> String {
    let version: i32 = primary_value(primary, "SELECT current_setting('server_version_num')::int / 10000");
    format!("/usr/lib/postgresql/{version}/bin")
}

/// The one value `sql` answers on the primary.
fn primary_value<T: sea_orm::TryGetableMany + Send + 'static>(primary: &str, sql: &'static str) -> T {
    let primary = primary.to_string();
    super::on_own_thread(async move {
        let db = Database::connect(primary).await.expect("primary");
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await;
        row.unwrap().unwrap().try_get_many_by_index::<T>().unwrap()
    })
}

/// PostgreSQL's programs refuse to run as root: as the postgres user when this process is root.
fn as_postgres(bin: &str, program: &str, args: &[&str]) -> bool {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root { Command::new("runuser") } else { Command::new(format!("{bin}/{program}")) };
    if root {
        cmd.args(["-u", "postgres", "--", &format!("{bin}/{program}")]);
    }
    cmd.args(args).status().is_ok_and(|s| s.success())
}

fn write_owned(path: &str, text: &str) {
    std::fs::write(path, text).expect(path);
    let _ = Command::new("chown").args(["postgres:postgres", path]).status();
}
