//! Exports: a job that writes the contacts an actor can see to CSV, XLSX or JSON, streamed page by page;
//! the download history (`exportJobs`); and the per-person data export for access requests.

pub mod columns;
pub mod data;
pub mod graphql;
pub mod run;
pub mod service;
pub mod writer;
