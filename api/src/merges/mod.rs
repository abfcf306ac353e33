//! Merging duplicates into one contact, previewing a merge, and undoing one.

pub mod candidates;
mod consents;
pub mod graphql;
mod preview;
mod record;
pub mod service;
mod undo;

pub use undo::undo;
