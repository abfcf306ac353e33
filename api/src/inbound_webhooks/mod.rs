//! Inbound webhooks: what channels push to us (the WhatsApp Cloud API webhook). Outbound events to
//! partners are `outbound_webhooks`.

pub mod delivery;
pub mod signature;
pub mod whatsapp;
