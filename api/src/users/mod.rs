//! Users of an organization: login, the member list, and user management by owners and admins.

pub mod graphql;
pub mod service;
