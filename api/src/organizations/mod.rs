//! Organizations: the tenant, its plan and settings.

pub mod graphql;
pub mod service;
