//! Logs, and traces when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a span per GraphQL request named after its
//! operation, continuing the caller's W3C `traceparent`, with a child per database statement (sea-orm's
//! spans), and the jobs and partner webhook deliveries a request caused in the same trace (their
//! `traceparent` is stored with them). Exported over OTLP/HTTP (protobuf) by a batch processor on a thread of
//! its own: a collector that is slow or gone drops spans, never delays a request.
//!
//! Whether a piece of work is traced is decided once, when it starts, by its trace id and
//! `OTEL_TRACES_SAMPLER_ARG`; unsampled work builds no span at all.

use std::sync::{
    OnceLock,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use opentelemetry::{
    Context,
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{Sampler, SdkTracerProvider},
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, filter::dynamic_filter_fn, fmt, prelude::*};

use crate::config::{Config, LogFormat};

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=info";

/// The target of the spans that start a trace (a request, a job, a delivery); statements are traced only
/// inside one of them.
pub const TRACED: &str = "api::traced";

static ENABLED: AtomicBool = AtomicBool::new(false);
/// A trace is kept when the low 64 bits of its id are below this (as OpenTelemetry's ratio sampler does).
static KEEP_BELOW: AtomicU64 = AtomicU64::new(0);
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Logs to standard output; traces too when an endpoint is configured.
pub fn init(config: &Config) {
    let directives = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty());
    let filter = EnvFilter::new(directives.as_deref().unwrap_or(DEFAULT_FILTER));
    let logs = match config.log_format {
        LogFormat::Json => fmt::layer().json().flatten_event(true).with_filter(filter).boxed(),
        LogFormat::Pretty => fmt::layer().compact().with_filter(filter).boxed(),
    };
    let traces = config.otel_exporter_otlp_endpoint.as_deref().filter(|e| !e.trim().is_empty()).and_then(|endpoint| {
        match provider(endpoint, &config.otel_service_name) {
            Ok(provider) => Some(provider),
            Err(err) => {
                eprintln!("traces are off: {err}");
                None
            }
        }
    });
    let Some(provider) = traces else {
        let _ = tracing_subscriber::registry().with(logs).try_init();
        return;
    };
    let tracer = provider.tracer("contacts-api");
    // Roots by their target; sea-orm's statement spans (`sea_orm.query_all`, not its inner function spans)
    // only inside a traced span (the nearest enabled span this layer sees is then one of ours).
    let only_traced = dynamic_filter_fn(|meta, cx| {
        meta.target() == TRACED
            || (meta.target().starts_with("sea_orm")
                && meta.name().starts_with("sea_orm.")
                && cx.lookup_current().is_some())
    });
    let otel = tracing_opentelemetry::layer().with_tracer(tracer).with_filter(only_traced);
    if tracing_subscriber::registry().with(logs).with(otel).try_init().is_ok() {
        let ratio = config.otel_traces_sampler_arg.clamp(0.0, 1.0);
        KEEP_BELOW.store(if ratio >= 1.0 { u64::MAX } else { (ratio * u64::MAX as f64) as u64 }, Ordering::Relaxed);
        ENABLED.store(ratio > 0.0, Ordering::Relaxed);
        let _ = PROVIDER.set(provider);
    }
}

fn provider(endpoint: &str, service: &str) -> anyhow::Result<SdkTracerProvider> {
    // The blocking client needs a TLS provider for an https collector; the server uses ring everywhere.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .with_timeout(std::time::Duration::from_secs(5))
        .build()?;
    Ok(SdkTracerProvider::builder()
        // The decision was made when the work started (`sampled`): a caller's "not sampled" flag must not
        // drop a trace this server chose to keep, nor build spans only to discard them.
        .with_sampler(Sampler::AlwaysOn)
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service.to_string()).build())
        .build())
}

/// Sends what is left to the collector (at shutdown).
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.shutdown();
    }
}

/// Whether work in the trace `parent` names (a new one when `None`) is traced.
fn sampled(parent: Option<&Context>) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    let keep_below = KEEP_BELOW.load(Ordering::Relaxed);
    let low = match parent.map(|cx| cx.span().span_context().trace_id()).filter(|id| id.to_bytes() != [0; 16]) {
        Some(id) => u64::from_be_bytes(id.to_bytes()[8..].try_into().unwrap_or_default()),
        None => fastrand::u64(..),
    };
    keep_below == u64::MAX || low < keep_below
}

/// The caller's trace context from a `traceparent` value, when it is a valid one.
fn remote(traceparent: Option<&str>) -> Option<Context> {
    let value = traceparent?;
    let carrier = std::collections::HashMap::from([("traceparent".to_string(), value.to_string())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

/// The span of a piece of work continuing `traceparent` (or starting a trace), or a disabled span when it is
/// not sampled. `make` builds the span (target `TRACED`); it runs only for sampled work.
pub fn continue_trace(traceparent: Option<&str>, make: impl FnOnce() -> Span) -> Span {
    let parent = remote(traceparent);
    if !sampled(parent.as_ref()) {
        return Span::none();
    }
    let span = make();
    if let Some(cx) = parent {
        let _ = span.set_parent(cx);
    }
    span
}

/// The span of work that may only continue a stored trace: none without one.
pub fn resume_trace(traceparent: Option<&str>, make: impl FnOnce() -> Span) -> Span {
    if traceparent.is_none() || !ENABLED.load(Ordering::Relaxed) {
        return Span::none();
    }
    continue_trace(traceparent, make)
}

/// The `traceparent` of the current traced span, to store with work it causes or send to a partner.
pub fn traceparent() -> Option<String> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let span = Span::current();
    if span.is_none() {
        return None;
    }
    let cx = span.context();
    let context = cx.span().span_context().clone();
    context
        .is_valid()
        .then(|| format!("00-{}-{}-{:02x}", context.trace_id(), context.span_id(), context.trace_flags().to_u8()))
}

/// Names a request's span after its operation (`query ContactList`), once it is known.
pub fn name_request(span: &Span, name: &str) {
    if !span.is_none() {
        // The span has started by now: its name is changed on the live span, not through a field.
        span.context().span().update_name(name.to_string());
    }
}
