//! Inbound channels: the WhatsApp Cloud API webhook.

pub mod signature;
mod webhook;
pub mod whatsapp;

pub use webhook::{receive, verify};
