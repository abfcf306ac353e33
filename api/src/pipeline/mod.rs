//! The sales funnel: an organization's ordered pipeline stages.

pub mod graphql;
pub mod service;
