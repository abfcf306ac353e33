use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::IdentifierKind;

/// One way of recognising a contact (phone, wa_id, username, ...); unique per organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_identifiers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    pub kind: IdentifierKind,
    pub value: String,
    pub channel_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
