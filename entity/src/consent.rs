use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a contact agreed to be messaged on a channel, and when and how they said so.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    pub channel_id: Uuid,
    /// OPTED_IN or OPTED_OUT.
    pub status: String,
    /// How: a message, a web form, a call, an import...
    pub method: String,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
