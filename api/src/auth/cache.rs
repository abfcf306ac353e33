//! The actors of recent access tokens, held in memory on PostgreSQL so that a request does not read its
//! user, organization and role from the database each time (that read and the pool's ping after it were
//! a quarter of a small request's work).
//!
//! Who may do what still comes from the database "at once": an actor is used only at the catalog version
//! its organization had when it was read, and a change to a user or an organization bumps that version in
//! its own transaction, which the database announces on commit (NOTIFY `catalog_versions`, migration 17).
//! Every server listens and drops the organization's actors when it hears of a newer version; the server
//! that ran the change drops them before answering (`forget`). Nothing is held while the listener is not
//! connected, everything is dropped when it reconnects (what happened in between is unknown), and an
//! entry lives at most `TTL`, in case a connection dies without an error. API tokens are not held: each use
//! records when it was last used. SQLite has one server and reads in-process: nothing is held there.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::actor::Actor;
use crate::db::Heard;

const CHANNEL: &str = "catalog_versions";
const TTL: Duration = Duration::from_secs(10);
/// Organizations whose newest version is remembered before the list is started afresh (which only
/// drops what is held).
const VERSIONS_HELD: usize = 100_000;

struct Entry {
    actor: Actor,
    /// The token's own expiry (seconds since the epoch).
    expires: i64,
    read_at: Instant,
}

struct Held {
    actors: lru::LruCache<String, Entry>,
    /// The newest version heard of or read for each organization.
    versions: HashMap<Uuid, i64>,
}

pub struct ActorCache {
    held: Mutex<Held>,
    /// Whether the listener is connected and listening: nothing is held or used otherwise.
    live: AtomicBool,
    /// Moves whenever versions are forgotten (`forget`, `clear`): an actor read before that cannot be
    /// held, since the version it would be compared with may be the one just forgotten.
    generation: AtomicU64,
}

impl ActorCache {
    /// A cache that starts listening at `listen_url` when it is a PostgreSQL URL; otherwise it holds nothing.
    pub fn new(listen_url: &str, capacity: usize) -> Arc<Self> {
        let cache = Arc::new(Self::empty(capacity));
        if listen_url.starts_with("postgres") {
            tokio::spawn(listen(Arc::downgrade(&cache), listen_url.to_string()));
        }
        cache
    }

    fn empty(capacity: usize) -> Self {
        let actors = lru::LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN));
        Self {
            held: Mutex::new(Held { actors, versions: HashMap::new() }),
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    /// Whether actors are held now: on PostgreSQL, once the listener is listening.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The actor read for `token` while its organization is still at the version it was read at.
    pub(super) fn get(&self, token: &str) -> Option<Actor> {
        if !self.is_live() {
            return None;
        }
        let mut held = self.lock();
        let Held { actors, versions } = &mut *held;
        let entry = actors.get(token)?;
        let organization = entry.actor.organization_id();
        let current = versions.get(&organization).is_some_and(|v| Some(*v) == entry.actor.catalog_version());
        if current && entry.read_at.elapsed() < TTL && chrono::Utc::now().timestamp() < entry.expires {
            return Some(entry.actor.clone());
        }
        actors.pop(token);
        None
    }

    /// Taken before reading an actor, and handed back to `put`.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Holds an actor just read from the database, unless a newer version of its organization is known or
    /// versions were forgotten since `generation` was taken.
    pub(super) fn put(&self, token: &str, actor: &Actor, expires: i64, generation: u64) {
        let Some(version) = actor.catalog_version().filter(|_| self.is_live()) else { return };
        let mut held = self.lock();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let known = held.versions.entry(actor.organization_id()).or_insert(version);
        if *known > version {
            return;
        }
        *known = version;
        let entry = Entry { actor: actor.clone().without_password_hash(), expires, read_at: Instant::now() };
        held.actors.put(token.to_string(), entry);
    }

    /// Drops the organization's actors: its users or settings may just have changed.
    pub fn forget(&self, organization_id: Uuid) {
        let mut held = self.lock();
        held.versions.remove(&organization_id);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn heard(&self, organization_id: Uuid, version: i64) {
        let mut held = self.lock();
        if held.versions.len() >= VERSIONS_HELD && !held.versions.contains_key(&organization_id) {
            held.versions.clear();
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        let known = held.versions.entry(organization_id).or_insert(version);
        *known = (*known).max(version);
    }

    /// Drops everything: for an announcement that cannot be read, and whenever the listener (re)connects.
    fn clear(&self) {
        let mut held = self.lock();
        held.actors.clear();
        held.versions.clear();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// An actor read while the listener was not listening may predate a change nobody announced to it:
    /// `clear` moves the generation, so such a read is not held.
    fn set_live(&self, live: bool) {
        self.clear();
        self.live.store(live, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // Entries are replaced whole: a panic while holding the lock leaves nothing half-written.
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Hears version bumps until the cache is gone, holding nothing while not listening.
async fn listen(cache: Weak<ActorCache>, url: String) {
    crate::db::listen(&url, CHANNEL, |heard| {
        let Some(cache) = cache.upgrade() else { return false };
        match heard {
            Heard::Listening => cache.set_live(true),
            Heard::Lost => cache.set_live(false),
            Heard::Payload(payload) => match bump(payload) {
                Some((organization, version)) => cache.heard(organization, version),
                None => cache.clear(),
            },
        }
        true
    })
    .await
}

/// `<organization id>:<version>`, as migration 17 announces a bump.
fn bump(payload: &str) -> Option<(Uuid, i64)> {
    let (organization, version) = payload.split_once(':')?;
    Some((organization.parse().ok()?, version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use entity::{enums::PlanTier, organization, user};

    use super::*;

    fn actor(version: i64) -> Actor {
        let at = chrono::Utc::now();
        let organization = organization::Model {
            id: Uuid::nil(),
            name: "Acme".into(),
            plan: PlanTier::Free,
            default_country: "CR".into(),
            time_zone: None,
            settings: serde_json::json!({}),
            created_at: at,
            updated_at: at,
        };
        let user = user::Model {
            id: Uuid::now_v7(),
            organization_id: organization.id,
            email: "agent@acme.test".into(),
            name: "Agent".into(),
            role: entity::enums::UserRole::Agent,
            viewer_agent_ids: None,
            password_hash: Some("secret".into()),
            active: true,
            created_at: at,
            updated_at: at,
        };
        Actor::for_user(user, organization).at_catalog_version(version)
    }

    fn live() -> ActorCache {
        let cache = ActorCache::empty(8);
        cache.set_live(true);
        cache
    }

    const EXPIRES: i64 = i64::MAX;

    #[test]
    fn an_actor_is_held_until_a_newer_version_is_heard() {
        let cache = live();
        cache.put("t", &actor(3), EXPIRES, cache.generation());
        let held = cache.get("t").expect("held");
        assert!(held.user().unwrap().password_hash.is_none(), "no password hash in memory");
        assert!(cache.get("other").is_none());
        cache.heard(Uuid::nil(), 4);
        assert!(cache.get("t").is_none());
        // A read that raced the announcement (it saw version 3) is not held either.
        cache.put("t", &actor(3), EXPIRES, cache.generation());
        assert!(cache.get("t").is_none());
    }

    #[test]
    fn a_read_begun_before_versions_were_forgotten_is_not_held() {
        let cache = live();
        // A request reads the actor at version 3; meanwhile a change commits, is heard (4), and the server
        // that ran it forgets the organization's versions.
        let generation = cache.generation();
        cache.heard(Uuid::nil(), 4);
        cache.forget(Uuid::nil());
        cache.put("t", &actor(3), EXPIRES, generation);
        assert!(cache.get("t").is_none());
        // Likewise across a reconnection of the listener.
        let generation = cache.generation();
        cache.set_live(false);
        cache.set_live(true);
        cache.put("t", &actor(3), EXPIRES, generation);
        assert!(cache.get("t").is_none());
        // A read begun after both is held.
        cache.put("t", &actor(4), EXPIRES, cache.generation());
        assert!(cache.get("t").is_some());
    }

    #[test]
    fn an_expired_token_is_not_served() {
        let cache = live();
        cache.put("t", &actor(1), chrono::Utc::now().timestamp() - 1, cache.generation());
        assert!(cache.get("t").is_none());
    }
}
