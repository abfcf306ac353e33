//! Segments: saved selections of contacts with live counts, usable wherever a selection is taken.

mod count;
pub mod graphql;
pub mod service;

pub use count::{Count, by_stage, count};
