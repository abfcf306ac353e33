//! One WhatsApp webhook delivery: checked against the app secret of the channels it names, then every
//! message and status is applied. The HTTP route (`http::whatsapp`) reads the body and answers.

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, EntityTrait};

use super::{
    signature,
    whatsapp::{self, Event, Sender},
};
use crate::{
    auth::Actor,
    channels, consents,
    conversations::{identities, inbound, outbound},
    error::{ApiError, ApiResult},
    events::{ContactEventKind, EventBus},
};

/// What became of a delivery.
pub enum Outcome {
    /// Applied (or already applied: redeliveries are stored once), with how many messages were new.
    Received { messages: u64 },
    /// It names no channel of ours: acknowledged so Meta stops sending it.
    Ignored,
    /// Not JSON.
    Malformed,
    /// No channel it names has an app secret that signs this body.
    BadSignature,
}

/// Applies a delivery. Unknown numbers are ignored; a database failure is an error, so the route answers
/// 5xx and Meta delivers again.
pub async fn receive(
    db: &DatabaseConnection,
    events: &EventBus,
    body: &[u8],
    signed: Option<&str>,
) -> ApiResult<Outcome> {
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else { return Ok(Outcome::Malformed) };
    let changes = whatsapp::changes(&payload);
    let mut ids: Vec<String> = changes.iter().map(|c| c.phone_number_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let known = channels::service::whatsapp_by_number_ids(db, ids).await?;
    if known.is_empty() {
        return Ok(Outcome::Ignored);
    }
    let trusted: HashMap<String, entity::channel::Model> = known
        .into_iter()
        .filter(|c| c.app_secret.as_deref().is_some_and(|s| signature::valid(s, body, signed)))
        .filter_map(|c| Some((c.external_id.clone()?, c)))
        .collect();
    if trusted.is_empty() {
        return Ok(Outcome::BadSignature);
    }
    // Each channel's organization acts through the system actor, read once per delivery.
    let mut actors: HashMap<uuid::Uuid, Actor> = HashMap::new();
    for channel in trusted.values() {
        if actors.contains_key(&channel.organization_id) {
            continue;
        }
        if let Some(org) = entity::organization::Entity::find_by_id(channel.organization_id).one(db).await? {
            actors.insert(org.id, Actor::system(org));
        }
    }
    let mut messages = 0;
    for change in &changes {
        let Some(channel) = trusted.get(&change.phone_number_id) else { continue };
        let Some(actor) = actors.get(&channel.organization_id) else { continue };
        for event in whatsapp::events(change) {
            match apply(db, events, actor, channel, event).await {
                Ok(stored) => messages += u64::from(stored),
                // A value our rules refuse would be refused again on every redelivery: logged and skipped.
                Err(ApiError::BadInput { field, message }) => {
                    tracing::warn!(channel = %channel.id, field, message, "skipped a WhatsApp event our rules refuse");
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(Outcome::Received { messages })
}

async fn apply(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    channel: &entity::channel::Model,
    event: Event,
) -> ApiResult<bool> {
    let mut stored = false;
    let (kind, contact) = match event {
        Event::Message(msg) => {
            let recorded = inbound::record(db, actor, channel, *msg).await?;
            stored = recorded.message.is_some();
            let kind = if recorded.created { ContactEventKind::Created } else { ContactEventKind::Updated };
            (kind, Some(recorded.contact))
        }
        Event::Changed { previous, current, audit } => {
            (ContactEventKind::Updated, identities::change(db, actor, channel, &previous, &current, audit).await?)
        }
        Event::Status { external_id, status, at, error, recipient } => {
            let changed = outbound::apply_status(db, channel, &external_id, &status, at, error).await?;
            let learned = learn_from_status(db, actor, channel, &external_id, recipient).await?;
            (ContactEventKind::Updated, learned.or(changed))
        }
        Event::Marketing { sender, allowed, detail, at } => {
            (ContactEventKind::Updated, marketing(db, actor, channel, sender, allowed, &detail, at).await?)
        }
        Event::Refused { field, reason } => {
            tracing::warn!(channel = %channel.id, field, reason, "refused a malformed WhatsApp message");
            (ContactEventKind::Updated, None)
        }
    };
    if let Some(contact) = contact {
        events.contact(kind, &contact).await;
    }
    Ok(stored)
}

/// A status names the recipient of a message we sent: a number, user ids or a username that contact
/// lacked are its own.
async fn learn_from_status(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &entity::channel::Model,
    external_id: &str,
    recipient: Sender,
) -> ApiResult<Option<entity::contact::Model>> {
    if recipient.identities.is_empty() && recipient.username.is_none() {
        return Ok(None);
    }
    let Some(contact_id) = outbound::recipient_of(db, channel, external_id).await? else { return Ok(None) };
    identities::learn(db, actor, channel, contact_id, &recipient.identities, recipient.username.as_deref()).await
}

/// `user_preferences`: the person stopped or resumed marketing messages on this number, recorded as their
/// consent on this channel (audited). An older preference than the one recorded changes nothing.
async fn marketing(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &entity::channel::Model,
    sender: Sender,
    allowed: bool,
    detail: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Option<entity::contact::Model>> {
    let Some((contact, _)) = identities::find(db, channel.organization_id, &sender.identities).await? else {
        return Ok(None);
    };
    let status = if allowed { "OPTED_IN" } else { "OPTED_OUT" };
    let method = format!("WhatsApp: {detail}");
    let recorded = consents::service::record_newer(db, actor, contact.id, channel.id, status, &method, at).await?;
    Ok(recorded.then_some(contact))
}
