//! What operators and client teams bring: Prometheus metrics, persisted queries, GraphiQL.

mod metrics;
mod persisted;
