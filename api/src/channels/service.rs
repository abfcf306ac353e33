use entity::{channel, enums::ChannelKind};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    validate,
};

pub struct ChannelInput {
    pub kind: Option<ChannelKind>,
    pub name: Option<String>,
    /// WhatsApp: the phone number id webhooks name.
    pub external_id: Option<String>,
    pub display_phone_number: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub active: Option<bool>,
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<channel::Model>> {
    Ok(channel::Entity::find()
        .filter(channel::Column::OrganizationId.eq(actor.organization_id()))
        .order_by_asc(channel::Column::CreatedAt)
        .all(db)
        .await?)
}

/// A channel of the actor's organization; BAD_USER_INPUT on `field` when there is none.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    field: &str,
) -> ApiResult<channel::Model> {
    channel::Entity::find_by_id(id)
        .filter(channel::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "Unknown channel"))
}

/// An active channel of the organization, to record a message on: an archived one takes no new messages.
pub async fn find_active(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    field: &str,
) -> ApiResult<channel::Model> {
    let channel = find(db, organization_id, id, field).await?;
    if !channel.active {
        return Err(ApiError::bad_input(field, "This channel is archived and takes no new messages"));
    }
    Ok(channel)
}

/// What `delete` did: a channel with conversations or consents is archived, so its history stays.
pub enum Removal {
    Deleted,
    Archived(channel::Model),
}

/// Deletes a channel nobody has talked through (admins); one with conversations or recorded consents is
/// archived instead (inactive: no new messages, its history kept). It is made inactive first, so a message
/// arriving meanwhile is turned away before the channel's history is looked at. Audited either way.
pub async fn delete(conn: &sea_orm::DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<Removal> {
    actor.require_admin()?;
    let org = actor.organization_id();
    let channel = find(conn, org, id, "id").await.map_err(|_| ApiError::not_found("Channel"))?;
    let mut model: channel::ActiveModel = channel.clone().into();
    model.active = Set(false);
    model.updated_at = Set(now());
    let archived = model.update(conn).await?;
    let txn = crate::db::begin_write(conn).await?;
    let used = entity::conversation::Entity::find()
        .filter(entity::conversation::Column::OrganizationId.eq(org))
        .filter(entity::conversation::Column::ChannelId.eq(id))
        .one(&txn)
        .await?
        .is_some()
        || entity::consent::Entity::find()
            .filter(entity::consent::Column::OrganizationId.eq(org))
            .filter(entity::consent::Column::ChannelId.eq(id))
            .one(&txn)
            .await?
            .is_some();
    let before = serde_json::json!({ "id": id, "name": channel.name, "kind": channel.kind });
    if used {
        crate::audit::record(&txn, actor, None, "channel.archived", Some(before), None).await?;
        txn.commit().await?;
        return Ok(Removal::Archived(archived));
    }
    // Identities first learned on it stay the contact's; they just no longer name a channel.
    entity::contact_identifier::Entity::update_many()
        .col_expr(entity::contact_identifier::Column::ChannelId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .filter(entity::contact_identifier::Column::OrganizationId.eq(org))
        .filter(entity::contact_identifier::Column::ChannelId.eq(id))
        .exec(&txn)
        .await?;
    channel::Entity::delete_by_id(id).exec(&txn).await?;
    crate::audit::record(&txn, actor, None, "channel.deleted", Some(before), None).await?;
    txn.commit().await?;
    Ok(Removal::Deleted)
}

fn secret(field: &str, raw: Option<String>) -> ApiResult<Option<String>> {
    raw.map(|s| validate::text(field, &s, 500)).transpose()
}

/// Registers a channel (admins). A WhatsApp number needs its phone number id, app secret and verify
/// token; an organization may have several numbers.
pub async fn create(db: &impl ConnectionTrait, actor: &Actor, input: ChannelInput) -> ApiResult<channel::Model> {
    actor.require_admin()?;
    let kind = input.kind.ok_or_else(|| ApiError::bad_input("kind", "Choose a channel kind"))?;
    let name = validate::name("name", input.name.as_deref().unwrap_or_default())?;
    let external_id = secret("phoneNumberId", input.external_id)?;
    let app_secret = secret("appSecret", input.app_secret)?;
    let verify_token = secret("verifyToken", input.verify_token)?;
    if kind == ChannelKind::Whatsapp {
        for (field, value) in
            [("phoneNumberId", &external_id), ("appSecret", &app_secret), ("verifyToken", &verify_token)]
        {
            if value.is_none() {
                return Err(ApiError::bad_input(
                    field,
                    "A WhatsApp number needs its phone number id, app secret and verify token",
                ));
            }
        }
    }
    let at = now();
    channel::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        kind: Set(kind),
        name: Set(name),
        external_id: Set(external_id),
        display_phone_number: Set(secret("displayPhoneNumber", input.display_phone_number)?),
        app_secret: Set(app_secret),
        verify_token: Set(verify_token),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(|e| conflict_on_unique(e, "phoneNumberId", "This number is already registered"))
}

/// Renames, rotates secrets or deactivates a channel (admins).
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    input: ChannelInput,
) -> ApiResult<channel::Model> {
    actor.require_admin()?;
    let current = find(db, actor.organization_id(), id, "id").await.map_err(|_| ApiError::not_found("Channel"))?;
    let mut model: channel::ActiveModel = current.into();
    if let Some(name) = input.name {
        model.name = Set(validate::name("name", &name)?);
    }
    if let Some(v) = secret("displayPhoneNumber", input.display_phone_number)? {
        model.display_phone_number = Set(Some(v));
    }
    if let Some(v) = secret("appSecret", input.app_secret)? {
        model.app_secret = Set(Some(v));
    }
    if let Some(v) = secret("verifyToken", input.verify_token)? {
        model.verify_token = Set(Some(v));
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

/// Active WhatsApp channels with these phone number ids, across organizations: a webhook knows only them.
pub async fn whatsapp_by_number_ids(db: &impl ConnectionTrait, ids: Vec<String>) -> ApiResult<Vec<channel::Model>> {
    Ok(channel::Entity::find()
        .filter(channel::Column::Kind.eq(ChannelKind::Whatsapp))
        .filter(channel::Column::ExternalId.is_in(ids))
        .filter(channel::Column::Active.eq(true))
        .all(db)
        .await?)
}

/// Whether any active WhatsApp channel uses this verify token (the handshake names no number).
pub async fn verify_token_known(db: &impl ConnectionTrait, token: &str) -> ApiResult<bool> {
    Ok(channel::Entity::find()
        .filter(channel::Column::Kind.eq(ChannelKind::Whatsapp))
        .filter(channel::Column::VerifyToken.eq(token))
        .filter(channel::Column::Active.eq(true))
        .one(db)
        .await?
        .is_some())
}
