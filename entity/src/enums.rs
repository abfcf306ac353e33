//! Closed sets of values stored as text, so a database row is readable without a lookup table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum UserRole {
    #[sea_orm(string_value = "OWNER")]
    Owner,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "AGENT")]
    Agent,
    #[sea_orm(string_value = "VIEWER")]
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
    Free,
    #[sea_orm(string_value = "STARTER")]
    Starter,
    #[sea_orm(string_value = "GROWTH")]
    Growth,
    #[sea_orm(string_value = "SCALE")]
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
    Whatsapp,
    #[sea_orm(string_value = "TELEGRAM")]
    Telegram,
    #[sea_orm(string_value = "WEB_WIDGET")]
    WebWidget,
    #[sea_orm(string_value = "WEB_FORM")]
    WebForm,
    #[sea_orm(string_value = "PROPERTY_PAGE")]
    PropertyPage,
    #[sea_orm(string_value = "API")]
    Api,
    #[sea_orm(string_value = "IMPORT")]
    Import,
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ChannelKind {
    #[sea_orm(string_value = "WHATSAPP")]
    Whatsapp,
    #[sea_orm(string_value = "TELEGRAM")]
    Telegram,
    #[sea_orm(string_value = "WEB_WIDGET")]
    WebWidget,
    #[sea_orm(string_value = "API")]
    Api,
}

/// The kinds of identity a contact is known by; each (kind, value) is unique per organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum IdentifierKind {
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "WA_ID")]
    WaId,
    #[sea_orm(string_value = "WA_USER_ID")]
    WaUserId,
    /// A WhatsApp parent business-scoped user id, shared by the businesses of one portfolio.
    #[sea_orm(string_value = "WA_PARENT_USER_ID")]
    WaParentUserId,
    /// The current username (lower case, without `@`): found by search, not a permanent key.
    #[sea_orm(string_value = "USERNAME")]
    Username,
    #[sea_orm(string_value = "TELEGRAM_ID")]
    TelegramId,
    #[sea_orm(string_value = "WIDGET_SESSION")]
    WidgetSession,
    #[sea_orm(string_value = "API_ID")]
    ApiId,
    /// An id in another system (a CRM, a help desk), stored as `system:id`.
    #[sea_orm(string_value = "EXTERNAL")]
    External,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum StageKind {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "WON")]
    Won,
    #[sea_orm(string_value = "LOST")]
    Lost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PropertyType {
    #[sea_orm(string_value = "TEXT")]
    Text,
    #[sea_orm(string_value = "NUMBER")]
    Number,
    #[sea_orm(string_value = "BOOLEAN")]
    Boolean,
    #[sea_orm(string_value = "DATE")]
    Date,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "LIST")]
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MessageDirection {
    #[sea_orm(string_value = "INBOUND")]
    Inbound,
    #[sea_orm(string_value = "OUTBOUND")]
    Outbound,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobKind {
    #[sea_orm(string_value = "IMPORT")]
    Import,
    #[sea_orm(string_value = "EXPORT")]
    Export,
    #[sea_orm(string_value = "BULK_UPDATE")]
    BulkUpdate,
    #[sea_orm(string_value = "BULK_DELETE")]
    BulkDelete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum JobState {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Where an outbound webhook delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every attempt failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}
