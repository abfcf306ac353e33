//! The audit trail: who changed what on a contact, when, with the values before and after.

pub mod graphql;
mod service;

pub use service::{AuditQuery, OVER_PLAN_LIMIT, entry, list, record, record_many, record_many_unannounced};
