//! Closed sets of values stored as text, so a database row is readable without a lookup table. In JSON
//! (audit entries, partner webhooks, stored records) each is spelled as it is stored and as the GraphQL
//! schema spells it (`WHATSAPP`); the Rust name is still read, for records written before.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum UserRole {
    #[sea_orm(string_value = "OWNER")]
    #[serde(rename = "OWNER", alias = "Owner")]
    Owner,
    #[sea_orm(string_value = "ADMIN")]
    #[serde(rename = "ADMIN", alias = "Admin")]
    Admin,
    #[sea_orm(string_value = "AGENT")]
    #[serde(rename = "AGENT", alias = "Agent")]
    Agent,
    #[sea_orm(string_value = "VIEWER")]
    #[serde(rename = "VIEWER", alias = "Viewer")]
    Viewer,
}

impl UserRole {
    /// Owners and admins manage the organization.
    pub fn is_admin(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PlanTier {
    #[sea_orm(string_value = "FREE")]
    #[serde(rename = "FREE", alias = "Free")]
    Free,
    #[sea_orm(string_value = "STARTER")]
    #[serde(rename = "STARTER", alias = "Starter")]
    Starter,
    #[sea_orm(string_value = "GROWTH")]
    #[serde(rename = "GROWTH", alias = "Growth")]
    Growth,
    #[sea_orm(string_value = "SCALE")]
    #[serde(rename = "SCALE", alias = "Scale")]
    Scale,
}

impl PlanTier {
    /// The most contacts an organization on this plan may hold; `None` is unlimited.
    pub fn contact_limit(self) -> Option<i64> {
        match self {
            Self::Free => Some(100),
            Self::Starter => Some(5_000),
            Self::Growth => Some(25_000),
            Self::Scale => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ContactSource {
    #[sea_orm(string_value = "WHATSAPP")]
    #[serde(rename = "WHATSAPP", alias = "Whatsapp")]
    Whatsapp,
    #[sea_orm(string_value = "TELEGRAM")]
    #[serde(rename = "TELEGRAM", alias = "Telegram")]
    Telegram,
    #[sea_orm(string_value = "WEB_WIDGET")]
    #[serde(rename = "WEB_WIDGET", alias = "WebWidget")]
    WebWidget,
    #[sea_orm(string_value = "WEB_FORM")]
    #[serde(rename = "WEB_FORM", alias = "WebForm")]
    WebForm,
    #[sea_orm(string_value = "PROPERTY_PAGE")]
    #[serde(rename = "PROPERTY_PAGE", alias = "PropertyPage")]
    PropertyPage,
    #[sea_orm(string_value = "API")]
    #[serde(rename = "API", alias = "Api")]
    Api,
    #[sea_orm(string_value = "IMPORT")]
    #[serde(rename = "IMPORT", alias = "Import")]
    Import,
    #[sea_orm(string_value = "MANUAL")]
    #[serde(rename = "MANUAL", alias = "Manual")]
    Manual,
    #[sea_orm(string_value = "REFERRAL")]
    #[serde(rename = "REFERRAL", alias = "Referral")]
    Referral,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ChannelKind {
    #[sea_orm(string_value = "WHATSAPP")]
    #[serde(rename = "WHATSAPP", alias = "Whatsapp")]
    Whatsapp,
    #[sea_orm(string_value = "TELEGRAM")]
    #[serde(rename = "TELEGRAM", alias = "Telegram")]
    Telegram,
    #[sea_orm(string_value = "WEB_WIDGET")]
    #[serde(rename = "WEB_WIDGET", alias = "WebWidget")]
    WebWidget,
    #[sea_orm(string_value = "API")]
    #[serde(rename = "API", alias = "Api")]
    Api,
}

/// The kinds of identity a contact is known by; each (kind, value) is unique per organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum IdentifierKind {
    #[sea_orm(string_value = "PHONE")]
    #[serde(rename = "PHONE", alias = "Phone")]
    Phone,
    #[sea_orm(string_value = "WA_ID")]
    #[serde(rename = "WA_ID", alias = "WaId")]
    WaId,
    #[sea_orm(string_value = "WA_USER_ID")]
    #[serde(rename = "WA_USER_ID", alias = "WaUserId")]
    WaUserId,
    /// A WhatsApp parent business-scoped user id, shared by the businesses of one portfolio.
    #[sea_orm(string_value = "WA_PARENT_USER_ID")]
    #[serde(rename = "WA_PARENT_USER_ID", alias = "WaParentUserId")]
    WaParentUserId,
    /// The current username (lower case, without `@`): found by search, not a permanent key.
    #[sea_orm(string_value = "USERNAME")]
    #[serde(rename = "USERNAME", alias = "Username")]
    Username,
    #[sea_orm(string_value = "TELEGRAM_ID")]
    #[serde(rename = "TELEGRAM_ID", alias = "TelegramId")]
    TelegramId,
    #[sea_orm(string_value = "WIDGET_SESSION")]
    #[serde(rename = "WIDGET_SESSION", alias = "WidgetSession")]
    WidgetSession,
    #[sea_orm(string_value = "API_ID")]
    #[serde(rename = "API_ID", alias = "ApiId")]
    ApiId,
    /// An id in another system (a CRM, a help desk), stored as `system:id`.
    #[sea_orm(string_value = "EXTERNAL")]
    #[serde(rename = "EXTERNAL", alias = "External")]
    External,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum StageKind {
    #[sea_orm(string_value = "OPEN")]
    #[serde(rename = "OPEN", alias = "Open")]
    Open,
    #[sea_orm(string_value = "WON")]
    #[serde(rename = "WON", alias = "Won")]
    Won,
    #[sea_orm(string_value = "LOST")]
    #[serde(rename = "LOST", alias = "Lost")]
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PropertyType {
    #[sea_orm(string_value = "TEXT")]
    #[serde(rename = "TEXT", alias = "Text")]
    Text,
    #[sea_orm(string_value = "NUMBER")]
    #[serde(rename = "NUMBER", alias = "Number")]
    Number,
    #[sea_orm(string_value = "BOOLEAN")]
    #[serde(rename = "BOOLEAN", alias = "Boolean")]
    Boolean,
    #[sea_orm(string_value = "DATE")]
    #[serde(rename = "DATE", alias = "Date")]
    Date,
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL", alias = "Email")]
    Email,
    #[sea_orm(string_value = "LIST")]
    #[serde(rename = "LIST", alias = "List")]
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MessageDirection {
    #[sea_orm(string_value = "INBOUND")]
    #[serde(rename = "INBOUND", alias = "Inbound")]
    Inbound,
    #[sea_orm(string_value = "OUTBOUND")]
    #[serde(rename = "OUTBOUND", alias = "Outbound")]
    Outbound,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobKind {
    #[sea_orm(string_value = "IMPORT")]
    #[serde(rename = "IMPORT", alias = "Import")]
    Import,
    #[sea_orm(string_value = "EXPORT")]
    #[serde(rename = "EXPORT", alias = "Export")]
    Export,
    #[sea_orm(string_value = "BULK_UPDATE")]
    #[serde(rename = "BULK_UPDATE", alias = "BulkUpdate")]
    BulkUpdate,
    #[sea_orm(string_value = "BULK_DELETE")]
    #[serde(rename = "BULK_DELETE", alias = "BulkDelete")]
    BulkDelete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobState {
    #[sea_orm(string_value = "QUEUED")]
    #[serde(rename = "QUEUED", alias = "Queued")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    #[serde(rename = "RUNNING", alias = "Running")]
    Running,
    #[sea_orm(string_value = "DONE")]
    #[serde(rename = "DONE", alias = "Done")]
    Done,
    #[sea_orm(string_value = "FAILED")]
    #[serde(rename = "FAILED", alias = "Failed")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    #[serde(rename = "CANCELLED", alias = "Cancelled")]
    Cancelled,
}

/// Where an outbound webhook delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    #[sea_orm(string_value = "PENDING")]
    #[serde(rename = "PENDING", alias = "Pending")]
    Pending,
    #[sea_orm(string_value = "DELIVERED")]
    #[serde(rename = "DELIVERED", alias = "Delivered")]
    Delivered,
    /// Every attempt failed.
    #[sea_orm(string_value = "FAILED")]
    #[serde(rename = "FAILED", alias = "Failed")]
    Failed,
}
