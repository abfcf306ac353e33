//! The 24-hour conversation windows WhatsApp bills by: a message outside an open window opens a new
//! one, user-initiated when the contact wrote first, business-initiated otherwise.

use chrono::{DateTime, Duration, Utc};
use entity::{contact, conversation, enums::MessageDirection, message};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    db::{is_postgres, new_id, now},
    error::{ApiError, ApiResult},
};

pub const WINDOW: Duration = Duration::hours(24);

/// The contact's conversation on a channel, created on first use and locked for this transaction.
pub async fn conversation_for(
    txn: &impl ConnectionTrait,
    contact: &contact::Model,
    channel_id: Uuid,
) -> ApiResult<conversation::Model> {
    let at = now();
    let row = conversation::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        contact_id: Set(contact.id),
        channel_id: Set(channel_id),
        last_message_at: Set(None),
        last_inbound_at: Set(None),
        window_started_at: Set(None),
        window_initiator: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    conversation::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                conversation::Column::OrganizationId,
                conversation::Column::ContactId,
                conversation::Column::ChannelId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let mut query = conversation::Entity::find()
        .filter(conversation::Column::OrganizationId.eq(contact.organization_id))
        .filter(conversation::Column::ContactId.eq(contact.id))
        .filter(conversation::Column::ChannelId.eq(channel_id));
    if is_postgres(txn) {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or_else(|| ApiError::internal("conversation vanished"))
}

/// Stores the message unless one with the same external id is already there; returns `None` for a
/// redelivery. Then moves the conversation's clocks and, when a new window opens, counts it.
pub async fn store(
    txn: &impl ConnectionTrait,
    contact: &contact::Model,
    conversation: conversation::Model,
    message: message::ActiveModel,
    sent_at: DateTime<Utc>,
    direction: MessageDirection,
) -> ApiResult<Option<message::Model>> {
    let id = message.id.clone().unwrap();
    let inserted = message::Entity::insert(message)
        .on_conflict(
            OnConflict::columns([
                message::Column::OrganizationId,
                message::Column::ChannelId,
                message::Column::ExternalId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let stored =
        message::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| ApiError::internal("message vanished"))?;

    // Deliveries arrive out of order: a message older than the window's start still belongs to it (and
    // moves the start back); only a message 24 hours past the start opens a new window.
    let window_open = conversation.window_started_at.is_some_and(|start| sent_at < start + WINDOW);
    let inbound = direction == MessageDirection::Inbound;
    let mut conv: conversation::ActiveModel = conversation.clone().into();
    conv.last_message_at = Set(Some(conversation.last_message_at.map_or(sent_at, |t| std::cmp::max(t, sent_at))));
    if inbound {
        conv.last_inbound_at = Set(Some(conversation.last_inbound_at.map_or(sent_at, |t| std::cmp::max(t, sent_at))));
    }
    if let Some(start) = conversation.window_started_at.filter(|s| window_open && sent_at < *s && *s - sent_at < WINDOW)
    {
        conv.window_started_at = Set(Some(std::cmp::min(start, sent_at)));
    }
    if !window_open {
        conv.window_started_at = Set(Some(sent_at));
        conv.window_initiator = Set(Some(if inbound { "USER" } else { "BUSINESS" }.into()));
    }
    conv.updated_at = Set(now());
    conv.update(txn).await?;

    // Counters move with an expression and clocks only forward, so concurrent messages never lose an
    // increment or set an older time.
    let of_contact = || {
        contact::Entity::update_many()
            .filter(contact::Column::OrganizationId.eq(contact.organization_id))
            .filter(contact::Column::Id.eq(contact.id))
    };
    if !window_open {
        let counter = if inbound {
            contact::Column::UserInitiatedConversations
        } else {
            contact::Column::BusinessInitiatedConversations
        };
        of_contact().col_expr(counter, Expr::col(counter).add(1)).exec(txn).await?;
    }
    of_contact()
        .col_expr(contact::Column::LastActivityAt, Expr::value(sent_at))
        .filter(contact::Column::LastActivityAt.lt(sent_at))
        .exec(txn)
        .await?;
    if inbound {
        of_contact()
            .col_expr(contact::Column::LastInboundAt, Expr::value(Some(sent_at)))
            .filter(
                sea_orm::Condition::any()
                    .add(contact::Column::LastInboundAt.is_null())
                    .add(contact::Column::LastInboundAt.lt(sent_at)),
            )
            .exec(txn)
            .await?;
    }
    Ok(Some(stored))
}
