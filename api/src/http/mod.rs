//! The axum router: GraphQL over HTTP and WebSocket, GraphiQL, probes, and the middleware around them.

mod graphql;
pub mod limits;
mod response;

use std::{sync::Arc, time::Duration};

use axum::error_handling::HandleErrorLayer;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use sea_orm::DatabaseConnection;
use tower::{ServiceBuilder, limit::ConcurrencyLimitLayer, load_shed::LoadShedLayer, timeout::TimeoutLayer};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use tokio::sync::Notify;

use crate::{
    auth::JwtKeys,
    config::Config,
    events::EventBus,
    files::{self, FileStore},
    graphql::SchemaData,
    inbound_webhooks,
};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Key lookups: each request's actor and its batch loaders (`db::connect_lookups`).
    pub lookups: DatabaseConnection,
    /// Organizations' stages and members held in memory (`catalog`).
    pub catalogs: Arc<crate::catalog::Catalogs>,
    pub schema: crate::graphql::Schemas,
    pub jwt: Arc<JwtKeys>,
    pub events: Arc<EventBus>,
    pub files: FileStore,
    pub user_limits: Arc<limits::RateLimiter>,
    pub address_limits: Arc<limits::RateLimiter>,
    /// Woken when a job is queued, so a local worker starts at once.
    pub jobs_wakeup: Arc<Notify>,
    pub config: Arc<Config>,
    /// Posts outbound webhook deliveries.
    pub webhooks: Arc<crate::outbound_webhooks::deliver::Sender>,
}

/// Organizations whose catalog a server holds at once (a few kilobytes each).
const CATALOGS_HELD: usize = 4096;

impl AppState {
    pub fn new(db: DatabaseConnection, lookups: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let secret = config.jwt_secret()?;
        let jwt =
            Arc::new(JwtKeys::new(&secret.bytes, &config.jwt_issuer, &config.jwt_audience, config.token_ttl_minutes));
        let events = EventBus::new(&db, &config.database_url);
        let files = FileStore::local(&config.files_dir, &secret.bytes, config.file_link_ttl_secs);
        let jobs_wakeup = Arc::new(Notify::new());
        let webhooks = Arc::new(crate::outbound_webhooks::deliver::Sender::new(&config)?);
        let config = Arc::new(config);
        let data = SchemaData {
            db: db.clone(),
            lookups: lookups.clone(),
            jwt: jwt.clone(),
            events: events.clone(),
            files: files.clone(),
            jobs_wakeup: jobs_wakeup.clone(),
            config: config.clone(),
        };
        let schema = crate::graphql::build(data);
        let user_limits = Arc::new(limits::RateLimiter::new(config.rate_limit_user_per_minute));
        let address_limits = Arc::new(limits::RateLimiter::new(config.rate_limit_ip_per_minute));
        let catalogs = Arc::new(crate::catalog::Catalogs::new(CATALOGS_HELD));
        Ok(Self {
            db,
            lookups,
            catalogs,
            schema,
            jwt,
            events,
            files,
            user_limits,
            address_limits,
            jobs_wakeup,
            config,
            webhooks,
        })
    }
}

/// The whole HTTP application; tests drive it in-process.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", post(graphql::http_handler))
        .route("/graphql/ws", get(graphql::ws_handler))
        .route("/webhooks/whatsapp", get(inbound_webhooks::verify).post(inbound_webhooks::receive))
        .route("/files/{*key}", get(files::download))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready));
    if !state.config.is_production() {
        router = router.route("/", get(graphiql));
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
    let shedding = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|err: tower::BoxError| async move {
            if err.is::<tower::timeout::error::Elapsed>() {
                response::error_response(
                    StatusCode::GATEWAY_TIMEOUT,
                    "TIMEOUT",
                    "The request took too long and was stopped",
                    None,
                )
            } else {
                response::error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "The server is busy: try again shortly",
                    None,
                )
            }
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

/// Reads a body of at most `limit` bytes; a larger declared length is refused before a byte is read.
/// The router's own limit is the largest of all (uploads), so each handler applies its own through this.
pub(crate) async fn read_body(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, StatusCode> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)
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

async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Contacts API")
            .finish(),
    )
}
