//! Sending: claim due deliveries (the oldest pending one per endpoint and contact, so a contact's events
//! arrive in order), post them signed, and record each attempt. A failure is retried after
//! `base × 4^(attempt-1)` (capped at six hours) until `WEBHOOK_MAX_ATTEMPTS`; then the delivery is FAILED
//! and the contact's later events go on. A sender that dies holding a claim only delays it: the claim
//! is a due time one lease ahead, after which any sender picks it up again.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::Utc;
use entity::{enums::DeliveryState, webhook_delivery, webhook_endpoint};
use futures_util::{StreamExt, stream};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, sea_query::Expr,
};
use serde_json::json;

use tracing::Instrument;

use super::{endpoints::is_public, signature};
use crate::{
    config::Config,
    db::{is_postgres, now},
    error::{ApiError, ApiResult},
    telemetry,
};

/// How long a claimed delivery is held before another sender may take it.
const LEASE: Duration = Duration::from_secs(120);
const BATCH: u64 = 50;
/// Requests in flight at once per sender.
const PARALLEL: usize = 8;
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// How much of a receiver's answer the log keeps.
const KEEP_RESPONSE: usize = 300;
const KEEP_ATTEMPTS: usize = 20;

/// The HTTP client and retry policy of one server.
pub struct Sender {
    client: reqwest::Client,
    retry_base: Duration,
    max_attempts: i32,
    retention: chrono::Duration,
}

impl Sender {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        // reqwest is built without a crypto provider of its own; ring is this process's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.webhook_timeout_secs))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("contacts-webhooks/", env!("CARGO_PKG_VERSION")));
        if config.is_production() {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            retry_base: Duration::from_millis(config.webhook_retry_base_ms),
            max_attempts: config.webhook_max_attempts.max(1),
            retention: chrono::Duration::days(config.webhook_log_retention_days),
        })
    }

    fn backoff(&self, attempts: i32) -> Duration {
        let factor = 4u32.saturating_pow(attempts.clamp(1, 16) as u32 - 1);
        self.retry_base.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// Resolves names to public addresses only, so a hostname cannot lead a delivery into our network.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| is_public(a.ip())).collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Sends everything due until nothing is; returns how many attempts were made. What the background
/// sender does, callable from tests.
pub async fn drain(db: &DatabaseConnection, sender: &Sender) -> ApiResult<usize> {
    let mut attempts = 0;
    loop {
        let claimed = claim(db).await?;
        if claimed.is_empty() {
            return Ok(attempts);
        }
        attempts += claimed.len();
        let endpoints = endpoints_of(db, &claimed).await?;
        let results: Vec<ApiResult<()>> = stream::iter(claimed)
            .map(|d| {
                let endpoint = endpoints.get(&d.endpoint_id);
                async move {
                    let Some(endpoint) = endpoint else { return Ok(()) };
                    // In the trace of the change that raised the event, when it was traced.
                    let span = telemetry::resume_trace(d.traceparent.as_deref(), || {
                        tracing::info_span!(target: telemetry::TRACED, "webhook", otel.name = "webhook delivery",
                            otel.kind = "client", webhook.event = %d.event_type, webhook.attempt = d.attempts)
                    });
                    let outcome = post(sender, endpoint, &d).instrument(span).await;
                    record(db, sender, &d, outcome).await
                }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        results.into_iter().collect::<ApiResult<Vec<()>>>()?;
    }
}

/// The background sender of one server: drains what is due, then looks again every second; prunes
/// old log entries once an hour.
pub fn spawn_worker(db: DatabaseConnection, sender: Arc<Sender>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut pruned_at = std::time::Instant::now() - Duration::from_secs(3600);
        loop {
            if let Err(err) = drain(&db, &sender).await {
                tracing::warn!(error = %err, "webhook sender failed; retrying");
            }
            if pruned_at.elapsed() >= Duration::from_secs(3600) {
                pruned_at = std::time::Instant::now();
                if let Err(err) = prune(&db, &sender).await {
                    tracing::warn!(error = %err, "could not prune the webhook log");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Takes up to a batch of due deliveries, each the oldest pending one of its endpoint and contact, on an
/// active endpoint; a claim counts as an attempt and moves the due time one lease ahead.
async fn claim(db: &DatabaseConnection) -> ApiResult<Vec<webhook_delivery::Model>> {
    let at = now();
    let lease = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let (backend, lock) =
        if is_postgres(db) { (DbBackend::Postgres, "FOR UPDATE SKIP LOCKED") } else { (DbBackend::Sqlite, "") };
    let sql = format!(
        r#"UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1
        WHERE id IN (
            SELECT d.id FROM webhook_deliveries d
            WHERE d.state = 'PENDING' AND d.next_attempt_at <= $2
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                  WHERE e.organization_id = d.organization_id AND e.endpoint_id = d.endpoint_id
                    AND e.state = 'PENDING' AND e.id < d.id
                    AND (e.contact_id = d.contact_id OR e.contact_id = $3 OR d.contact_id = $3))
              AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.active)
            ORDER BY d.next_attempt_at LIMIT {BATCH} {lock})
        RETURNING *"#
    );
    // A bulk event (the nil contact id) waits for every earlier event of its endpoint, and every later one
    // waits for it: its contacts' events stay in order.
    let stmt = Statement::from_sql_and_values(backend, sql, [lease.into(), at.into(), uuid::Uuid::nil().into()]);
    Ok(webhook_delivery::Entity::find().from_raw_sql(stmt).all(db).await?)
}

async fn endpoints_of(
    db: &DatabaseConnection,
    deliveries: &[webhook_delivery::Model],
) -> ApiResult<HashMap<uuid::Uuid, webhook_endpoint::Model>> {
    let ids: Vec<uuid::Uuid> = deliveries.iter().map(|d| d.endpoint_id).collect();
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect())
}

struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    millis: u128,
}

async fn post(sender: &Sender, endpoint: &webhook_endpoint::Model, d: &webhook_delivery::Model) -> Outcome {
    let timestamp = Utc::now().timestamp();
    let started = std::time::Instant::now();
    let mut request = sender.client.post(&endpoint.url);
    // The partner's own tracing continues from this attempt.
    if let Some(traceparent) = telemetry::traceparent() {
        request = request.header("traceparent", traceparent);
    }
    let sent = request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Webhook-Id", d.event_id.to_string())
        .header("X-Webhook-Event", &d.event_type)
        .header("X-Webhook-Timestamp", timestamp.to_string())
        .header("X-Webhook-Signature", signature(&endpoint.secret, timestamp, &d.body))
        .header("X-Webhook-Attempt", d.attempts.to_string())
        .body(d.body.clone())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(mut response) => {
            let status = response.status().as_u16();
            // Read only the start of the answer: a receiver's error page is for the log, not for memory.
            let mut text = Vec::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                text.extend_from_slice(&chunk);
                if text.len() >= KEEP_RESPONSE {
                    break;
                }
            }
            let text: String = String::from_utf8_lossy(&text).chars().take(KEEP_RESPONSE).collect();
            (Some(status), Some(format!("HTTP {status}: {}", text.trim())))
        }
        Err(err) => (None, Some(describe(&err))),
    };
    Outcome { status, error, millis: started.elapsed().as_millis() }
}

/// A transport failure in a line an admin can act on.
fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let line = if cause.is_empty() { what.to_string() } else { format!("{what}: {cause}") };
    line.chars().take(KEEP_RESPONSE).collect()
}

async fn record(
    db: &impl ConnectionTrait,
    sender: &Sender,
    d: &webhook_delivery::Model,
    outcome: Outcome,
) -> ApiResult<()> {
    let at = now();
    let mut log = d.log.as_array().cloned().unwrap_or_default();
    log.push(json!({ "at": at, "status": outcome.status, "error": outcome.error, "ms": outcome.millis as u64 }));
    let skip = log.len().saturating_sub(KEEP_ATTEMPTS);
    let log: Vec<_> = log.into_iter().skip(skip).collect();
    let delivered = outcome.error.is_none();
    let state = match () {
        () if delivered => DeliveryState::Delivered,
        () if d.attempts >= sender.max_attempts => DeliveryState::Failed,
        () => DeliveryState::Pending,
    };
    let next = at + chrono::Duration::from_std(sender.backoff(d.attempts)).map_err(ApiError::internal)?;
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value(state))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(at))
        .col_expr(webhook_delivery::Column::ResponseStatus, Expr::value(outcome.status.map(i32::from)))
        .col_expr(webhook_delivery::Column::Error, Expr::value(outcome.error))
        .col_expr(webhook_delivery::Column::Log, Expr::value(json!(log)))
        .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(delivered.then_some(at)))
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets delivered and failed deliveries older than the retention period.
pub async fn prune(db: &impl ConnectionTrait, sender: &Sender) -> ApiResult<u64> {
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::State.ne(DeliveryState::Pending))
        .filter(webhook_delivery::Column::CreatedAt.lt(now() - sender.retention))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deliveries waiting for a first attempt, waiting to be retried, and failed for good (still in the log), in
/// every organization, with the age of the oldest one still pending (`/metrics`).
pub async fn backlog(db: &impl ConnectionTrait) -> ApiResult<crate::metrics::Backlog> {
    let pending =
        || webhook_delivery::Entity::find().filter(webhook_delivery::Column::State.eq(DeliveryState::Pending));
    let waiting = pending().filter(webhook_delivery::Column::Attempts.eq(0)).count(db).await?;
    let retrying = pending().filter(webhook_delivery::Column::Attempts.gt(0)).count(db).await?;
    let failed = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Failed))
        .count(db)
        .await?;
    let oldest: Option<chrono::DateTime<Utc>> = pending()
        .select_only()
        .column(webhook_delivery::Column::CreatedAt)
        .order_by_asc(webhook_delivery::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(crate::metrics::Backlog {
        by_state: vec![("pending", count(waiting)), ("retrying", count(retrying)), ("failed", count(failed))],
        oldest_age: oldest.and_then(|at| (now() - at).to_std().ok()),
    })
}
