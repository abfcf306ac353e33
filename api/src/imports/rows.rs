//! One input row checked against the mapping and the organization's stages, users, listings and
//! properties: a contact to create, or the reason it cannot be.

use std::collections::HashMap;

use entity::{
    enums::{IdentifierKind, PropertyType},
    listing, pipeline_stage, property_definition, user,
};
use serde_json::Value;
use uuid::Uuid;

use super::mapping::{ColumnMap, ImportField};
use crate::{
    properties::values::canonical,
    validate,
    values::{self, CountryCode, Email, Phone},
};

/// What rows are checked against, loaded once per job.
pub struct Lookups {
    pub country: CountryCode,
    pub stages: HashMap<String, Uuid>,
    pub users: HashMap<String, Uuid>,
    pub listings: HashMap<String, Uuid>,
    pub definitions: HashMap<String, property_definition::Model>,
}

impl Lookups {
    pub fn new(
        country: CountryCode,
        stages: Vec<pipeline_stage::Model>,
        users: Vec<user::Model>,
        listings: Vec<listing::Model>,
        definitions: Vec<property_definition::Model>,
    ) -> Self {
        let mut u = HashMap::new();
        for user in users.into_iter().filter(|u| u.active && u.role != entity::enums::UserRole::Viewer) {
            u.insert(user.email.to_lowercase(), user.id);
            u.insert(validate::fold(&user.name), user.id);
        }
        let mut l = HashMap::new();
        for listing in listings {
            l.insert(validate::fold(&listing.title), listing.id);
            l.insert(listing.slug.clone(), listing.id);
        }
        Self {
            country,
            stages: stages.into_iter().filter(|s| !s.archived).map(|s| (validate::fold(&s.name), s.id)).collect(),
            users: u,
            listings: l,
            definitions: definitions.into_iter().map(|d| (d.key.clone(), d)).collect(),
        }
    }
}

pub struct Candidate {
    pub name: String,
    pub phone: Option<String>,
    pub wa_user_id: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub stage_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub listing_id: Option<Uuid>,
    pub properties: Vec<(property_definition::Model, Value)>,
    /// Imported anyway, but worth telling: e.g. a mapped property left empty.
    pub warnings: Vec<String>,
}

impl Candidate {
    /// The identities the row claims, the phone first: a row matching any of them is a contact already.
    pub fn identities(&self) -> Vec<(IdentifierKind, String)> {
        let phone = self.phone.clone().map(|p| (IdentifierKind::Phone, p));
        let user = self.wa_user_id.clone().map(|u| (IdentifierKind::WaUserId, u));
        phone.into_iter().chain(user).collect()
    }
}

/// Checks one row; the error is the reason written in the report.
pub fn check(row: &[String], mapping: &[ColumnMap], lookups: &Lookups) -> Result<Candidate, String> {
    let cell = |m: &ColumnMap| row.get(m.column).map(|s| s.trim()).unwrap_or_default();
    let of = |field: ImportField| mapping.iter().find(|m| m.field == field).map(cell).filter(|v| !v.is_empty());

    // A name, or a first and a last name kept apart (HubSpot, Google Contacts).
    let joined =
        [of(ImportField::FirstName), of(ImportField::LastName)].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let name = of(ImportField::Name).or(Some(joined.as_str()).filter(|n| !n.is_empty())).ok_or("Name is missing")?;
    let name = validate::name("name", name).map_err(|_| "Name is longer than 200 characters".to_string())?;
    let phone = of(ImportField::Phone)
        .map(|p| {
            let reason =
                |e: crate::error::ApiError| format!("Phone `{p}` is not a valid number: {}", e.public_message());
            Phone::parse("phone", p, &lookups.country).map(String::from).map_err(reason)
        })
        .transpose()?;
    let wa_user_id = of(ImportField::WhatsappUserId)
        .map(|u| {
            let reason = |e: crate::error::ApiError| format!("WhatsApp user ID `{u}`: {}", e.public_message());
            values::whatsapp_user_id("whatsappUserId", u, false).map_err(reason)
        })
        .transpose()?;
    if phone.is_none() && wa_user_id.is_none() {
        return Err("Phone is missing".into());
    }
    let email = of(ImportField::Email)
        .map(|e| Email::parse("email", e).map(String::from).map_err(|_| format!("Email `{e}` is not valid")))
        .transpose()?;
    // Google Contacts joins labels with " ::: " and marks its own groups with "* " (`* myContacts`).
    let tags = of(ImportField::Tags)
        .map(|t| {
            let labels = t.split(":::").flat_map(|part| part.split([',', ';'])).map(str::trim);
            labels.filter(|t| !t.is_empty() && !t.starts_with('*')).map(String::from).collect()
        })
        .unwrap_or_default();
    let stage_id = of(ImportField::Stage)
        .map(|s| lookups.stages.get(&validate::fold(s)).copied().ok_or(format!("Unknown stage `{s}`")))
        .transpose()?;
    let assignee_id = of(ImportField::Assignee)
        .map(|a| {
            let key = if a.contains('@') { a.to_lowercase() } else { validate::fold(a) };
            lookups.users.get(&key).copied().ok_or(format!("Unknown agent `{a}`"))
        })
        .transpose()?;
    let listing_id = of(ImportField::Listing)
        .map(|l| {
            lookups
                .listings
                .get(&validate::fold(l))
                .or(lookups.listings.get(l))
                .copied()
                .ok_or(format!("Unknown listing `{l}`"))
        })
        .transpose()?;

    let mut properties = Vec::new();
    let mut warnings = Vec::new();
    for m in mapping.iter().filter(|m| m.field == ImportField::Property) {
        let Some(def) = m.property_key.as_ref().and_then(|k| lookups.definitions.get(k)) else { continue };
        let raw = cell(m);
        if raw.is_empty() {
            warnings.push(format!("{} is empty", def.label));
            continue;
        }
        let value = typed_cell(def.kind, raw);
        canonical(def, &value).map_err(|e| format!("{}: {e}", def.label))?;
        properties.push((def.clone(), value));
    }
    Ok(Candidate { name, phone, wa_user_id, email, tags, stage_id, assignee_id, listing_id, properties, warnings })
}

/// A spreadsheet cell read as the JSON its property type expects.
fn typed_cell(kind: PropertyType, raw: &str) -> Value {
    match kind {
        PropertyType::Number => {
            let normal =
                if raw.contains(',') && !raw.contains('.') { raw.replace(',', ".") } else { raw.replace(',', "") };
            normal.trim().parse::<f64>().map_or_else(|_| Value::String(raw.into()), |n| serde_json::json!(n))
        }
        PropertyType::Boolean => match validate::fold(raw).as_str() {
            "true" | "yes" | "si" | "sim" | "1" | "x" => Value::Bool(true),
            "false" | "no" | "nao" | "0" => Value::Bool(false),
            _ => Value::String(raw.into()),
        },
        PropertyType::Date => {
            let day_first = chrono::NaiveDate::parse_from_str(raw, "%d/%m/%Y").ok();
            Value::String(day_first.map_or_else(|| raw.to_string(), |d| d.format("%Y-%m-%d").to_string()))
        }
        _ => Value::String(raw.into()),
    }
}
