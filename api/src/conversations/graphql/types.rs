//! Conversations and messages as GraphQL types: what a contact's `conversations` field answers.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{conversation, enums, message};

use crate::{
    channels::graphql::Channel,
    connection,
    conversations::{WINDOW, read},
    error::ApiError,
    graphql::context::{actor, loaders, lookups},
    pagination::{PageArgs, wants_total},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::MessageDirection")]
pub enum MessageDirection {
    Inbound,
    Outbound,
}

pub struct Message(pub message::Model);

#[Object]
impl Message {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn direction(&self) -> MessageDirection {
        self.0.direction.into()
    }

    /// text, image, audio, template, system, ... as the channel named it.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }

    /// RECEIVED (inbound); PENDING, SENT, DELIVERED, READ or FAILED (outbound).
    async fn status(&self) -> MessageStatus {
        MessageStatus::of(&self.0.status)
    }

    #[graphql(deprecation = "Use `status`, an enum; this is its stored lower-case spelling.")]
    async fn status_text(&self) -> &str {
        &self.0.status
    }

    /// The channel's own message id (WhatsApp `wamid`).
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(MessageConnection, MessageEdge, Message);

/// Where a message stands: received (inbound), or how far an outbound one got.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Received,
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    /// From the stored spelling (the channel's: `read`, `delivered`, ...); statuses are checked on the way in.
    fn of(stored: &str) -> Self {
        match stored {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => Self::Received,
        }
    }
}

/// A contact's thread on one channel.
pub struct Conversation(pub conversation::Model);

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn channel(&self, ctx: &Context<'_>) -> async_graphql::Result<Channel> {
        let ch = loaders(ctx).channel(self.0.channel_id).await?;
        Ok(Channel(ch.ok_or_else(|| ApiError::internal("conversation without channel"))?))
    }

    /// Newest first.
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<MessageConnection> {
        let page = read::messages(
            lookups(ctx),
            actor(ctx)?,
            &self.0,
            PageArgs { first, after, last, before },
            wants_total(ctx),
        )
        .await?;
        let items = page.items.into_iter().map(|(c, m)| (c, Message(m))).collect();
        Ok(MessageConnection::new(items, page.flags, page.total))
    }

    async fn last_message_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_message_at
    }

    /// When the 24-hour customer-service window closes (from the contact's last message).
    async fn window_closes_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_inbound_at.map(|t| t + WINDOW)
    }
}
