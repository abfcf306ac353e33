//! Recording messages through GraphQL (partner integrations, widgets, other channels), with the same
//! rules as the WhatsApp webhook.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{ChannelKind, ContactSource as Source, IdentifierKind};

use super::types::Message;
use crate::{
    channels,
    contacts::graphql::types::{Contact, ContactSource},
    conversations::{inbound, outbound},
    events::{ContactEventKind, publish},
    graphql::context::{actor, db, parse_id},
    validate,
    values::{self, CountryCode, Phone},
};

/// Who sent an inbound message: at least one identity.
#[derive(InputObject, Default)]
pub struct SenderInput {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    /// WhatsApp's business-scoped user id, such as `US.13491208655302741918`.
    pub wa_user_id: Option<String>,
    /// The sender's current username (kept in lower case, without `@`): found by search, replaced when it
    /// changes; it names the contact only when the sender has no other identity.
    pub username: Option<String>,
    pub telegram_id: Option<String>,
    pub widget_session: Option<String>,
    pub api_id: Option<String>,
    /// The sender's display name; names a new contact, and follows later while no person edits it.
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct RecordInboundMessageInput {
    pub channel_id: ID,
    pub sender: SenderInput,
    /// The channel's message id: a message is stored once per id.
    pub external_id: Option<String>,
    #[graphql(default = "text")]
    pub kind: String,
    pub body: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// How a new contact found us; PROPERTY_PAGE with `listingId` for a listing's page.
    pub source: Option<ContactSource>,
    pub listing_id: Option<ID>,
    pub payload: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct RecordOutboundMessageInput {
    pub contact_id: ID,
    pub channel_id: ID,
    pub external_id: Option<String>,
    #[graphql(default = "text")]
    pub kind: String,
    pub body: Option<String>,
    #[graphql(default = "sent")]
    pub status: String,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct RecordedMessage {
    pub contact: Contact,
    /// Whether this message created the contact.
    pub contact_created: bool,
    /// False when a message with this external id was already stored.
    pub stored: bool,
    pub message: Option<Message>,
}

#[derive(Default)]
pub struct ConversationMutation;

#[Object]
impl ConversationMutation {
    /// Records a message a person sent on a channel (partner integrations, widgets, other channels),
    /// with the same identity and dedup rules as the WhatsApp webhook. Owners and admins.
    async fn record_inbound_message(
        &self,
        ctx: &Context<'_>,
        input: RecordInboundMessageInput,
    ) -> async_graphql::Result<RecordedMessage> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        let channel = channels::service::find_active(
            db(ctx),
            actor.organization_id(),
            parse_id(&input.channel_id, "channelId")?,
            "channelId",
        )
        .await?;
        let s = input.sender;
        let phone = s
            .phone
            .as_deref()
            .map(|p| Phone::parse("sender.phone", p, &CountryCode::of(actor.organization())).map(String::from))
            .transpose()?;
        let mut identities = Vec::new();
        if let Some(id) = s.wa_user_id.as_deref().filter(|v| !v.trim().is_empty()) {
            identities.push((IdentifierKind::WaUserId, values::whatsapp_user_id("sender.waUserId", id, false)?));
        }
        let pairs = [
            (IdentifierKind::WaId, "sender.waId", s.wa_id.clone()),
            (IdentifierKind::TelegramId, "sender.telegramId", s.telegram_id),
            (IdentifierKind::ApiId, "sender.apiId", s.api_id),
            (IdentifierKind::WidgetSession, "sender.widgetSession", s.widget_session),
            (IdentifierKind::Phone, "sender.phone", phone.clone()),
        ];
        for (kind, field, value) in pairs {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                identities.push((kind, validate::identity(field, &v)?));
            }
        }
        let username = s.username.filter(|u| !u.trim().is_empty());
        let username = username.map(|u| values::username("sender.username", &u)).transpose()?;
        let listing_id = input.listing_id.map(|id| parse_id(&id, "listingId")).transpose()?;
        if let Some(id) = listing_id {
            crate::listings::service::find(db(ctx), actor.organization_id(), id, "listingId").await?;
        }
        let source = match (input.source, listing_id) {
            (Some(s), _) => s.into(),
            (None, Some(_)) => Source::PropertyPage,
            // A contact is born where it first wrote.
            (None, None) => match channel.kind {
                ChannelKind::Whatsapp => Source::Whatsapp,
                ChannelKind::Telegram => Source::Telegram,
                ChannelKind::WebWidget => Source::WebWidget,
                ChannelKind::Api => Source::Api,
            },
        };
        let msg = inbound::InboundMessage {
            identities,
            username,
            phone,
            wa_id: s.wa_id,
            profile_name: s.name,
            source,
            listing_id,
            external_id: input.external_id,
            kind: validate::text("kind", &input.kind, 40)?,
            body: input.body.map(|b| validate::text("body", &b, 65_536)).transpose()?,
            payload: input.payload.map(|p| p.0),
            sent_at: input.sent_at.map_or_else(crate::db::now, |t| t.min(crate::db::now())),
        };
        let system = crate::auth::Actor::system(actor.organization().clone());
        let recorded = inbound::record(db(ctx), &system, &channel, msg).await?;
        if recorded.message.is_some()
            && let Ok(metrics) = ctx.data::<std::sync::Arc<crate::metrics::Metrics>>()
        {
            metrics.inbound(channel_label(channel.kind), 1);
        }
        let kind = if recorded.created { ContactEventKind::Created } else { ContactEventKind::Updated };
        publish(ctx, kind, &recorded.contact).await;
        Ok(RecordedMessage {
            contact: Contact(recorded.contact),
            contact_created: recorded.created,
            stored: recorded.message.is_some(),
            message: recorded.message.map(Message),
        })
    }

    /// Records a message the business sent to a contact the caller can see.
    async fn record_outbound_message(
        &self,
        ctx: &Context<'_>,
        input: RecordOutboundMessageInput,
    ) -> async_graphql::Result<RecordedMessage> {
        let actor = actor(ctx)?;
        let channel = channels::service::find_active(
            db(ctx),
            actor.organization_id(),
            parse_id(&input.channel_id, "channelId")?,
            "channelId",
        )
        .await?;
        let msg = outbound::OutboundMessage {
            contact_id: parse_id(&input.contact_id, "contactId")?,
            channel,
            external_id: input.external_id,
            kind: input.kind,
            body: input.body,
            status: input.status,
            sent_at: input.sent_at.map_or_else(crate::db::now, |t| t.min(crate::db::now())),
        };
        let (contact, stored) = outbound::record(db(ctx), actor, msg).await?;
        publish(ctx, ContactEventKind::Updated, &contact).await;
        Ok(RecordedMessage {
            contact: Contact(contact),
            contact_created: false,
            stored: stored.is_some(),
            message: stored.map(Message),
        })
    }
}

/// The `channel` label of inbound messages in `/metrics`.
fn channel_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Whatsapp => "whatsapp",
        ChannelKind::Telegram => "telegram",
        ChannelKind::WebWidget => "web_widget",
        ChannelKind::Api => "api",
    }
}
