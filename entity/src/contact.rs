use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ContactSource;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// Lower-cased, accent-free name: what name ordering sorts by.
    pub sort_name: String,
    /// Set once a person edits the name, so later WhatsApp profile names leave it alone.
    pub name_edited_manually: bool,
    /// E.164; mirrors the PHONE identity for ordering and display.
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub email: Option<String>,
    pub stage_id: Uuid,
    pub source: ContactSource,
    pub source_listing_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// Lower-cased, accent-free name, email and phone digits: what `search` matches.
    pub search_text: String,
    pub user_initiated_conversations: i32,
    pub business_initiated_conversations: i32,
    pub cancelled_outbounds: i32,
    pub received_notifications: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
    pub last_inbound_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
