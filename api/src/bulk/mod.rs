//! Bulk actions on many contacts at once: "these ids" or "everything matching this filter and
//! search", always within what the actor can see. Small selections run at once; large ones as jobs.

mod apply;
pub mod graphql;
pub mod selection;
pub mod service;
