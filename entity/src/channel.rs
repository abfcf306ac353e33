use sea_orm::entity::prelude::*;

use crate::enums::ChannelKind;

/// A number or endpoint contacts write to: a WhatsApp Business number, a Telegram bot, a web widget.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: ChannelKind,
    pub name: String,
    /// The provider's id for this channel (WhatsApp: the phone number id); webhooks are routed by it.
    pub external_id: Option<String>,
    pub display_phone_number: Option<String>,
    /// Write-only secrets: never returned through the API.
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
