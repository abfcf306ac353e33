use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{channel, enums};

use super::service::{self, ChannelInput};
use crate::graphql::context::{actor, db, parse_id};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::ChannelKind")]
pub enum ChannelKind {
    Whatsapp,
    Telegram,
    WebWidget,
    Api,
}

/// A number or endpoint contacts write to. Its secrets are write-only.
pub struct Channel(pub channel::Model);

#[Object]
impl Channel {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> ChannelKind {
        self.0.kind.into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// WhatsApp: the phone number id Meta's webhooks name.
    async fn phone_number_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    async fn display_phone_number(&self) -> Option<&str> {
        self.0.display_phone_number.as_deref()
    }

    /// Whether an app secret is set (the secret itself is never readable).
    async fn has_app_secret(&self) -> bool {
        self.0.app_secret.is_some()
    }

    async fn active(&self) -> bool {
        self.0.active
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateChannelInput {
    pub kind: ChannelKind,
    pub name: String,
    pub phone_number_id: Option<String>,
    pub display_phone_number: Option<String>,
    /// Meta's app secret, used to check `X-Hub-Signature-256`. Write-only.
    pub app_secret: Option<String>,
    /// What Meta's verification handshake must present. Write-only.
    pub verify_token: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateChannelInput {
    pub name: Option<String>,
    pub display_phone_number: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// The organization's channels.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        Ok(service::list(db(ctx), actor(ctx)?).await?.into_iter().map(Channel).collect())
    }
}

#[derive(Default)]
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Registers a WhatsApp number or another channel (admins).
    async fn create_channel(&self, ctx: &Context<'_>, input: CreateChannelInput) -> async_graphql::Result<Channel> {
        let input = ChannelInput {
            kind: Some(input.kind.into()),
            name: Some(input.name),
            external_id: input.phone_number_id,
            display_phone_number: input.display_phone_number,
            app_secret: input.app_secret,
            verify_token: input.verify_token,
            active: None,
        };
        Ok(Channel(service::create(db(ctx), actor(ctx)?, input).await?))
    }

    /// Renames a channel, rotates its secrets or turns it off (admins).
    async fn update_channel(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateChannelInput,
    ) -> async_graphql::Result<Channel> {
        let input = ChannelInput {
            kind: None,
            name: input.name,
            external_id: None,
            display_phone_number: input.display_phone_number,
            app_secret: input.app_secret,
            verify_token: input.verify_token,
            active: input.active,
        };
        Ok(Channel(service::update(db(ctx), actor(ctx)?, parse_id(&id, "id")?, input).await?))
    }

    /// Deletes a channel nobody has talked through (admins). One with conversations or consents is archived
    /// instead: it takes no new messages and keeps its history (`deleted` false, `channel` inactive).
    async fn delete_channel(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ChannelRemoval> {
        let removal = service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(match removal {
            service::Removal::Deleted => ChannelRemoval { id, deleted: true, channel: None },
            service::Removal::Archived(c) => ChannelRemoval { id, deleted: false, channel: Some(Channel(c)) },
        })
    }
}

/// What `deleteChannel` did.
#[derive(async_graphql::SimpleObject)]
pub struct ChannelRemoval {
    pub id: ID,
    /// True when the channel is gone; false when it was archived because it has history.
    pub deleted: bool,
    /// The archived channel, when it was kept.
    pub channel: Option<Channel>,
}
