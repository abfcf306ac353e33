use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::consent;

use super::service::set;
use crate::graphql::context::{actor, db, parse_id};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStatus {
    OptedIn,
    OptedOut,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptedIn => "OPTED_IN",
            Self::OptedOut => "OPTED_OUT",
        }
    }
}

#[derive(SimpleObject)]
pub struct Consent {
    pub channel_id: ID,
    pub status: ConsentStatus,
    /// How the person said so: a message, a web form, a call, an import...
    pub method: String,
    pub recorded_at: DateTime<Utc>,
}

impl From<consent::Model> for Consent {
    fn from(m: consent::Model) -> Self {
        Self {
            channel_id: ID(m.channel_id.to_string()),
            status: if m.status == "OPTED_OUT" { ConsentStatus::OptedOut } else { ConsentStatus::OptedIn },
            method: m.method,
            recorded_at: m.recorded_at,
        }
    }
}

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Records whether a contact opted in or out of messages on a channel, and how (not viewers).
    async fn set_consent(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        channel_id: ID,
        status: ConsentStatus,
        method: String,
        recorded_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Consent> {
        let contact = parse_id(&contact_id, "contactId")?;
        let channel = parse_id(&channel_id, "channelId")?;
        Ok(set(db(ctx), actor(ctx)?, contact, channel, status.as_str(), &method, recorded_at).await?.into())
    }
}
