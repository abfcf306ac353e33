//! `GET /webhooks/whatsapp` (Meta's verification handshake) and `POST /webhooks/whatsapp` (deliveries,
//! applied by `inbound_webhooks::delivery`).

use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::request::read_body;
use crate::{
    channels,
    inbound_webhooks::delivery::{self, Outcome},
    state::AppState,
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

/// A delivery. A database failure answers 5xx so Meta delivers again (and redeliveries are stored once).
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let body = match read_body(&headers, body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(status) => return (status, "delivery too large").into_response(),
    };
    let signed = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    match delivery::receive(&state.db, &state.events, &body, signed).await {
        Ok(Outcome::Received { messages }) => {
            state.metrics.inbound("whatsapp", messages);
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Ok(Outcome::Ignored) => (StatusCode::OK, "ignored").into_response(),
        Ok(Outcome::Malformed) => (StatusCode::BAD_REQUEST, "malformed JSON").into_response(),
        Ok(Outcome::BadSignature) => (StatusCode::UNAUTHORIZED, "bad signature").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "webhook delivery failed; Meta will retry");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}
