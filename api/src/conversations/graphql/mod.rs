//! Conversations as GraphQL: the types a contact's conversations are answered with, and the mutations
//! that record messages.

pub mod mutation;
pub mod types;
