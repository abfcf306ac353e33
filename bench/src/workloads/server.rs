//! A server started as a child process of the benchmark, so its memory is measured on its own.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use axum::{body::Body, http::Request};

use super::{client, status_mb};
use api::config::Config;

/// A server in a child process on a free port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts the `api` binary's `serve` on a free port with rate limits off; `run_jobs` lets it run background jobs.
    pub async fn start(config: &Config, run_jobs: bool) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(server_binary()?)
            .arg("serve")
            .env("DATABASE_URL", &config.database_url)
            .env("DATABASE_MAX_CONNECTIONS", config.database_max_connections.to_string())
            .env("MAX_CONCURRENT_REQUESTS", config.max_concurrent_requests.to_string())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RATE_LIMIT_USER_PER_MINUTE", "0")
            .env("RATE_LIMIT_IP_PER_MINUTE", "0")
            .env("RUN_JOBS", run_jobs.to_string())
            // Warnings, and the allocator's figures when the server trims memory after a run.
            .env("RUST_LOG", "warn,api::memory=info")
            .stdout(Stdio::inherit())
            .spawn()?;
        let server = Self { child, base: format!("http://127.0.0.1:{port}") };
        let http = client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ready = Request::get(format!("{}/ready", server.base)).body(Body::empty())?;
            if client::timed(&http, ready).await.1 {
                return Ok(server);
            }
            anyhow::ensure!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn rss_mb(&self) -> u64 {
        status_mb(&self.child.id().to_string(), "VmRSS:")
    }

    /// Resident memory that is not file-backed (heap, stacks): what the server itself allocated.
    pub fn anonymous_mb(&self) -> u64 {
        status_mb(&self.child.id().to_string(), "RssAnon:")
    }

    pub fn peak_mb(&self) -> u64 {
        status_mb(&self.child.id().to_string(), "VmHWM:")
    }
}

/// The `api` binary built beside this one (`cargo build --release` builds both).
fn server_binary() -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?.with_file_name(format!("api{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(path.exists(), "{} is missing: build the server first (cargo build --release)", path.display());
    Ok(path)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
