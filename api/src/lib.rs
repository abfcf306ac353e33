//! The contacts API server: configuration, auth, the domain services, the GraphQL schema and the HTTP
//! router. `main.rs` is only the command line around it.

// The merged GraphQL roots' futures nest deeper than the compiler's default layout limit.
#![recursion_limit = "256"]

pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod bulk;
pub mod catalog;
pub mod channels;
pub mod config;
pub mod consents;
pub mod contacts;
pub mod conversations;
pub mod db;
pub mod error;
pub mod events;
pub mod exports;
pub mod files;
pub mod funnel;
pub mod graphql;
pub mod http;
pub mod imports;
pub mod inbound_webhooks;
pub mod jobs;
pub mod listings;
pub mod memory;
pub mod merges;
pub mod metrics;
pub mod notes;
pub mod organizations;
pub mod outbound_webhooks;
pub mod pagination;
pub mod pipeline;
pub mod properties;
pub mod rate_limit;
pub mod reservations;
pub mod schema;
pub mod segments;
pub mod shared_redis;
pub mod state;
pub mod tags;
pub mod telemetry;
pub mod users;
pub mod validate;
pub mod values;
pub mod verifications;
pub mod visibility;

pub use error::{ApiError, ApiResult};
pub use http::app;
pub use state::AppState;
