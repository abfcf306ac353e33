//! Inbound webhooks: what channels push to us (the WhatsApp Cloud API webhook). Outbound events to
//! partners are `outbound_webhooks`.

pub mod signature;
mod webhook;
pub mod whatsapp;

pub use webhook::{receive, verify};
