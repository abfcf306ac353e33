use sea_orm::entity::prelude::*;

use crate::enums::DeliveryState;

/// One event for one endpoint: the exact body that is signed and sent, and how sending it went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub endpoint_id: Uuid,
    /// The same for every endpoint that receives the event; receivers deduplicate by it.
    pub event_id: Uuid,
    pub event_type: String,
    pub contact_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub state: DeliveryState,
    pub attempts: i32,
    /// When it is due; while a sender holds it, when that sender's claim runs out.
    pub next_attempt_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    /// Every attempt: `[{ "at", "status", "error", "ms" }]`.
    pub log: Json,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The W3C trace context of the change that raised the event, when it was traced.
    pub traceparent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
