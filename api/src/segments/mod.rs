//! Segments: saved selections of contacts with live counts, usable wherever a selection is taken.

mod count;
mod evaluate;
pub mod graphql;
pub mod members;
pub mod service;
mod tally;

/// A segment's visibility as stored.
pub const PRIVATE: &str = "PRIVATE";
pub const SHARED: &str = "SHARED";

pub use count::{Count, by_stage, count, kept_by_stage, kept_count, kept_members};
