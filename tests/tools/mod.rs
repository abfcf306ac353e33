//! What operators and client teams bring: Prometheus metrics, persisted queries, GraphiQL.

mod graphiql;
mod metrics;
mod persisted;
mod traces;
