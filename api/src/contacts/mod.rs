//! Contacts: the people a sales team works with. Every read starts from `visibility::Visible`.

pub mod filter;
pub mod graphql;
pub mod identifiers;
pub mod list;
mod search;
pub mod service;
pub mod write;
