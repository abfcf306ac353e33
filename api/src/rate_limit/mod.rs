//! Fair use: token buckets per user and per client address, so one client cannot starve everyone else.
//! The HTTP layer applies them (`http::limits`); the cap on requests in flight is its load shedding.
//! With Redis configured the buckets are shared by every server (`shared`); without it, or while Redis
//! cannot answer, each server counts in its own memory.

mod shared;

use std::{collections::HashMap, sync::Arc, sync::Mutex, time::Instant};

use shared::Shared;

use crate::shared_redis::SharedRedis;

pub struct RateLimiter {
    per_minute: u32,
    /// Names this limit's buckets in Redis ("user", "address").
    scope: &'static str,
    shared: Option<Arc<Shared>>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute = 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, scope: "", shared: None, buckets: Mutex::new(HashMap::new()) }
    }

    /// A limit counted in Redis when the server has one.
    pub fn shared(per_minute: u32, scope: &'static str, redis: Option<&Arc<SharedRedis>>) -> Self {
        Self { scope, shared: redis.map(|r| Arc::new(Shared::new(r.clone()))), ..Self::new(per_minute) }
    }

    /// How many times Redis could not answer (the limit was then counted on this server).
    pub fn shared_failures(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| s.failures())
    }

    /// Takes one token for `key`; when none is left, the seconds until one is.
    pub async fn check(&self, key: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        if let Some(shared) = &self.shared
            && let Some(answer) = shared.take(&format!("contacts:limit:{}:{key}", self.scope), self.per_minute).await
        {
            return answer;
        }
        self.check_here(key)
    }

    fn check_here(&self, key: &str) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 100_000 {
            // Forget clients whose bucket has refilled: they lose nothing.
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < capacity);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}
