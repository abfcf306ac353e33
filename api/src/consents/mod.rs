//! Messaging consent per contact and channel: whether the person opted in or out, when and how. One
//! current record per contact and channel; every change is audited.

pub mod graphql;
pub mod service;
