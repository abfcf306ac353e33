use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Identity verification of a contact by a partner service; at most one per contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "verifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    /// NOT_STARTED, PENDING, APPROVED or DECLINED.
    pub status: String,
    pub link: Option<String>,
    pub document_type: Option<String>,
    pub issuing_country: Option<String>,
    pub external_id: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
