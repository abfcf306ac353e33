//! The contacts API server: configuration, auth, the domain services, the GraphQL schema and the HTTP
//! router. `main.rs` is only the command line around it.

pub mod audit;
pub mod auth;
pub mod bench;
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
pub mod ingest;
pub mod integrations;
pub mod jobs;
pub mod listings;
pub mod memory;
pub mod merges;
pub mod notes;
pub mod organizations;
pub mod pagination;
pub mod pipeline;
pub mod properties;
pub mod reservations;
pub mod seed;
pub mod tags;
pub mod telemetry;
pub mod users;
pub mod validate;
pub mod verifications;
pub mod webhooks;

pub use error::{ApiError, ApiResult};
pub use http::{AppState, app};
