//! Tags: free labels on contacts, created on first use, managed by admins.

pub mod graphql;
pub mod read;
pub mod service;
