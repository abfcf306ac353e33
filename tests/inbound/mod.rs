//! Contacts born from WhatsApp: the webhook, conversations, messages, statuses and partner recording.

mod bsuid;
mod identity;
mod partners;
mod webhook;

use serde_json::{Value, json};

pub const NUMBER_ID: &str = "106540352242922";
pub const SECRET: &str = "meta-app-secret";

/// A Meta delivery of one text message.
pub fn text(from: &str, name: Option<&str>, wamid: &str, body: &str, ts: i64) -> String {
    let contacts = match name {
        Some(n) => json!([{ "profile": { "name": n }, "wa_id": from, "user_id": format!("US.{from}") }]),
        None => json!([{ "wa_id": from }]),
    };
    delivery(
        json!({ "contacts": contacts, "messages": [{ "from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": { "body": body } }] }),
    )
}

/// Wraps a `value` in the envelope Meta posts.
pub fn delivery(mut value: Value) -> String {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({ "display_phone_number": "15550783881", "phone_number_id": NUMBER_ID });
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": value }] }] }).to_string()
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/whatsapp/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const CONTACTS: &str = "{ contacts(first: 5) { totalCount edges { node { id name phone waId source nameEditedManually status { name } assignee { id }
  identifiers { kind value } stats { userInitiatedConversations businessInitiatedConversations cancelledOutbounds receivedNotifications }
  lastActivityAt conversations { id channel { name } lastMessageAt messages(first: 60) { totalCount edges { node { direction kind body status externalId } } } } } } } }";
