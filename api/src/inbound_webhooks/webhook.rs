//! `GET /webhooks/whatsapp` (Meta's verification handshake) and `POST /webhooks/whatsapp` (deliveries).

use std::collections::HashMap;

use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    signature,
    whatsapp::{self, Event},
};
use sea_orm::EntityTrait;

use crate::{
    auth::Actor,
    channels,
    conversations::{inbound, outbound},
    error::ApiResult,
    events::ContactEventKind,
    http::AppState,
};

#[derive(Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Answers the challenge when the verify token belongs to one of our WhatsApp channels.
pub async fn verify(State(state): State<AppState>, Query(h): Query<Handshake>) -> Response {
    let (Some("subscribe"), Some(token), Some(challenge)) = (h.mode.as_deref(), h.token, h.challenge) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    match channels::service::verify_token_known(&state.db, &token).await {
        Ok(true) => challenge.into_response(),
        Ok(false) => StatusCode::FORBIDDEN.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "webhook verification failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A delivery: checked against the app secret of the channels it names, then every message and status
/// is applied. Unknown numbers are acknowledged and ignored; a database failure answers 5xx so Meta
/// delivers again (and redeliveries are stored once).
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let body = match crate::http::read_body(&headers, body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(status) => return (status, "delivery too large").into_response(),
    };
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "malformed JSON").into_response();
    };
    let changes = whatsapp::changes(&payload);
    let mut ids: Vec<String> = changes.iter().map(|c| c.phone_number_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let known = match channels::service::whatsapp_by_number_ids(&state.db, ids).await {
        Ok(channels) => channels,
        Err(err) => return unavailable(err),
    };
    if known.is_empty() {
        return (StatusCode::OK, "ignored").into_response();
    }
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    let trusted: HashMap<String, entity::channel::Model> = known
        .into_iter()
        .filter(|c| c.app_secret.as_deref().is_some_and(|s| signature::valid(s, &body, header)))
        .filter_map(|c| Some((c.external_id.clone()?, c)))
        .collect();
    if trusted.is_empty() {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    // Each channel's organization acts through the system actor, read once per delivery.
    let mut actors: HashMap<uuid::Uuid, Actor> = HashMap::new();
    for channel in trusted.values() {
        if actors.contains_key(&channel.organization_id) {
            continue;
        }
        match entity::organization::Entity::find_by_id(channel.organization_id).one(&state.db).await {
            Ok(Some(org)) => {
                actors.insert(org.id, Actor::system(org));
            }
            Ok(None) => {}
            Err(err) => return unavailable(err),
        }
    }
    for change in &changes {
        let Some(channel) = trusted.get(&change.phone_number_id) else { continue };
        let Some(actor) = actors.get(&channel.organization_id) else { continue };
        for event in whatsapp::events(change) {
            if let Err(err) = apply(&state, actor, channel, event).await {
                return unavailable(err);
            }
        }
    }
    (StatusCode::OK, "EVENT_RECEIVED").into_response()
}

async fn apply(state: &AppState, actor: &Actor, channel: &entity::channel::Model, event: Event) -> ApiResult<()> {
    let (kind, contact) = match event {
        Event::Message(msg) => {
            let recorded = inbound::record(&state.db, actor, channel, *msg).await?;
            let kind = if recorded.created { ContactEventKind::Created } else { ContactEventKind::Updated };
            (kind, Some(recorded.contact))
        }
        Event::ChangedNumber { old_wa_id, new_wa_id } => (
            ContactEventKind::Updated,
            inbound::change_number(&state.db, actor, channel, &old_wa_id, &new_wa_id).await?,
        ),
        Event::Status { external_id, status, at, error } => (
            ContactEventKind::Updated,
            outbound::apply_status(&state.db, channel, &external_id, &status, at, error).await?,
        ),
    };
    if let Some(contact) = contact {
        state.events.contact(kind, &contact).await;
    }
    Ok(())
}

fn unavailable(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "webhook delivery failed; Meta will retry");
    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
}
