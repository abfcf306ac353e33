use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One per contact per channel: a repeat sender continues it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    pub channel_id: Uuid,
    pub last_message_at: Option<DateTimeUtc>,
    pub last_inbound_at: Option<DateTimeUtc>,
    /// When the current 24-hour conversation window opened, and who opened it.
    pub window_started_at: Option<DateTimeUtc>,
    pub window_initiator: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
