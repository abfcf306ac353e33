//! Reading Meta Cloud API webhook payloads. Each message is read on its own from loose JSON, so one
//! message of a type we do not know (or a malformed one) never spoils the rest of the delivery.

use chrono::{DateTime, Utc};
use entity::enums::{ContactSource, IdentifierKind};
use serde_json::Value;

use crate::{conversations::inbound::InboundMessage, db::now, values::Phone};

/// One `changes[].value` with field `messages`: what arrived for one phone number id.
pub struct Change<'a> {
    pub phone_number_id: String,
    pub value: &'a Value,
}

pub enum Event {
    Message(Box<InboundMessage>),
    ChangedNumber { old_wa_id: String, new_wa_id: String },
    Status { external_id: String, status: String, at: DateTime<Utc>, error: Option<String> },
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

/// Every change of every entry, in order.
pub fn changes(payload: &Value) -> Vec<Change<'_>> {
    let entries = payload.get("entry").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .flat_map(|e| e.get("changes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default())
        .filter(|c| c.get("field").and_then(Value::as_str) == Some("messages"))
        .filter_map(|c| {
            let value = c.get("value")?;
            let id = str_at(value, &["metadata", "phone_number_id"])?.to_string();
            Some(Change { phone_number_id: id, value })
        })
        .collect()
}

fn timestamp(v: &Value) -> DateTime<Utc> {
    let secs = match v.get("timestamp") {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    // Never in the future: a sender's clock must not reorder the list.
    secs.and_then(|s| DateTime::from_timestamp(s, 0)).map_or_else(now, |t| t.min(now()))
}

/// The events of one change: messages (and number changes) first, then statuses.
pub fn events(change: &Change<'_>) -> Vec<Event> {
    let value = change.value;
    let profiles = value.get("contacts").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for m in value.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        if str_at(m, &["system", "type"]) == Some("user_changed_number") {
            if let (Some(old), Some(new)) = (str_at(m, &["from"]), str_at(m, &["system", "new_wa_id"])) {
                out.push(Event::ChangedNumber { old_wa_id: old.into(), new_wa_id: new.into() });
            }
            continue;
        }
        if let Some(msg) = message(m, &profiles) {
            out.push(Event::Message(Box::new(msg)));
        }
    }
    for s in value.get("statuses").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        if let (Some(id), Some(status)) = (str_at(s, &["id"]), str_at(s, &["status"])) {
            let error = s.get("errors").and_then(|e| e.get(0)).and_then(|e| str_at(e, &["title"])).map(String::from);
            out.push(Event::Status { external_id: id.into(), status: status.into(), at: timestamp(s), error });
        }
    }
    out
}

fn message(m: &Value, profiles: &[Value]) -> Option<InboundMessage> {
    let from = str_at(m, &["from"]).map(String::from);
    let from_user = str_at(m, &["from_user_id"]).map(String::from);
    // The profile that goes with this sender: by wa_id, or by business-scoped user id when the phone is hidden.
    let profile = profiles.iter().find(|p| {
        (from.is_some() && str_at(p, &["wa_id"]) == from.as_deref())
            || (from_user.is_some() && str_at(p, &["user_id"]) == from_user.as_deref())
    });
    let user_id = from_user.or_else(|| profile.and_then(|p| str_at(p, &["user_id"])).map(String::from));
    let username = profile.and_then(|p| str_at(p, &["profile", "username"])).map(String::from);
    let phone =
        from.as_deref().and_then(|f| Phone::parse_international("from", &format!("+{f}")).ok().map(String::from));
    let mut identities = Vec::new();
    for (kind, value) in [
        (IdentifierKind::WaUserId, user_id),
        (IdentifierKind::WaId, from.clone()),
        (IdentifierKind::Phone, phone.clone()),
        (IdentifierKind::Username, username),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty() && v.len() <= 200) {
            identities.push((kind, v));
        }
    }
    if identities.is_empty() {
        return None;
    }
    let kind = str_at(m, &["type"]).filter(|t| t.len() <= 40).unwrap_or("unknown").to_string();
    let body = match kind.as_str() {
        "text" => str_at(m, &["text", "body"]),
        "button" => str_at(m, &["button", "text"]),
        "interactive" => str_at(m, &["interactive", "button_reply", "title"])
            .or_else(|| str_at(m, &["interactive", "list_reply", "title"])),
        other => str_at(m, &[other, "caption"]),
    }
    .map(String::from);
    Some(InboundMessage {
        identities,
        phone,
        wa_id: from,
        profile_name: profile.and_then(|p| str_at(p, &["profile", "name"])).map(String::from),
        source: ContactSource::Whatsapp,
        listing_id: None,
        external_id: str_at(m, &["id"]).map(String::from),
        payload: (kind != "text").then(|| m.clone()),
        kind,
        body,
        sent_at: timestamp(m),
    })
}
