//! The one Redis connection of a server, for what every server of a cluster shares (rate limits, persisted
//! queries). Redis helps but is never needed: a call that cannot be answered within `PATIENCE` answers `None`,
//! and for `BACK_OFF` after that calls skip Redis at once, so a dead or silent Redis costs requests nothing.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    Client, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tokio::sync::OnceCell;

/// The longest a request waits for Redis, connecting included.
const PATIENCE: Duration = Duration::from_millis(750);
/// After a failure, how long calls skip Redis before trying again.
const BACK_OFF: Duration = Duration::from_secs(5);

pub struct SharedRedis {
    client: Client,
    connection: OnceCell<ConnectionManager>,
    down_until: Mutex<Option<Instant>>,
    failures: AtomicU64,
}

impl SharedRedis {
    /// `None` without a URL.
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Option<Self>> {
        let Some(url) = url.filter(|u| !u.is_empty()) else { return Ok(None) };
        Ok(Some(Self {
            client: Client::open(url)?,
            connection: OnceCell::new(),
            down_until: Mutex::new(None),
            failures: AtomicU64::new(0),
        }))
    }

    /// Runs `f` on the connection; `None` when Redis is backed off, fails or takes too long (`what` names the
    /// caller in the log).
    pub async fn call<T>(
        &self,
        what: &str,
        f: impl AsyncFnOnce(&mut ConnectionManager) -> RedisResult<T>,
    ) -> Option<T> {
        if self.down_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let answer = async {
            let mut connection = self.connection.get_or_try_init(|| self.connect()).await?.clone();
            f(&mut connection).await
        };
        let error = match tokio::time::timeout(PATIENCE, answer).await {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", PATIENCE.as_millis()),
        };
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + BACK_OFF);
        tracing::warn!(error, what, "Redis did not answer; going on without it for a few seconds");
        None
    }

    /// How many times Redis could not answer since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    async fn connect(&self) -> RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        ConnectionManager::new_with_config(self.client.clone(), config).await
    }
}
