//! Contacts: the people a sales team works with. Every read starts from `scope::visible`.

pub mod filter;
pub mod graphql;
pub mod identifiers;
pub mod list;
pub mod scope;
pub mod service;
pub mod write;
