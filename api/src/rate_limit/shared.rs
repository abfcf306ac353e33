//! Buckets kept in Redis, so every server of a cluster counts against the same limit. One Lua script takes
//! the token atomically, on Redis's own clock (servers' clocks may disagree). When Redis cannot answer, the
//! caller falls back to its in-process buckets: a limit counted per server beats refusing everyone.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tokio::sync::OnceCell;

/// KEYS[1]: the bucket. ARGV: capacity, tokens per millisecond. Answers 0 when a token was taken, else the
/// milliseconds until one is.
const TAKE: &str = r"
redis.replicate_commands() -- Redis before 5 refuses writes after TIME otherwise; later ones always do this.
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or capacity
local at = tonumber(held[2]) or ms
tokens = math.min(capacity, tokens + math.max(0, ms - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(ms))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return wait
";

/// After a failure, how long requests skip Redis before trying again (so a dead Redis costs nothing).
const BACK_OFF: Duration = Duration::from_secs(5);

pub struct Shared {
    client: Client,
    connection: OnceCell<ConnectionManager>,
    script: Script,
    down_until: Mutex<Option<Instant>>,
    failures: AtomicU64,
}

impl Shared {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::open(url)?,
            connection: OnceCell::new(),
            script: Script::new(TAKE),
            down_until: Mutex::new(None),
            failures: AtomicU64::new(0),
        })
    }

    /// Takes a token from `key`'s bucket: `Some(Ok)` taken, `Some(Err(seconds))` refused, `None` when Redis
    /// could not answer (the caller counts in-process instead).
    pub async fn take(&self, key: &str, per_minute: u32) -> Option<Result<(), u64>> {
        if self.down_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let capacity = f64::from(per_minute);
        let answer = async {
            let connection = self.connection.get_or_try_init(|| self.connect()).await?;
            let mut connection = connection.clone();
            let wait: u64 =
                self.script.key(key).arg(capacity).arg(capacity / 60_000.0).invoke_async(&mut connection).await?;
            Ok::<_, redis::RedisError>(wait)
        };
        match answer.await {
            Ok(0) => Some(Ok(())),
            Ok(ms) => Some(Err(ms.div_ceil(1000).max(1))),
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + BACK_OFF);
                tracing::warn!(error = %e, "rate limits: Redis did not answer; counting on this server for now");
                None
            }
        }
    }

    /// How many times Redis could not answer since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    async fn connect(&self) -> redis::RedisResult<ConnectionManager> {
        // A request waits at most this long for Redis before it is served on in-process counts.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        ConnectionManager::new_with_config(self.client.clone(), config).await
    }
}
