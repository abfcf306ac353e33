//! What partner integrations use to talk to us: long-lived API tokens.

pub mod graphql;
pub mod tokens;
