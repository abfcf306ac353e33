//! Outbound messages recorded by partners, and delivery statuses (sent, delivered, read, failed).

use chrono::{DateTime, Utc};
use entity::{channel, contact, enums::MessageDirection, message};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use super::window;
use crate::{
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    validate,
    visibility::Visible,
    visibility::find_visible,
};

pub struct OutboundMessage {
    pub contact_id: uuid::Uuid,
    pub channel: channel::Model,
    pub external_id: Option<String>,
    pub kind: String,
    pub body: Option<String>,
    pub status: String,
    pub sent_at: DateTime<Utc>,
}

pub const STATUSES: [&str; 5] = ["pending", "sent", "delivered", "read", "failed"];

/// Records a message the business sent (writers, on contacts they can see). Stored once per external id.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    msg: OutboundMessage,
) -> ApiResult<(contact::Model, Option<message::Model>)> {
    actor.require_writer()?;
    if !STATUSES.contains(&msg.status.as_str()) {
        return Err(ApiError::bad_input("status", format!("One of: {}", STATUSES.join(", "))));
    }
    let kind = validate::text("kind", &msg.kind, 40)?;
    let body = msg.body.map(|b| validate::text("body", &b, 65_536)).transpose()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, msg.contact_id).await?;
    let conversation = window::conversation_for(&txn, &contact, msg.channel.id).await?;
    let external_id = msg.external_id.clone();
    let row = message::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        conversation_id: Set(conversation.id),
        contact_id: Set(contact.id),
        channel_id: Set(msg.channel.id),
        direction: Set(MessageDirection::Outbound),
        kind: Set(kind),
        body: Set(body),
        payload: Set(None),
        status: Set(msg.status.clone()),
        external_id: Set(msg.external_id),
        error: Set(None),
        created_at: Set(msg.sent_at),
        status_updated_at: Set(None),
    };
    let stored = window::store(&txn, &contact, conversation, row, msg.sent_at, MessageDirection::Outbound).await?;
    if stored.is_some() {
        crate::segments::members::refresh(&txn, contact.organization_id, &[contact.id]).await?;
    }
    match (&stored, &external_id) {
        (Some(m), _) => count_status(&txn, m, None, &msg.status).await?,
        // A repeated id is a redelivery only on this contact's conversation; another contact's message
        // with that id is not confirmed to exist.
        (None, Some(ext)) => {
            let holder = message::Entity::find()
                .filter(message::Column::OrganizationId.eq(contact.organization_id))
                .filter(message::Column::ChannelId.eq(msg.channel.id))
                .filter(message::Column::ExternalId.eq(ext.as_str()))
                .one(&txn)
                .await?;
            if holder.is_some_and(|m| m.contact_id != contact.id) {
                return Err(ApiError::conflict("externalId", "This message id is already in use on the channel"));
            }
        }
        (None, None) => {}
    }
    txn.commit().await?;
    let contact = Visible::contact(actor, contact.id).into_select().one(db).await?.unwrap_or(contact);
    Ok((contact, stored))
}

fn rank(status: &str) -> u8 {
    match status {
        "pending" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => 0,
    }
}

/// Applies a delivery status to the message with this external id on this channel. Statuses only move
/// forward (a late "delivered" never undoes "read"); unknown messages are ignored.
pub async fn apply_status(
    db: &DatabaseConnection,
    channel: &channel::Model,
    external_id: &str,
    status: &str,
    at: DateTime<Utc>,
    error: Option<String>,
) -> ApiResult<Option<contact::Model>> {
    if !STATUSES.contains(&status) {
        return Ok(None);
    }
    let txn = begin_write(db).await?;
    let Some(current) = message::Entity::find()
        .filter(message::Column::OrganizationId.eq(channel.organization_id))
        .filter(message::Column::ChannelId.eq(channel.id))
        .filter(message::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    if rank(status) <= rank(&current.status) {
        return Ok(None);
    }
    let previous = current.status.clone();
    let mut model: message::ActiveModel = current.clone().into();
    model.status = Set(status.to_string());
    model.status_updated_at = Set(Some(at));
    if error.is_some() {
        model.error = Set(error);
    }
    let updated = model.update(&txn).await?;
    count_status(&txn, &updated, Some(&previous), status).await?;
    txn.commit().await?;
    // A status from the webhook: the organization itself reads the contact it belongs to.
    let system = Visible::system(updated.organization_id).filter(contact::Column::Id.eq(updated.contact_id));
    Ok(system.into_select().one(db).await?)
}

/// Statistics that follow statuses: a failed outbound is a cancelled one; a delivered template is a
/// received notification. Each counts once per message.
async fn count_status(
    txn: &impl ConnectionTrait,
    m: &message::Model,
    previous: Option<&str>,
    status: &str,
) -> ApiResult<()> {
    if m.direction != MessageDirection::Outbound {
        return Ok(());
    }
    let counter = match status {
        "failed" => Some(contact::Column::CancelledOutbounds),
        "delivered" | "read" if m.kind == "template" && previous.is_none_or(|p| rank(p) < rank("delivered")) => {
            Some(contact::Column::ReceivedNotifications)
        }
        _ => None,
    };
    if let Some(col) = counter {
        contact::Entity::update_many()
            .col_expr(col, Expr::col(col).add(1))
            .col_expr(contact::Column::UpdatedAt, Expr::value(now()))
            .filter(contact::Column::OrganizationId.eq(m.organization_id))
            .filter(contact::Column::Id.eq(m.contact_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The contact a message we sent on this channel went to, by the channel's message id.
pub async fn recipient_of(
    db: &DatabaseConnection,
    channel: &channel::Model,
    external_id: &str,
) -> ApiResult<Option<uuid::Uuid>> {
    let sent = message::Entity::find()
        .filter(message::Column::OrganizationId.eq(channel.organization_id))
        .filter(message::Column::ChannelId.eq(channel.id))
        .filter(message::Column::ExternalId.eq(external_id))
        .filter(message::Column::Direction.eq(MessageDirection::Outbound))
        .one(db)
        .await?;
    Ok(sent.map(|m| m.contact_id))
}
