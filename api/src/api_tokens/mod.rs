//! API tokens: what partner integrations use to talk to us.

pub mod graphql;
pub mod service;
