//! Custom contact properties: typed definitions an organization adds, and each contact's values.

pub mod graphql;
pub mod service;
pub mod values;
