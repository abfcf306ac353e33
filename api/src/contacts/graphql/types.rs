use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{contact, contact_identifier, enums};

use crate::{
    conversations::graphql::types::Conversation,
    error::ApiError,
    graphql::context::{actor, loaders, lookups},
    listings::graphql::Listing,
    notes::graphql::{NoteConnection, notes_page},
    pagination::PageArgs,
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
    Username,
    TelegramId,
    WidgetSession,
    ApiId,
    /// `system:id`: set with `setExternalId`.
    External,
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
#[derive(SimpleObject)]
pub struct ContactStats {
    pub user_initiated_conversations: i32,
    pub business_initiated_conversations: i32,
    pub cancelled_outbounds: i32,
    pub received_notifications: i32,
}

/// A person the organization talks to.
pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// True once a person has edited the name: later WhatsApp profile names leave it alone.
    async fn name_edited_manually(&self) -> bool {
        self.0.name_edited_manually
    }

    /// E.164, e.g. `+50688881234`.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    async fn wa_id(&self) -> Option<&str> {
        self.0.wa_id.as_deref()
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// The contact's funnel stage.
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<PipelineStage> {
        let stage = loaders(ctx).stage(self.0.stage_id).await?;
        Ok(stage.ok_or_else(|| ApiError::internal("contact without a stage"))?.into())
    }

    async fn source(&self) -> ContactSource {
        self.0.source.into()
    }

    /// The listing the contact first asked about.
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

    /// When the 24-hour customer-service window closes: a day after the contact's last message on any
    /// channel; null when they never wrote. Past it, only templates may be sent.
    async fn messaging_window_closes_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_inbound_at.map(|t| t + crate::conversations::WINDOW)
    }

    /// Identity verification; null when not started.
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

    /// The team's notes on this contact, newest first.
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<NoteConnection> {
        Ok(notes_page(ctx, lookups(ctx), actor(ctx)?, self.0.id, PageArgs { first, after, last, before }).await?)
    }

    async fn stats(&self) -> ContactStats {
        ContactStats {
            user_initiated_conversations: self.0.user_initiated_conversations,
            business_initiated_conversations: self.0.business_initiated_conversations,
            cancelled_outbounds: self.0.cancelled_outbounds,
            received_notifications: self.0.received_notifications,
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }
}
