//! Fair use at the door: the per-address limit (`rate_limit::RateLimiter`) on every route but the probes,
//! and the 429 answer that the per-user limit shares.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::response::error_response;
use crate::state::AppState;

/// 429 with `Retry-After` and code RATE_LIMITED.
pub fn too_many(retry_after: u64, request_id: Option<&str>) -> Response {
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        &format!("Too many requests: try again in {retry_after} s"),
        request_id,
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// The per-address limit, for every route but the probes.
pub async fn per_address(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/health" || path == "/ready" {
        return next.run(request).await;
    }
    crate::memory::request_started();
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    match state.address_limits.check(&address).await {
        Ok(()) => next.run(request).await,
        Err(retry) => {
            state.metrics.refused(crate::metrics::Refusal::RateLimitedAddress);
            too_many(retry, None)
        }
    }
}
