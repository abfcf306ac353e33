//! Reservations a contact made: a listing or unit, when, how much, and the payment's state.

pub mod graphql;
pub mod service;
