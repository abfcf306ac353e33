//! The GraphQL face of contacts: types, inputs, the list query and the mutations.

pub mod inputs;
pub mod mutation;
pub mod page;
pub mod query;
pub mod types;
