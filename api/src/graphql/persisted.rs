//! Automatic persisted queries as Apollo Client sends them: a client sends a query's SHA-256 alone, and
//! its text only the first time, when the server answers `PERSISTED_QUERY_NOT_FOUND`. Texts are held here
//! by hash, bounded in count and bytes whatever clients send, and, with Redis, shared by every server (a
//! text registered on one is found by the next), each kept seven days after its registration.

use std::{num::NonZeroUsize, sync::Arc, sync::Mutex};

use sha2::{Digest, Sha256};

use crate::shared_redis::SharedRedis;

/// Texts held by one server, and their total size: an SPA's few hundred operations fit many times over,
/// and only signed-in callers' texts are kept.
const HELD: usize = 10_000;
const TEXT_BUDGET: usize = 16 * 1024 * 1024;
const SHARED_SECONDS: u64 = 7 * 24 * 3600;
const SHARED_PER_HOUR: u32 = 500;
const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

pub type Hash = [u8; 32];

/// A `sha256Hash` as Apollo writes it: 64 hexadecimal digits.
pub fn parse_hash(hex_digits: &str) -> Option<Hash> {
    let mut hash = [0; 32];
    (hex_digits.len() == 64).then_some(())?;
    hex::decode_to_slice(hex_digits, &mut hash).ok()?;
    Some(hash)
}

pub fn hash_of(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

pub struct PersistedQueries {
    held: Mutex<Held>,
    redis: Option<Arc<SharedRedis>>,
    /// Texts each caller shared through Redis in the current hour, and since when.
    quotas: Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

struct Held {
    texts: lru::LruCache<Hash, Arc<str>>,
    bytes: usize,
}

impl PersistedQueries {
    pub fn new(redis: Option<Arc<SharedRedis>>) -> Self {
        let texts = lru::LruCache::new(NonZeroUsize::new(HELD).unwrap_or(NonZeroUsize::MIN));
        Self { held: Mutex::new(Held { texts, bytes: 0 }), redis, quotas: Mutex::default() }
    }

    /// The text registered under `hash`, here or (with Redis) by any server.
    pub async fn get(&self, hash: &Hash) -> Option<Arc<str>> {
        if let Some(text) = self.lock().texts.get(hash).cloned() {
            return Some(text);
        }
        let redis = self.redis.as_ref()?;
        let key = key(hash);
        let found: Option<String> =
            redis.call("persisted queries", async |c| redis::cmd("GET").arg(&key).query_async(c).await).await?;
        // What Redis holds is checked like what a client sends: a text only ever runs under its own hash.
        let text: Arc<str> = found.filter(|t| &hash_of(t) == hash)?.into();
        self.hold(*hash, text.clone());
        Some(text)
    }

    /// Registers a text whose hash matched and which the engine accepted, for `caller` (a user or token);
    /// with Redis, the other servers learn it too, up to `SHARED_PER_HOUR` texts per caller and hour.
    pub async fn put(&self, hash: Hash, text: &str, caller: &str) {
        self.hold(hash, text.into());
        if let Some(redis) = self.redis.as_ref().filter(|_| self.may_share(caller)) {
            let key = key(&hash);
            let set = async |c: &mut _| {
                redis::cmd("SET").arg(&key).arg(text).arg("NX").arg("EX").arg(SHARED_SECONDS).query_async::<()>(c).await
            };
            redis.call("persisted queries", set).await;
        }
    }

    /// Whether `caller` may register one more text in Redis this hour: an SPA registers its few hundred
    /// operations once; a client minting texts (a new comment each time) would fill Redis for a week.
    fn may_share(&self, caller: &str) -> bool {
        let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if quotas.len() > 10_000 {
            quotas.retain(|_, (_, since)| now.duration_since(*since) < HOUR);
        }
        let (used, since) = quotas.entry(caller.to_string()).or_insert((0, now));
        if now.duration_since(*since) >= HOUR {
            (*used, *since) = (0, now);
        }
        *used += 1;
        *used <= SHARED_PER_HOUR
    }

    /// How many texts and bytes this server holds.
    pub fn held(&self) -> (usize, usize) {
        let held = self.lock();
        (held.texts.len(), held.bytes)
    }

    fn hold(&self, hash: Hash, text: Arc<str>) {
        let mut held = self.lock();
        if held.texts.contains(&hash) || text.len() > TEXT_BUDGET {
            return;
        }
        held.bytes += text.len();
        if let Some((_, pushed_out)) = held.texts.push(hash, text) {
            held.bytes -= pushed_out.len();
        }
        while held.bytes > TEXT_BUDGET {
            let Some((_, oldest)) = held.texts.pop_lru() else { break };
            held.bytes -= oldest.len();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn key(hash: &Hash) -> String {
    format!("contacts:apq:{}", hex::encode(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stays_bounded_in_count_and_bytes() {
        let store = PersistedQueries::new(None);
        let filler = "x".repeat(4096);
        for i in 0..20_000 {
            let text = format!("query Q{i} {{ me {{ role }} }} # {filler}");
            store.put(hash_of(&text), &text, "tester").await;
        }
        let (count, bytes) = store.held();
        assert!(count <= HELD && bytes <= TEXT_BUDGET, "{count} texts, {bytes} bytes");
        assert!(count > 3_000, "most of the budget is used: {count}");
        // A million unknown hashes store nothing.
        for i in 0u32..1_000_000 {
            let mut hash = [0; 32];
            hash[..4].copy_from_slice(&i.to_be_bytes());
            assert!(store.get(&hash).await.is_none());
        }
        assert_eq!(store.held().0, count);
    }

    #[test]
    fn hashes_are_64_hex_digits() {
        let text = "{ me { role } }";
        assert_eq!(parse_hash(&hex::encode(hash_of(text))), Some(hash_of(text)));
        assert_eq!(parse_hash("abc"), None);
        assert_eq!(parse_hash(&"zz".repeat(32)), None);
    }
}
