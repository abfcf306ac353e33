//! Imports: xlsx and CSV contact lists, mapped column by column, validated, and written by a background
//! job in checkpointed batches, with a downloadable report.

mod claims;
pub mod graphql;
mod headers;
pub mod mapping;
pub mod report;
mod rows;
pub mod run;
pub mod service;
pub mod source;
