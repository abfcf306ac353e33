//! Per-request batch loaders, so a page of contacts loads its stages, assignees, tags and properties in a
//! constant number of queries. Each is built for one organization and filters by it: a loader can
//! never return another tenant's rows, whatever ids it is asked for. Loaders of what hangs off a contact
//! are built from the caller's `Visible` and load nothing of a contact outside it.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    channel, consent, contact, contact_identifier, contact_property_value, conversation, listing, pipeline_stage,
    property_definition, reservation, tag, user, verification,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    catalog::Catalog,
    error::{ApiError, ApiResult},
    visibility::Visible,
};

type LoadResult<V> = Result<HashMap<Uuid, V>, Arc<DbErr>>;

macro_rules! by_id_loader {
    ($name:ident, $entity:ident) => {
        pub struct $name {
            db: DatabaseConnection,
            organization_id: Uuid,
        }

        impl Loader<Uuid> for $name {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[Uuid]) -> LoadResult<Self::Value> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::OrganizationId.eq(self.organization_id))
                    .filter($entity::Column::Id.is_in(keys.to_vec()))
                    .all(&self.db)
                    .await
                    .map_err(Arc::new)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

by_id_loader!(UserById, user);
by_id_loader!(StageById, pipeline_stage);
by_id_loader!(ListingById, listing);
by_id_loader!(ChannelById, channel);

/// A loader of every row of `entity` for each contact, in the given order.
macro_rules! by_contact_loader {
    ($name:ident, $entity:ident, $($order:ident($col:ident)),+) => {
        pub struct $name {
            db: DatabaseConnection,
            scope: Arc<Visible>,
        }

        impl Loader<Uuid> for $name {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[Uuid]) -> LoadResult<Self::Value> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::OrganizationId.eq(self.scope.organization_id()))
                    .filter(self.scope.owns($entity::Column::ContactId, keys))
                    $(.$order($entity::Column::$col))+
                    .all(&self.db)
                    .await
                    .map_err(Arc::new)?;
                let mut out: HashMap<Uuid, Vec<$entity::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
                for row in rows {
                    out.entry(row.contact_id).or_default().push(row);
                }
                Ok(out)
            }
        }
    };
}

by_contact_loader!(ConversationsByContact, conversation, order_by_desc(LastMessageAt), order_by_desc(Id));
by_contact_loader!(IdentifiersByContact, contact_identifier, order_by_asc(CreatedAt), order_by_asc(Id));
by_contact_loader!(ReservationsByContact, reservation, order_by_desc(ReservedAt), order_by_desc(Id));
by_contact_loader!(ConsentsByContact, consent, order_by_desc(RecordedAt), order_by_desc(Id));

pub struct VerificationByContact {
    db: DatabaseConnection,
    scope: Arc<Visible>,
}

impl Loader<Uuid> for VerificationByContact {
    type Value = verification::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> LoadResult<Self::Value> {
        let rows = verification::Entity::find()
            .filter(verification::Column::OrganizationId.eq(self.scope.organization_id()))
            .filter(self.scope.owns(verification::Column::ContactId, keys))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.contact_id, r)).collect())
    }
}

pub struct TagsByContact {
    db: DatabaseConnection,
    scope: Arc<Visible>,
}

impl Loader<Uuid> for TagsByContact {
    type Value = Vec<tag::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> LoadResult<Self::Value> {
        crate::tags::read::of_contacts(&self.db, &self.scope, keys).await.map_err(Arc::new)
    }
}

pub type PropertyRow = (property_definition::Model, contact_property_value::Model);

pub struct PropertiesByContact {
    db: DatabaseConnection,
    scope: Arc<Visible>,
}

impl Loader<Uuid> for PropertiesByContact {
    type Value = Vec<PropertyRow>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> LoadResult<Self::Value> {
        let values = contact_property_value::Entity::find()
            .filter(contact_property_value::Column::OrganizationId.eq(self.scope.organization_id()))
            .filter(self.scope.owns(contact_property_value::Column::ContactId, keys))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let definitions: Vec<property_definition::Model> = property_definition::Entity::find()
            .filter(property_definition::Column::OrganizationId.eq(self.scope.organization_id()))
            .order_by_asc(property_definition::Column::Position)
            .order_by_asc(property_definition::Column::Key)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<Uuid, Vec<PropertyRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        // Walk definitions in display order so each contact's values come out in that order.
        for def in &definitions {
            for v in values.iter().filter(|v| v.definition_id == def.id) {
                if let Some(list) = out.get_mut(&v.contact_id) {
                    list.push((def.clone(), v.clone()));
                }
            }
        }
        Ok(out)
    }
}

/// The loaders of one request, for the caller's organization.
pub struct Loaders {
    db: DatabaseConnection,
    /// The caller's visible contacts: what hangs off a contact loads only within them.
    scope: Arc<Visible>,
    /// Stages and members from the server's copy when the request read its version (`catalog`); from
    /// the database otherwise.
    catalog: Option<Arc<Catalog>>,
    users: DataLoader<UserById>,
    stages: DataLoader<StageById>,
    listings: DataLoader<ListingById>,
    tags: DataLoader<TagsByContact>,
    properties: DataLoader<PropertiesByContact>,
    identifiers: DataLoader<IdentifiersByContact>,
    channels: DataLoader<ChannelById>,
    conversations: DataLoader<ConversationsByContact>,
    verifications: DataLoader<VerificationByContact>,
    reservations: DataLoader<ReservationsByContact>,
    consents: DataLoader<ConsentsByContact>,
}

fn failed(err: Arc<DbErr>) -> ApiError {
    ApiError::internal(err)
}

/// Rows by id from the server's copy when it has them all, else from the database.
async fn from_copy_or<'a, V: Clone + 'a, L: Loader<Uuid, Value = V, Error = Arc<DbErr>>>(
    ids: &[Uuid],
    copy: Option<impl Fn(Uuid) -> Option<&'a V>>,
    loader: &L,
) -> ApiResult<HashMap<Uuid, V>> {
    if let Some(found) = copy {
        let rows: Option<HashMap<Uuid, V>> = ids.iter().map(|id| Some((*id, found(*id)?.clone()))).collect();
        if let Some(rows) = rows {
            return Ok(rows);
        }
    }
    loader.load(ids).await.map_err(failed)
}

impl Loaders {
    /// Loaders for what `scope` (the caller's visible contacts) may read.
    pub fn new(db: &DatabaseConnection, scope: Visible) -> Self {
        let organization_id = scope.organization_id();
        let db = || db.clone();
        let shared = Arc::new(scope);
        let scope = || shared.clone();
        Self {
            db: db(),
            scope: shared.clone(),
            catalog: None,
            users: DataLoader::new(UserById { db: db(), organization_id }, tokio::spawn),
            stages: DataLoader::new(StageById { db: db(), organization_id }, tokio::spawn),
            listings: DataLoader::new(ListingById { db: db(), organization_id }, tokio::spawn),
            tags: DataLoader::new(TagsByContact { db: db(), scope: scope() }, tokio::spawn),
            properties: DataLoader::new(PropertiesByContact { db: db(), scope: scope() }, tokio::spawn),
            identifiers: DataLoader::new(IdentifiersByContact { db: db(), scope: scope() }, tokio::spawn),
            channels: DataLoader::new(ChannelById { db: db(), organization_id }, tokio::spawn),
            conversations: DataLoader::new(ConversationsByContact { db: db(), scope: scope() }, tokio::spawn),
            verifications: DataLoader::new(VerificationByContact { db: db(), scope: scope() }, tokio::spawn),
            reservations: DataLoader::new(ReservationsByContact { db: db(), scope: scope() }, tokio::spawn),
            consents: DataLoader::new(ConsentsByContact { db: db(), scope: scope() }, tokio::spawn),
        }
    }

    pub fn with_catalog(self, catalog: Arc<Catalog>) -> Self {
        Self { catalog: Some(catalog), ..self }
    }

    /// A member by id; one the server's copy lacks (added after the request read its version) comes
    /// from the database.
    pub async fn user(&self, id: Uuid) -> ApiResult<Option<user::Model>> {
        match self.catalog.as_ref().and_then(|c| c.user(id)) {
            Some(user) => Ok(Some(user.clone())),
            None => self.users.load_one(id).await.map_err(failed),
        }
    }

    pub async fn stage(&self, id: Uuid) -> ApiResult<Option<pipeline_stage::Model>> {
        match self.catalog.as_ref().and_then(|c| c.stage(id)) {
            Some(stage) => Ok(Some(stage.clone())),
            None => self.stages.load_one(id).await.map_err(failed),
        }
    }

    pub async fn listing(&self, id: Uuid) -> ApiResult<Option<listing::Model>> {
        self.listings.load_one(id).await.map_err(failed)
    }

    pub async fn tags(&self, contact_id: Uuid) -> ApiResult<Vec<tag::Model>> {
        Ok(self.tags.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }

    pub async fn properties(&self, contact_id: Uuid) -> ApiResult<Vec<PropertyRow>> {
        Ok(self.properties.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }

    pub async fn channel(&self, id: Uuid) -> ApiResult<Option<channel::Model>> {
        self.channels.load_one(id).await.map_err(failed)
    }

    pub async fn conversations(&self, contact_id: Uuid) -> ApiResult<Vec<conversation::Model>> {
        Ok(self.conversations.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }

    pub async fn verification(&self, contact_id: Uuid) -> ApiResult<Option<verification::Model>> {
        self.verifications.load_one(contact_id).await.map_err(failed)
    }

    pub async fn reservations(&self, contact_id: Uuid) -> ApiResult<Vec<reservation::Model>> {
        Ok(self.reservations.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }

    pub async fn consents(&self, contact_id: Uuid) -> ApiResult<Vec<consent::Model>> {
        Ok(self.consents.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }

    /// Stages, users and the tags of contacts for a whole page whose ids are all known: at once rather
    /// than after a batch's wait, and not cached for later fields.
    pub async fn stages_now(&self, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, pipeline_stage::Model>> {
        from_copy_or(ids, self.catalog.as_ref().map(|c| |id| c.stage(id)), self.stages.loader()).await
    }

    pub async fn users_now(&self, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, user::Model>> {
        from_copy_or(ids, self.catalog.as_ref().map(|c| |id| c.user(id)), self.users.loader()).await
    }

    /// The tags of a page's contacts, checked against the caller's reach in memory.
    pub async fn tags_now(&self, contacts: &[&contact::Model]) -> ApiResult<HashMap<Uuid, Vec<tag::Model>>> {
        let seen = self.scope.seen(contacts);
        crate::tags::read::of_seen(&self.db, &seen).await.map_err(|e| failed(Arc::new(e)))
    }

    pub async fn identifiers(&self, contact_id: Uuid) -> ApiResult<Vec<contact_identifier::Model>> {
        Ok(self.identifiers.load_one(contact_id).await.map_err(failed)?.unwrap_or_default())
    }
}
