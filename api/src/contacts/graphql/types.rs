use async_graphql::{Context, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{contact, contact_identifier, enums};

use crate::{
    conversations::graphql::types::Conversation,
    error::ApiError,
    graphql::context::{actor, loaders, lookups},
    listings::graphql::Listing,
    notes::graphql::{NoteConnection, notes_page},
    object_fields,
    pipeline::graphql::PipelineStage,
    properties::graphql::PropertyValue,
    tags::graphql::Tag,
    users::graphql::User,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ContactSource")]
pub enum ContactSource {
    Whatsapp,
    Telegram,
    WebWidget,
    WebForm,
    PropertyPage,
    Api,
    Import,
    Manual,
    Referral,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::IdentifierKind")]
pub enum IdentifierKind {
    Phone,
    WaId,
    WaUserId,
    /// WhatsApp's parent business-scoped user id (shared by the businesses of one portfolio).
    WaParentUserId,
    /// The current username, lower case without `@`; it may change, and its history is in the audit trail.
    Username,
    TelegramId,
    WidgetSession,
    ApiId,
    /// `system:id`: set with `setExternalId`.
    External,
}

/// The parameter and value that address a WhatsApp message to one person.
#[derive(SimpleObject)]
pub struct WhatsappAddress {
    /// `to` (a phone number or `wa_id`) or `recipient` (a business-scoped user id).
    pub parameter: String,
    pub value: String,
}

/// One way a contact is recognised on a channel; unique in the organization.
#[derive(SimpleObject)]
pub struct ContactIdentifier {
    pub kind: IdentifierKind,
    pub value: String,
    pub channel_id: Option<ID>,
    pub created_at: DateTime<Utc>,
}

impl From<contact_identifier::Model> for ContactIdentifier {
    fn from(m: contact_identifier::Model) -> Self {
        Self {
            kind: m.kind.into(),
            value: m.value,
            channel_id: m.channel_id.map(|id| ID(id.to_string())),
            created_at: m.created_at,
        }
    }
}

/// Conversation statistics, counted in 24-hour windows as WhatsApp bills them.
pub struct ContactStats(pub contact::Model);

object_fields!(
    /// Conversation statistics, counted in 24-hour windows as WhatsApp bills them.
    ContactStats(contact::Model), table StatsFields {
    user_initiated_conversations "userInitiatedConversations" -> i32 = |c| c.user_initiated_conversations;
    business_initiated_conversations "businessInitiatedConversations" -> i32 =
        |c| c.business_initiated_conversations;
    cancelled_outbounds "cancelledOutbounds" -> i32 = |c| c.cancelled_outbounds;
    received_notifications "receivedNotifications" -> i32 = |c| c.received_notifications;
});

/// A person the organization talks to.
pub struct Contact(pub contact::Model);

object_fields!(Contact(contact::Model), table ContactFields {
    id "id" -> ID = |c| ID(c.id.to_string());
    name "name" -> String = |c| c.name.clone();
    /// True once a person has edited the name: later WhatsApp profile names leave it alone.
    name_edited_manually "nameEditedManually" -> bool = |c| c.name_edited_manually;
    /// E.164, e.g. `+50688881234`.
    phone "phone" -> Option<String> = |c| c.phone.clone();
    wa_id "waId" -> Option<String> = |c| c.wa_id.clone();
    email "email" -> Option<String> = |c| c.email.clone();
    /// The contact's funnel stage.
    stage => {
        async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<PipelineStage> {
            let stage = loaders(ctx).stage(self.0.stage_id).await?;
            Ok(stage.ok_or_else(|| ApiError::internal("contact without a stage"))?.into())
        }

        #[graphql(deprecation = "Use `stage`, the same funnel stage under its usual name.")]
        async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<PipelineStage> {
            self.stage(ctx).await
        }
    };
    source "source" -> ContactSource = |c| c.source.into();
    /// The listing the contact first asked about.
    source_listing => {
        async fn source_listing(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Listing>> {
            let Some(id) = self.0.source_listing_id else {
                return Ok(None);
            };
            Ok(loaders(ctx).listing(id).await?.map(Listing))
        }

        async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
            let Some(id) = self.0.assignee_id else { return Ok(None) };
            Ok(loaders(ctx).user(id).await?.map(User))
        }

        async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
            Ok(loaders(ctx).tags(self.0.id).await?.into_iter().map(Tag).collect())
        }

        /// Custom property values in definition order; hidden properties only when asked.
        async fn properties(
            &self,
            ctx: &Context<'_>,
            #[graphql(default = false)] include_hidden: bool,
        ) -> async_graphql::Result<Vec<PropertyValue>> {
            let rows = loaders(ctx).properties(self.0.id).await?;
            Ok(rows.into_iter().filter(|(d, _)| include_hidden || !d.hidden).map(PropertyValue::from).collect())
        }

        async fn identifiers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContactIdentifier>> {
            Ok(loaders(ctx).identifiers(self.0.id).await?.into_iter().map(Into::into).collect())
        }

        /// Where an outbound WhatsApp message to this contact goes: its number (`to`) when known, else its
        /// business-scoped user id (`recipient`); null when WhatsApp knows neither.
        async fn whatsapp_address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WhatsappAddress>> {
            if let Some(number) = self.0.wa_id.clone().or_else(|| self.0.phone.clone()) {
                return Ok(Some(WhatsappAddress { parameter: "to".into(), value: number }));
            }
            let identities = loaders(ctx).identifiers(self.0.id).await?;
            let user_id = identities.into_iter().find(|i| i.kind == enums::IdentifierKind::WaUserId);
            Ok(user_id.map(|i| WhatsappAddress { parameter: "recipient".into(), value: i.value }))
        }
    };
    /// When the 24-hour customer-service window closes: a day after the contact's last message on any
    /// channel; null when they never wrote. Past it, only templates may be sent.
    messaging_window_closes_at "messagingWindowClosesAt" -> Option<DateTime<Utc>> =
        |c| c.last_inbound_at.map(|t| t + crate::conversations::WINDOW);
    /// Identity verification; null when not started.
    verification => {
        async fn verification(
            &self,
            ctx: &Context<'_>,
        ) -> async_graphql::Result<Option<crate::verifications::graphql::Verification>> {
            Ok(loaders(ctx).verification(self.0.id).await?.map(Into::into))
        }

        /// Messaging consent per channel, most recent first.
        async fn consents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::consents::graphql::Consent>> {
            Ok(loaders(ctx).consents(self.0.id).await?.into_iter().map(Into::into).collect())
        }

        /// Reservations, newest first.
        async fn reservations(
            &self,
            ctx: &Context<'_>,
        ) -> async_graphql::Result<Vec<crate::reservations::graphql::Reservation>> {
            Ok(loaders(ctx).reservations(self.0.id).await?.into_iter().map(Into::into).collect())
        }

        /// The contact's conversations, one per channel, most recent first.
        async fn conversations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Conversation>> {
            Ok(loaders(ctx).conversations(self.0.id).await?.into_iter().map(Conversation).collect())
        }
    };
    /// The team's notes on this contact, newest first.
    notes => page NoteConnection = |ctx, c, page| Ok(notes_page(ctx, lookups(ctx), actor(ctx)?, c.id, page).await?);
    stats => {
        async fn stats(&self) -> ContactStats {
            ContactStats(self.0.clone())
        }
    };
    created_at "createdAt" -> DateTime<Utc> = |c| c.created_at;
    updated_at "updatedAt" -> DateTime<Utc> = |c| c.updated_at;
    last_activity_at "lastActivityAt" -> DateTime<Utc> = |c| c.last_activity_at;
});
