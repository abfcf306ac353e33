//! Each organization's funnel stages and members, kept in memory: nearly every contact a client reads
//! shows its stage and assignee, and they change rarely. A copy is used only at the version the request
//! read with its actor (`catalog_versions`, bumped by the database in the transaction that changes a
//! stage or a user), so a request never sees an older copy than the database it reads. Display only:
//! who may do what is always read from the database (`auth::Actor`).

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use entity::{pipeline_stage, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// One organization's stages and members at one version.
pub struct Catalog {
    version: i64,
    stages: HashMap<Uuid, pipeline_stage::Model>,
    users: HashMap<Uuid, user::Model>,
}

impl Catalog {
    async fn load(db: &impl ConnectionTrait, organization_id: Uuid, version: i64) -> Result<Self, DbErr> {
        let stages = pipeline_stage::Entity::find()
            .filter(pipeline_stage::Column::OrganizationId.eq(organization_id))
            .all(db)
            .await?;
        let users = user::Entity::find().filter(user::Column::OrganizationId.eq(organization_id)).all(db).await?;
        Ok(Self {
            version,
            stages: stages.into_iter().map(|s| (s.id, s)).collect(),
            // Nothing shown needs the hash; it stays out of memory.
            users: users.into_iter().map(|u| (u.id, user::Model { password_hash: None, ..u })).collect(),
        })
    }

    pub fn stage(&self, id: Uuid) -> Option<&pipeline_stage::Model> {
        self.stages.get(&id)
    }

    pub fn user(&self, id: Uuid) -> Option<&user::Model> {
        self.users.get(&id)
    }
}

/// The catalogs this server holds, the most recently used organizations first.
pub struct Catalogs {
    entries: Mutex<lru::LruCache<Uuid, Arc<Catalog>>>,
}

impl Catalogs {
    pub fn new(capacity: usize) -> Self {
        Self { entries: Mutex::new(lru::LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN))) }
    }

    /// The organization's catalog at `version`, loaded when this server holds another version or none.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        organization_id: Uuid,
        version: i64,
    ) -> Result<Arc<Catalog>, DbErr> {
        let held = self.lock().get(&organization_id).filter(|c| c.version == version).cloned();
        if let Some(catalog) = held {
            return Ok(catalog);
        }
        let loaded = Arc::new(Catalog::load(db, organization_id, version).await?);
        self.lock().put(organization_id, loaded.clone());
        Ok(loaded)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<Uuid, Arc<Catalog>>> {
        // A panic while holding the lock leaves nothing half-written: entries are replaced whole.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
