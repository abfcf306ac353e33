use sea_orm::entity::prelude::*;

use crate::enums::UserRole;

/// A long-lived token for an integration. Only a hash of the secret is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub role: UserRole,
    /// SHA-256 of the secret, hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The first characters of the token, to tell tokens apart in a list.
    pub prefix: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
