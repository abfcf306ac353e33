//! Listings: the real-estate properties a contact can come from.

pub mod graphql;
pub mod service;
