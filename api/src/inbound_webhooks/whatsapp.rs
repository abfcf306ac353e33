//! Reading Meta Cloud API webhook payloads (the `messages` and `user_preferences` fields), as Meta's
//! webhook references and its business-scoped user ids page describe them. Each message is read on its own
//! from loose JSON, so one message of a type we do not know (or a malformed one) never spoils the rest of
//! the delivery; a message whose sender identities are malformed is refused whole, never half stored.

use chrono::{DateTime, Utc};
use entity::enums::{ContactSource, IdentifierKind};
use serde_json::Value;

use crate::{
    conversations::{identities::Identity, inbound::InboundMessage},
    db::now,
    values::{self, Phone},
};

/// One `changes[].value` for one business phone number id.
pub struct Change<'a> {
    pub field: &'a str,
    pub phone_number_id: String,
    pub value: &'a Value,
}

pub enum Event {
    Message(Box<InboundMessage>),
    /// `user_changed_number` or `user_changed_user_id`: the contact found by `previous` takes `current`.
    Changed {
        previous: Vec<Identity>,
        current: Vec<Identity>,
        audit: &'static str,
    },
    /// A status of a message we sent, with what it says about its recipient.
    Status {
        external_id: String,
        status: String,
        at: DateTime<Utc>,
        error: Option<String>,
        recipient: Sender,
    },
    /// `user_preferences`: marketing messages stopped (`false`) or resumed on this number.
    Marketing {
        sender: Sender,
        allowed: bool,
        detail: String,
        at: DateTime<Utc>,
    },
    /// Not applied: the field and why.
    Refused {
        field: String,
        reason: String,
    },
}

/// Who a message, status or preference is about: identities strongest first, and the username.
#[derive(Default)]
pub struct Sender {
    pub identities: Vec<Identity>,
    pub username: Option<String>,
}

impl Sender {
    fn of(&self, kind: IdentifierKind) -> Option<String> {
        self.identities.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.clone())
    }

    fn add(&mut self, identity: Identity) {
        if !self.identities.contains(&identity) {
            self.identities.push(identity);
        }
    }
}

type Refusal = (String, String);

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Every change of every entry, in order.
pub fn changes(payload: &Value) -> Vec<Change<'_>> {
    array(payload, "entry")
        .iter()
        .flat_map(|e| array(e, "changes"))
        .filter_map(|c| {
            let field = c.get("field").and_then(Value::as_str)?;
            let value = c.get("value")?;
            let id = str_at(value, &["metadata", "phone_number_id"])?.to_string();
            matches!(field, "messages" | "user_preferences").then_some(Change { field, phone_number_id: id, value })
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

/// A `wa_id` (the digits of a number) and the phone it names, checked.
fn number(field: &str, wa_id: &str) -> Result<Vec<Identity>, Refusal> {
    if !(1..=15).contains(&wa_id.len()) || !wa_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err((field.into(), "Expected the digits of a phone number with its country code".into()));
    }
    let mut out = vec![(IdentifierKind::WaId, wa_id.to_string())];
    if let Ok(phone) = Phone::parse_international(field, &format!("+{wa_id}")) {
        out.push((IdentifierKind::Phone, phone.into()));
    }
    Ok(out)
}

/// The sender from its parts, each checked against its documented form. A malformed key (the user id or
/// the number) refuses the whole event when `strict`, else is left out; a malformed parent id or username
/// is left out (logged), so the person's message is never lost for an optional part.
fn sender(
    strict: bool,
    wa_id: (&str, Option<&str>),
    user_id: (&str, Option<&str>),
    parent: (&str, Option<&str>),
    username: (&str, Option<&str>),
) -> Result<Sender, Refusal> {
    fn reason(field: &str) -> impl Fn(crate::error::ApiError) -> Refusal + '_ {
        move |e| (field.to_string(), e.public_message())
    }
    let skipped = |(field, why): Refusal| tracing::warn!(field, why, "left out a malformed WhatsApp identity");
    let mut out = Sender::default();
    let mut keys = Vec::new();
    if let (field, Some(id)) = user_id {
        keys.push(
            values::whatsapp_user_id(field, id, false)
                .map_err(reason(field))
                .map(|v| vec![(IdentifierKind::WaUserId, v)]),
        );
    }
    if let (field, Some(digits)) = wa_id {
        keys.push(number(field, digits));
    }
    for key in keys {
        match key {
            Ok(found) => found.into_iter().for_each(|i| out.add(i)),
            Err(refusal) if strict => return Err(refusal),
            Err(refusal) => skipped(refusal),
        }
    }
    if let (field, Some(id)) = parent {
        match values::whatsapp_user_id(field, id, true) {
            Ok(v) => out.add((IdentifierKind::WaParentUserId, v)),
            Err(e) => skipped(reason(field)(e)),
        }
    }
    if let (field, Some(name)) = username {
        out.username = values::username(field, name).map_err(reason(field)).map_err(skipped).ok();
    }
    Ok(out)
}

/// The events of one change: messages (and identity changes) first, then statuses.
pub fn events(change: &Change<'_>) -> Vec<Event> {
    let value = change.value;
    let refused = |(field, reason): Refusal| Event::Refused { field, reason };
    if change.field == "user_preferences" {
        return array(value, "user_preferences").iter().map(|p| preference(p).unwrap_or_else(refused)).collect();
    }
    let profiles = array(value, "contacts");
    let mut out = Vec::new();
    for m in array(value, "messages") {
        let event = match str_at(m, &["system", "type"]) {
            Some(kind @ ("user_changed_number" | "user_changed_user_id")) => changed(m, kind),
            _ => message(m, profiles).map(|msg| msg.map(|msg| Event::Message(Box::new(msg)))),
        };
        match event {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(refusal) => out.push(refused(refusal)),
        }
    }
    for s in array(value, "statuses") {
        if let Some(e) = status(s, profiles) {
            out.push(e);
        }
    }
    out
}

fn message(m: &Value, profiles: &[Value]) -> Result<Option<InboundMessage>, Refusal> {
    let from = str_at(m, &["from"]);
    let from_user = str_at(m, &["from_user_id"]);
    // The profile that goes with this sender: by wa_id, or by user id when the phone is withheld.
    let profile = profiles.iter().find(|p| {
        (from.is_some() && str_at(p, &["wa_id"]) == from)
            || (from_user.is_some() && str_at(p, &["user_id"]) == from_user)
    });
    let at = |key: &str| profile.and_then(|p| str_at(p, &[key]));
    let mut who = sender(
        true,
        ("from", from),
        ("from_user_id", from_user.or_else(|| at("user_id"))),
        ("from_parent_user_id", str_at(m, &["from_parent_user_id"]).or_else(|| at("parent_user_id"))),
        ("profile.username", profile.and_then(|p| str_at(p, &["profile", "username"]))),
    )?;
    let kind = str_at(m, &["type"]).filter(|t| t.len() <= 40).unwrap_or("unknown").to_string();
    if kind == "contacts" {
        // The answer to a contact-info request: the number it shares is the sender's own.
        let shared = array(m, "contacts").iter().filter(|c| str_at(c, &["origin"]) == Some("contact_request"));
        for phone in shared.flat_map(|c| array(c, "phones")) {
            let digits = str_at(phone, &["wa_id"]).map(String::from).or_else(|| {
                let typed = str_at(phone, &["phone"])?;
                Phone::parse_international("phone", typed).ok().map(|p| p.as_str()[1..].to_string())
            });
            // A malformed shared number is left out; the message itself is still the sender's.
            if let Some(found) = digits.and_then(|d| number("contacts.phones.wa_id", &d).ok()) {
                found.into_iter().for_each(|i| who.add(i));
            }
        }
    }
    if who.identities.is_empty() && who.username.is_none() {
        return Ok(None);
    }
    let body = match kind.as_str() {
        "text" => str_at(m, &["text", "body"]),
        "button" => str_at(m, &["button", "text"]),
        "interactive" => str_at(m, &["interactive", "button_reply", "title"])
            .or_else(|| str_at(m, &["interactive", "list_reply", "title"])),
        other => str_at(m, &[other, "caption"]),
    }
    .map(String::from);
    Ok(Some(InboundMessage {
        phone: who.of(IdentifierKind::Phone),
        wa_id: who.of(IdentifierKind::WaId),
        identities: who.identities,
        username: who.username,
        profile_name: profile.and_then(|p| str_at(p, &["profile", "name"])).map(String::from),
        source: ContactSource::Whatsapp,
        listing_id: None,
        external_id: str_at(m, &["id"]).map(String::from),
        payload: (kind != "text").then(|| m.clone()),
        kind,
        body,
        sent_at: timestamp(m),
    }))
}

/// `user_changed_number` (from the old number to `system.wa_id`) and `user_changed_user_id` (from
/// `system.previous_user_id` to `system.user_id`); both may carry the user id change alongside.
fn changed(m: &Value, kind: &str) -> Result<Option<Event>, Refusal> {
    let system = |key: &str| str_at(m, &["system", key]);
    let previous = sender(
        true,
        ("from", str_at(m, &["from"])),
        ("system.previous_user_id", system("previous_user_id").or_else(|| str_at(m, &["from_user_id"]))),
        ("system.previous_parent_user_id", system("previous_parent_user_id")),
        ("profile.username", None),
    )?;
    // `new_wa_id` is how the field was named before 2026.
    let number = if kind == "user_changed_number" { system("wa_id").or_else(|| system("new_wa_id")) } else { None };
    let current = sender(
        true,
        ("system.wa_id", number),
        ("system.user_id", system("user_id")),
        ("system.parent_user_id", system("parent_user_id")),
        ("profile.username", None),
    )?;
    if previous.identities.is_empty() || current.identities.is_empty() {
        return Ok(None);
    }
    let audit = if kind == "user_changed_number" { "contact.number_changed" } else { "contact.user_id_changed" };
    Ok(Some(Event::Changed { previous: previous.identities, current: current.identities, audit }))
}

/// A status, found by its message id. What it says about the recipient (a number, user ids, a username in
/// the change's `contacts`) is kept only when well formed: the status applies either way.
fn status(s: &Value, profiles: &[Value]) -> Option<Event> {
    let (id, status) = (str_at(s, &["id"])?, str_at(s, &["status"])?);
    let error = array(s, "errors").first().and_then(|e| str_at(e, &["title"])).map(String::from);
    let user_id = str_at(s, &["recipient_user_id"]);
    let profile = profiles.iter().find(|p| user_id.is_some() && str_at(p, &["user_id"]) == user_id);
    // A group's recipient_id is the group's, not a person's number.
    let group = str_at(s, &["recipient_type"]) == Some("group") || s.get("recipient_participant_id").is_some();
    let wa_id = str_at(s, &["recipient_id"]).filter(|_| !group);
    let recipient = sender(
        false,
        ("recipient_id", wa_id),
        ("recipient_user_id", user_id),
        ("recipient_parent_user_id", str_at(s, &["recipient_parent_user_id"])),
        ("contacts.profile.username", profile.and_then(|p| str_at(p, &["profile", "username"]))),
    )
    .unwrap_or_default();
    Some(Event::Status { external_id: id.into(), status: status.into(), at: timestamp(s), error, recipient })
}

/// `user_preferences[]`: `category` `marketing_messages`, `value` `stop` or `resume`.
fn preference(p: &Value) -> Result<Event, Refusal> {
    let who = sender(
        true,
        ("wa_id", str_at(p, &["wa_id"])),
        ("user_id", str_at(p, &["user_id"])),
        ("parent_user_id", str_at(p, &["parent_user_id"])),
        ("username", None),
    )?;
    let allowed = match (str_at(p, &["category"]), str_at(p, &["value"])) {
        (Some("marketing_messages"), Some("stop")) => false,
        (Some("marketing_messages"), Some("resume")) => true,
        _ => return Err(("user_preferences".into(), "Not a marketing stop or resume".into())),
    };
    let detail = str_at(p, &["detail"]).unwrap_or(if allowed { "resume" } else { "stop" });
    // The consent's method holds 80 characters: "WhatsApp: " and the detail.
    let detail = detail.chars().take(70).collect();
    Ok(Event::Marketing { sender: who, allowed, detail, at: timestamp(p) })
}
