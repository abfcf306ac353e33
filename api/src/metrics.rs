//! Prometheus metrics (`prometheus-client`): what each request and refusal adds, counted where it happens,
//! and the gauges read at scrape time (pools, job queue, partner webhook backlog) passed in as a `Snapshot`.
//! Each server state has its own registry, so servers sharing a process (tests) count apart.

use std::{
    collections::HashSet,
    sync::{LazyLock, Mutex},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// Operation names given their own series, per server; later names count as `other`, so a client
/// inventing names cannot grow the registry without bound.
pub const MAX_OPERATION_NAMES: usize = 200;
/// The label of requests without a checked operation of a signed-in caller.
pub const UNLABELLED: &str = "-";
pub const OTHER: &str = "other";

/// Waits for a pooled connection that ran out of time, in any pool of the process.
static ACQUIRE_TIMEOUTS: LazyLock<Counter> = LazyLock::new(Counter::default);

/// Counts a request that gave up waiting for a database connection.
pub fn acquire_timed_out() {
    ACQUIRE_TIMEOUTS.inc();
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    operation: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Channel {
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    pool: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

/// Why a request was turned away before it ran.
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    RateLimitedUser,
    RateLimitedAddress,
    ShedBusy,
    ShedTimeout,
}

impl Refusal {
    fn label(self) -> &'static str {
        match self {
            Self::RateLimitedUser => "rate_limited_user",
            Self::RateLimitedAddress => "rate_limited_address",
            Self::ShedBusy => "shed_busy",
            Self::ShedTimeout => "shed_timeout",
        }
    }
}

/// One pool's connections at scrape time.
pub struct PoolUse {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// Queued work at scrape time: counts by state and the age of the oldest waiting item.
#[derive(Default)]
pub struct Backlog {
    pub by_state: Vec<(&'static str, i64)>,
    pub oldest_age: Option<Duration>,
}

/// What is read fresh for each scrape.
#[derive(Default)]
pub struct Snapshot {
    pub pools: Vec<PoolUse>,
    /// `None` when the database could not say.
    pub jobs: Option<Backlog>,
    pub deliveries: Option<Backlog>,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Outcome, Counter>,
    latency: Family<Operation, Histogram>,
    refused: Family<Reason, Counter>,
    inbound: Family<Channel, Counter>,
    pools: Family<PoolState, Gauge>,
    jobs: Family<State, Gauge>,
    job_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    deliveries: Family<State, Gauge>,
    delivery_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    names: Mutex<HashSet<String>>,
    /// One scrape at a time sets the gauges and encodes them.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Outcome, Counter>::default();
        // 1 ms to about 16 s.
        let latency = Family::<Operation, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        let refused = Family::<Reason, Counter>::default();
        let inbound = Family::<Channel, Counter>::default();
        let pools = Family::<PoolState, Gauge>::default();
        let jobs = Family::<State, Gauge>::default();
        let deliveries = Family::<State, Gauge>::default();
        let job_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let delivery_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register("graphql_requests", "GraphQL requests by operation and outcome code", requests.clone());
        registry.register("graphql_request_duration_seconds", "GraphQL request latency by operation", latency.clone());
        registry.register("requests_refused", "Requests turned away before they ran, by reason", refused.clone());
        registry.register("inbound_messages", "Inbound messages stored, by channel kind", inbound.clone());
        registry.register("db_pool_connections", "Database connections by pool and state", pools.clone());
        registry.register(
            "db_acquire_timeouts",
            "Waits for a pooled connection that timed out",
            ACQUIRE_TIMEOUTS.clone(),
        );
        registry.register("jobs", "Background jobs waiting or running", jobs.clone());
        registry.register("jobs_oldest_queued_age_seconds", "Age of the oldest queued job", job_age.clone());
        registry.register("webhook_deliveries", "Partner webhook deliveries by state", deliveries.clone());
        registry.register(
            "webhook_oldest_pending_age_seconds",
            "Age of the oldest partner webhook delivery still pending",
            delivery_age.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            refused,
            inbound,
            pools,
            jobs,
            job_age,
            deliveries,
            delivery_age,
            names: Mutex::default(),
            scrape: Mutex::default(),
        }
    }

    /// The label for an operation name: the first `MAX_OPERATION_NAMES` names seen keep theirs.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let name = name.filter(|n| !n.is_empty()).unwrap_or("anonymous");
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.contains(name) {
            return name.to_string();
        }
        if names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_string());
            return name.to_string();
        }
        OTHER.to_string()
    }

    /// A GraphQL request answered with `code` ("OK" without errors) after `elapsed`.
    pub fn request(&self, operation: &str, code: &str, elapsed: Duration) {
        let operation = operation.to_string();
        self.requests.get_or_create(&Outcome { operation: operation.clone(), code: code.to_string() }).inc();
        self.latency.get_or_create(&Operation { operation }).observe(elapsed.as_secs_f64());
    }

    pub fn refused(&self, why: Refusal) {
        self.refused.get_or_create(&Reason { reason: why.label().to_string() }).inc();
    }

    pub fn inbound(&self, channel: &str, messages: u64) {
        if messages > 0 {
            self.inbound.get_or_create(&Channel { channel: channel.to_string() }).inc_by(messages);
        }
    }

    /// The exposition text, with the gauges set from `now`.
    pub fn render(&self, now: Snapshot) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        for pool in &now.pools {
            let in_use = pool.open.saturating_sub(pool.idle);
            for (state, value) in [("open", pool.open), ("in_use", in_use), ("idle", pool.idle), ("max", pool.max)] {
                let key = PoolState { pool: pool.pool.to_string(), state: state.to_string() };
                self.pools.get_or_create(&key).set(i64::from(value));
            }
        }
        set_backlog(&self.jobs, &self.job_age, now.jobs.as_ref());
        set_backlog(&self.deliveries, &self.delivery_age, now.deliveries.as_ref());
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// An unknown backlog drops its series rather than repeat stale figures.
fn set_backlog(
    family: &Family<State, Gauge>,
    age: &Gauge<f64, std::sync::atomic::AtomicU64>,
    backlog: Option<&Backlog>,
) {
    family.clear();
    let Some(backlog) = backlog else { return };
    for (state, count) in &backlog.by_state {
        family.get_or_create(&State { state: (*state).to_string() }).set(*count);
    }
    age.set(backlog.oldest_age.map_or(0.0, |a| a.as_secs_f64()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_operation_names_stay_bounded() {
        let metrics = Metrics::new();
        for i in 0..10_000 {
            let label = metrics.operation_label(Some(&format!("Made{i}")));
            metrics.request(&label, "OK", Duration::from_millis(3));
        }
        let text = metrics.render(Snapshot::default());
        let series = text.lines().filter(|l| l.starts_with("graphql_requests_total{")).count();
        assert_eq!(series, MAX_OPERATION_NAMES + 1, "200 names and `other`");
        assert!(text.contains(r#"graphql_requests_total{operation="other",code="OK"} 9800"#), "{text}");
        assert_eq!(metrics.operation_label(Some("Made7")), "Made7", "a name seen first keeps its series");
    }
}
