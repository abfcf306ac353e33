//! One WhatsApp webhook delivery: checked against the app secret of the channels it names, then every
//! message and status is applied. The HTTP route (`http::whatsapp`) reads the body and answers.

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, EntityTrait};

use super::{
    signature,
    whatsapp::{self, Event},
};
use crate::{
    auth::Actor,
    channels,
    conversations::{inbound, outbound},
    error::ApiResult,
    events::{ContactEventKind, EventBus},
};

/// What became of a delivery.
pub enum Outcome {
    /// Applied (or already applied: redeliveries are stored once).
    Received,
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
    for change in &changes {
        let Some(channel) = trusted.get(&change.phone_number_id) else { continue };
        let Some(actor) = actors.get(&channel.organization_id) else { continue };
        for event in whatsapp::events(change) {
            apply(db, events, actor, channel, event).await?;
        }
    }
    Ok(Outcome::Received)
}

async fn apply(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    channel: &entity::channel::Model,
    event: Event,
) -> ApiResult<()> {
    let (kind, contact) = match event {
        Event::Message(msg) => {
            let recorded = inbound::record(db, actor, channel, *msg).await?;
            let kind = if recorded.created { ContactEventKind::Created } else { ContactEventKind::Updated };
            (kind, Some(recorded.contact))
        }
        Event::ChangedNumber { old_wa_id, new_wa_id } => {
            (ContactEventKind::Updated, inbound::change_number(db, actor, channel, &old_wa_id, &new_wa_id).await?)
        }
        Event::Status { external_id, status, at, error } => {
            (ContactEventKind::Updated, outbound::apply_status(db, channel, &external_id, &status, at, error).await?)
        }
    };
    if let Some(contact) = contact {
        events.contact(kind, &contact).await;
    }
    Ok(())
}
