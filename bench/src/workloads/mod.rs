//! `bench queries|export|mixed|webhook|import|bulk` (and `otlp-sink`, a collector that drops what it gets): load generators that drive a real server over HTTP and print throughput, latency
//! percentiles, errors and peak memory. `queries`, `export` and `mixed` start the server as a child process
//! (memory figures are the server's own); `webhook`, `import` and `bulk` run it in this process on a fresh
//! database (a temporary SQLite file, or `DATABASE_URL` when it names PostgreSQL), so their figures include
//! the client's own cost.

pub mod bulk;
mod ceiling;
mod client;
pub mod export;
pub mod import;
mod load;
pub mod mixed;
pub mod queries;
mod segments;
mod server;
pub mod sink;
pub mod webhook;

use std::time::Duration;

/// A fresh database (a temporary SQLite file unless `DATABASE_URL` names PostgreSQL), migrated, with
/// one organization on the Scale plan; returns the state, the owner's session and the temp folder guard.
pub async fn setup(
    mut config: api::config::Config,
) -> anyhow::Result<(api::AppState, api::bootstrap::Bootstrapped, tempfile::TempDir)> {
    use migration::MigratorTrait;
    let tmp = tempfile::tempdir()?;
    if !config.database_url.starts_with("postgres") {
        config.database_url = format!("sqlite://{}?mode=rwc", tmp.path().join("bench.db").display());
    }
    config.files_dir = tmp.path().join("files").display().to_string();
    let db = api::db::connect(api::db::DbOptions::from_config(&config)).await?;
    migration::Migrator::up(&db, None).await?;
    let lookups = api::db::connect_lookups(api::db::DbOptions::from_config(&config), &db).await?;
    let state = api::AppState::new(db.clone(), lookups, config)?;
    let input = api::bootstrap::BootstrapInput {
        organization_name: format!("Bench {}", uuid::Uuid::new_v4().simple()),
        owner_email: "bench@example.com".into(),
        owner_name: "Bench".into(),
        password: Some("bench-password".into()),
        plan: entity::enums::PlanTier::Scale,
        default_country: "CR".into(),
    };
    let org = api::bootstrap::bootstrap(&db, &state.jwt, input).await?;
    Ok((state, org, tmp))
}

/// Latency summary of one workload.
pub struct Report {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[idx]
    }

    pub fn print(&self) {
        self.print_with_memory(peak_rss_mb());
    }

    /// Prints the figures with a peak memory measured elsewhere (a server in another process).
    pub fn print_with_memory(&self, peak_mb: u64) {
        let rps = self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9);
        println!(
            "{:<28} {:>7} req  {:>9.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  peak RSS {} MB",
            self.name,
            self.requests,
            rps,
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
            self.errors,
            peak_mb,
        );
    }
}

/// Peak resident memory of this process (server and load generator), from `/proc/self/status`.
pub fn peak_rss_mb() -> u64 {
    status_mb("self", "VmHWM:")
}

/// A memory figure (`VmRSS:`, `VmHWM:`) of a process (`self` or a pid) in MB, from `/proc/<pid>/status`.
pub fn status_mb(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .map_or(0, |kb: u64| kb / 1024)
}
