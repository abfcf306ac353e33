//! `GET /metrics` in Prometheus' text format, never public: on a second address of its own
//! (`METRICS_BIND_ADDR`, `app`), or on the main one for callers with `METRICS_TOKEN` (`guarded`).

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};

use crate::{
    db::{is_postgres, pool_use},
    jobs::queue,
    metrics::Snapshot,
    outbound_webhooks::deliver,
    state::AppState,
};

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics address: `/metrics` and nothing else.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { render(&state).await }))
        .with_state(state)
}

/// `/metrics` on the main address, for callers sending the configured token.
pub async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let expected = state.config.metrics_token.as_deref().unwrap_or_default().trim();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // Compared as digests, so the time taken says nothing about how much of the token matched.
    let matches = given.is_some_and(|g| Sha256::digest(g) == Sha256::digest(expected));
    if expected.is_empty() || !matches {
        let mut refused = (StatusCode::UNAUTHORIZED, "metrics need the metrics token\n").into_response();
        refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return refused;
    }
    render(&state).await
}

async fn render(state: &AppState) -> Response {
    let mut pools = vec![pool_use(&state.db, "primary")];
    if is_postgres(&state.db) {
        pools.push(pool_use(&state.lookups, "lookups"));
    }
    if let Some((replica, lookups)) = state.reads.replica_pools() {
        pools.extend([pool_use(replica, "replica"), pool_use(lookups, "replica_lookups")]);
    }
    let jobs = queue::backlog(&state.db).await.inspect_err(|e| tracing::warn!(error = %e, "metrics: job backlog"));
    let deliveries =
        deliver::backlog(&state.db).await.inspect_err(|e| tracing::warn!(error = %e, "metrics: webhook backlog"));
    let text = state.metrics.render(Snapshot { pools, jobs: jobs.ok(), deliveries: deliveries.ok() });
    ([(header::CONTENT_TYPE, CONTENT_TYPE), (header::CACHE_CONTROL, "no-store")], text).into_response()
}
