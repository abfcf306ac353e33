//! The axum router: GraphQL over HTTP and WebSocket, GraphiQL, probes, and the middleware around them.

mod files;
mod graphiql;
mod graphql;
pub mod limits;
pub mod metrics;
mod request;
mod response;
mod whatsapp;

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower::{ServiceBuilder, limit::ConcurrencyLimitLayer, load_shed::LoadShedLayer, timeout::TimeoutLayer};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use request::REQUEST_ID;

use crate::{config::Config, metrics::Refusal, state::AppState};

/// The whole HTTP application; tests drive it in-process.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", post(graphql::http_handler).get(graphql::get_handler))
        .route("/graphql/ws", get(graphql::ws_handler))
        .route("/webhooks/whatsapp", get(whatsapp::verify).post(whatsapp::receive))
        .route("/files/{*key}", get(files::download))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready));
    if !state.config.is_production() {
        router = router.route("/", get(graphiql::page)).route("/graphiql/{file}", get(graphiql::asset));
    }
    if state.config.metrics_token.as_deref().is_some_and(|t| !t.is_empty()) {
        router = router.route("/metrics", get(metrics::guarded));
    }
    with_middleware(router, state)
}

/// Wraps routes in the server's middleware: request ids, tracing, panic catching, CORS, per-address rate
/// limits, load shedding, the request timeout and the body limit. Public so tests can put routes that
/// misbehave on purpose (panic, hang) behind exactly the production stack.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router {
    let config = state.config.clone();
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %request_id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(response::panic_response))
        .layer(cors(&config));
    let counted = state.metrics.clone();
    let shedding = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |err: tower::BoxError| {
            let counted = counted.clone();
            async move { refuse(&counted, err) }
        }))
        // The timeout wraps only admitted requests: a shed request answers at once and a slow one is
        // dropped (its database work cancelled with it) once the limit passes.
        .layer(LoadShedLayer::new())
        .layer(ConcurrencyLimitLayer::new(config.max_concurrent_requests.max(1)))
        .layer(TimeoutLayer::new(config.request_timeout()));
    router
        // Refuses a declared Content-Length over the limit before reading a byte, and caps streamed bodies.
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes.max(config.max_upload_bytes)))
        .layer(shedding)
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::per_address))
        .layer(middleware)
        .with_state(state)
}

/// The answer to a request the load shedding or the timeout stopped.
fn refuse(metrics: &crate::metrics::Metrics, err: tower::BoxError) -> Response {
    if err.is::<tower::timeout::error::Elapsed>() {
        metrics.refused(Refusal::ShedTimeout);
        response::error_response(
            StatusCode::GATEWAY_TIMEOUT,
            "TIMEOUT",
            "The request took too long and was stopped",
            None,
        )
    } else {
        metrics.refused(Refusal::ShedBusy);
        response::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "The server is busy: try again shortly",
            None,
        )
    }
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(600))
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "unavailable" }))).into_response()
        }
    }
}
