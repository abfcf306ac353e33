//! API tokens: created by owners and admins with a role (never owner), shown once, stored as a SHA-256
//! hash (the secret is two random v4 UUIDs, 244 random bits, so a fast hash is enough and lookups stay
//! one indexed read), usable as `Authorization: Bearer ct_...` until revoked.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::{api_token, catalog_version, enums::UserRole, organization};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    validate,
};

/// Every API token starts with this, so the server tells it from a JWT without trying to decode it.
pub const PREFIX: &str = "ct_";

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn denied() -> ApiError {
    ApiError::Unauthenticated("Invalid or revoked API token".into())
}

/// The actor behind a bearer API token.
pub async fn authenticate(db: &impl ConnectionTrait, token: &str) -> ApiResult<Actor> {
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(denied)?;
    // Written at most once a minute per token, so a busy integration does not write on every request.
    let at = now();
    if row.last_used_at.is_none_or(|t| at - t > chrono::Duration::minutes(1)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(at))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    actor(db, row).await
}

/// The actor of a token again (long-lived subscriptions re-check it); fails once it is revoked.
pub async fn actor_for(db: &impl ConnectionTrait, token_id: Uuid) -> ApiResult<Actor> {
    let row = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(denied)?;
    actor(db, row).await
}

async fn actor(db: &impl ConnectionTrait, row: api_token::Model) -> ApiResult<Actor> {
    let (org, catalog) = organization::Entity::find_by_id(row.organization_id)
        .find_also_related(catalog_version::Entity)
        .one(db)
        .await?
        .ok_or_else(denied)?;
    Ok(Actor::integration(org, row.role, row.id).at_catalog_version(catalog.map_or(0, |c| c.version)))
}

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
