use sea_orm::entity::prelude::*;

use crate::enums::MessageDirection;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub conversation_id: Uuid,
    pub contact_id: Uuid,
    pub channel_id: Uuid,
    pub direction: MessageDirection,
    /// text, image, audio, ..., or `unknown` for types this server does not understand yet.
    pub kind: String,
    pub body: Option<String>,
    /// The provider's message as received, for kinds we do not model.
    pub payload: Option<Json>,
    pub status: String,
    /// Provider message id (WhatsApp `wamid`); unique per channel so redeliveries are stored once.
    pub external_id: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub status_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
