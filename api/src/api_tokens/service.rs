//! API tokens: created by owners and admins with a role (never owner), shown once, stored as a SHA-256
//! hash, usable as `Authorization: Bearer ct_...` until revoked (`auth::api_token` reads them).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::{api_token, enums::UserRole};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    audit,
    auth::{
        Actor,
        api_token::{PREFIX, hash},
    },
    db::{new_id, now},
    error::{ApiError, ApiResult},
    validate,
};

/// Creates a token; answers the row and the secret, which is never shown again.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
    role: UserRole,
) -> ApiResult<(api_token::Model, String)> {
    actor.require_admin()?;
    let name = validate::name("name", name)?;
    if role == UserRole::Owner {
        return Err(ApiError::bad_input("role", "A token can be ADMIN, AGENT or VIEWER, not OWNER"));
    }
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    secret[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let row = api_token::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        name: Set(name),
        role: Set(role),
        token_hash: Set(hash(&token)),
        prefix: Set(token[..PREFIX.len() + 6].to_string()),
        created_by: Set(actor.user_id()),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        actor,
        None,
        "api_token.created",
        None,
        Some(serde_json::json!({ "id": row.id, "name": row.name })),
    )
    .await?;
    Ok((row, token))
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<api_token::Model>> {
    actor.require_admin()?;
    Ok(api_token::Entity::find()
        .filter(api_token::Column::OrganizationId.eq(actor.organization_id()))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes a token of the actor's organization; it stops working at once.
pub async fn revoke(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<api_token::Model> {
    actor.require_admin()?;
    let row = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("API token"))?;
    if row.revoked_at.is_some() {
        return Ok(row);
    }
    let mut model: api_token::ActiveModel = row.into();
    model.revoked_at = Set(Some(now()));
    let row = model.update(db).await?;
    audit::record(db, actor, None, "api_token.revoked", None, Some(serde_json::json!({ "id": row.id }))).await?;
    Ok(row)
}
