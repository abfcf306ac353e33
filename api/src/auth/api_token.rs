//! Reading API tokens (`Authorization: Bearer ct_...`): the stored hash, and the row and organization a
//! token grants. Creating and revoking them is the `api_tokens` domain's.

use entity::{api_token, catalog_version, organization};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    db::now,
    error::{ApiError, ApiResult},
};

/// Every API token starts with this, so the server tells it from a JWT without trying to decode it.
pub const PREFIX: &str = "ct_";

/// What a live token grants: its row, its organization and the organization's catalog version.
pub struct Grant {
    pub token: api_token::Model,
    pub organization: organization::Model,
    pub catalog_version: i64,
}

/// The secret is two random v4 UUIDs (244 random bits), so a fast hash is enough and lookups stay one
/// indexed read.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn denied() -> ApiError {
    ApiError::Unauthenticated("Invalid or revoked API token".into())
}

/// The grant of a bearer API token; marks it used.
pub async fn by_secret(db: &impl ConnectionTrait, token: &str) -> ApiResult<Grant> {
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
    grant(db, row).await
}

/// The grant of a token again (long-lived subscriptions re-check it); fails once it is revoked.
pub async fn by_id(db: &impl ConnectionTrait, token_id: Uuid) -> ApiResult<Grant> {
    let row = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(denied)?;
    grant(db, row).await
}

async fn grant(db: &impl ConnectionTrait, token: api_token::Model) -> ApiResult<Grant> {
    let (organization, catalog) = organization::Entity::find_by_id(token.organization_id)
        .find_also_related(catalog_version::Entity)
        .one(db)
        .await?
        .ok_or_else(denied)?;
    Ok(Grant { token, organization, catalog_version: catalog.map_or(0, |c| c.version) })
}
