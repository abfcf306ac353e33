//! Buckets kept in Redis, so every server of a cluster counts against the same limit. One Lua script takes
//! the token atomically, on Redis's own clock (servers' clocks may disagree). When Redis cannot answer (`shared_redis`), the
//! caller falls back to its in-process buckets: a limit counted per server beats refusing everyone.

use std::sync::Arc;

use redis::Script;

use crate::shared_redis::SharedRedis;

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

pub struct Shared {
    redis: Arc<SharedRedis>,
    script: Script,
}

impl Shared {
    pub fn new(redis: Arc<SharedRedis>) -> Self {
        Self { redis, script: Script::new(TAKE) }
    }

    /// Takes a token from `key`'s bucket: `Some(Ok)` taken, `Some(Err(seconds))` refused, `None` when Redis
    /// could not answer (the caller counts in-process instead).
    pub async fn take(&self, key: &str, per_minute: u32) -> Option<Result<(), u64>> {
        let capacity = f64::from(per_minute);
        let take = async |c: &mut _| self.script.key(key).arg(capacity).arg(capacity / 60_000.0).invoke_async(c).await;
        let wait: u64 = self.redis.call("rate limits", take).await?;
        Some(if wait == 0 { Ok(()) } else { Err(wait.div_ceil(1000).max(1)) })
    }

    /// How many times Redis could not answer since start.
    pub fn failures(&self) -> u64 {
        self.redis.failures()
    }
}
