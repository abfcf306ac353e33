//! The fields of each type a page answers itself, written as the engine writes them.

use async_graphql::{InputType, ScalarType, Value};
use entity::{contact, pipeline_stage, tag, user};

use super::selection::Leaf;
use crate::{contacts::graphql::types::ContactSource, pipeline::graphql::StageKind, users::graphql::Role};

#[derive(Clone, Copy)]
pub(super) enum Scalar {
    Id,
    Name,
    NameEditedManually,
    Phone,
    WaId,
    Email,
    Source,
    MessagingWindowClosesAt,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
}

impl Leaf for Scalar {
    const TYPE: &'static str = "Contact";
    type Row = contact::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "nameEditedManually" => Self::NameEditedManually,
            "phone" => Self::Phone,
            "waId" => Self::WaId,
            "email" => Self::Email,
            "source" => Self::Source,
            "messagingWindowClosesAt" => Self::MessagingWindowClosesAt,
            "createdAt" => Self::CreatedAt,
            "updatedAt" => Self::UpdatedAt,
            "lastActivityAt" => Self::LastActivityAt,
            _ => return None,
        })
    }

    fn value(self, c: &contact::Model) -> Value {
        match self {
            Self::Id => Value::String(c.id.to_string()),
            Self::Name => Value::String(c.name.clone()),
            Self::NameEditedManually => Value::Boolean(c.name_edited_manually),
            Self::Phone => optional(c.phone.as_deref()),
            Self::WaId => optional(c.wa_id.as_deref()),
            Self::Email => optional(c.email.as_deref()),
            Self::Source => ContactSource::from(c.source).to_value(),
            Self::MessagingWindowClosesAt => {
                c.last_inbound_at.map_or(Value::Null, |t| time(t + crate::conversations::WINDOW))
            }
            Self::CreatedAt => time(c.created_at),
            Self::UpdatedAt => time(c.updated_at),
            Self::LastActivityAt => time(c.last_activity_at),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Stats {
    UserInitiated,
    BusinessInitiated,
    CancelledOutbounds,
    ReceivedNotifications,
}

impl Leaf for Stats {
    const TYPE: &'static str = "ContactStats";
    type Row = contact::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "userInitiatedConversations" => Self::UserInitiated,
            "businessInitiatedConversations" => Self::BusinessInitiated,
            "cancelledOutbounds" => Self::CancelledOutbounds,
            "receivedNotifications" => Self::ReceivedNotifications,
            _ => return None,
        })
    }

    fn value(self, c: &contact::Model) -> Value {
        Value::from(match self {
            Self::UserInitiated => c.user_initiated_conversations,
            Self::BusinessInitiated => c.business_initiated_conversations,
            Self::CancelledOutbounds => c.cancelled_outbounds,
            Self::ReceivedNotifications => c.received_notifications,
        })
    }
}

#[derive(Clone, Copy)]
pub(super) enum Stage {
    Id,
    Name,
    Color,
    Kind,
    Position,
    Archived,
}

impl Leaf for Stage {
    const TYPE: &'static str = "PipelineStage";
    type Row = pipeline_stage::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "color" => Self::Color,
            "kind" => Self::Kind,
            "position" => Self::Position,
            "archived" => Self::Archived,
            _ => return None,
        })
    }

    fn value(self, s: &pipeline_stage::Model) -> Value {
        match self {
            Self::Id => Value::String(s.id.to_string()),
            Self::Name => Value::String(s.name.clone()),
            Self::Color => Value::String(s.color.clone()),
            Self::Kind => StageKind::from(s.kind).to_value(),
            Self::Position => Value::from(s.position),
            Self::Archived => Value::Boolean(s.archived),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Member {
    Id,
    Email,
    Name,
    Role,
    Active,
    CreatedAt,
}

impl Leaf for Member {
    const TYPE: &'static str = "User";
    type Row = user::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "email" => Self::Email,
            "name" => Self::Name,
            "role" => Self::Role,
            "active" => Self::Active,
            "createdAt" => Self::CreatedAt,
            _ => return None,
        })
    }

    fn value(self, u: &user::Model) -> Value {
        match self {
            Self::Id => Value::String(u.id.to_string()),
            Self::Email => Value::String(u.email.clone()),
            Self::Name => Value::String(u.name.clone()),
            Self::Role => Role::from(u.role).to_value(),
            Self::Active => Value::Boolean(u.active),
            Self::CreatedAt => time(u.created_at),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Label {
    Id,
    Name,
    Color,
    CreatedAt,
}

impl Leaf for Label {
    const TYPE: &'static str = "Tag";
    type Row = tag::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "color" => Self::Color,
            "createdAt" => Self::CreatedAt,
            _ => return None,
        })
    }

    fn value(self, t: &tag::Model) -> Value {
        match self {
            Self::Id => Value::String(t.id.to_string()),
            Self::Name => Value::String(t.name.clone()),
            Self::Color => optional(t.color.as_deref()),
            Self::CreatedAt => time(t.created_at),
        }
    }
}

/// As the engine writes a `DateTime` (RFC 3339).
fn time(t: chrono::DateTime<chrono::Utc>) -> Value {
    ScalarType::to_value(&t)
}

fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_owned()))
}
