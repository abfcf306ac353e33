//! Channels: the WhatsApp numbers, Telegram bots, web widgets and API endpoints contacts write to.

pub mod graphql;
pub mod service;
