//! Conversations and messages: how contacts are born from inbound messages, how each message is
//! stored once, and the 24-hour windows behind the contact statistics.

pub mod graphql;
pub mod identities;
pub mod inbound;
pub mod outbound;
pub mod read;
mod window;

pub use window::WINDOW;
