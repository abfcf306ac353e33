//! Notes: what the team writes about a contact, visible to everyone who can see the contact.

pub mod graphql;
pub mod service;
