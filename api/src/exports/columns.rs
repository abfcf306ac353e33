//! The columns of an export, their headers in three languages, and one page of contacts turned into
//! rows. Lookups (stages, users, listings, tags, property definitions) are read once per export;
//! tags and property values once per page.

use std::collections::HashMap;

use entity::{
    contact, contact_identifier, contact_property_value, contact_tag, enums::IdentifierKind, listing, pipeline_stage,
    property_definition, tag, user,
};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    En,
    Es,
    Pt,
}

/// Built-in columns in export order: key, then the header in English, Spanish and Portuguese.
const FIXED: [(&str, [&str; 3]); 21] = [
    ("name", ["Name", "Nombre", "Nome"]),
    ("phone", ["Phone", "Teléfono", "Telefone"]),
    ("email", ["Email", "Correo electrónico", "E-mail"]),
    ("stage", ["Stage", "Etapa", "Etapa"]),
    ("source", ["Source", "Origen", "Origem"]),
    ("source_listing", ["Source listing", "Propiedad de origen", "Imóvel de origem"]),
    ("assignee", ["Assignee", "Asignado a", "Responsável"]),
    ("tags", ["Tags", "Etiquetas", "Etiquetas"]),
    ("created_at", ["Created", "Creado", "Criado em"]),
    ("last_activity_at", ["Last activity", "Última actividad", "Última atividade"]),
    (
        "user_initiated_conversations",
        ["User-initiated conversations", "Conversaciones iniciadas por el usuario", "Conversas iniciadas pelo usuário"],
    ),
    (
        "business_initiated_conversations",
        [
            "Business-initiated conversations",
            "Conversaciones iniciadas por la empresa",
            "Conversas iniciadas pela empresa",
        ],
    ),
    (
        "cancelled_outbounds",
        ["Cancelled outbound messages", "Mensajes salientes cancelados", "Mensagens enviadas canceladas"],
    ),
    ("received_notifications", ["Received notifications", "Notificaciones recibidas", "Notificações recebidas"]),
    // What integrations match on: the contact's own id (an edited export imports back by it) and every
    // identity, external ids as `system:id` joined with "; ".
    ("id", ["Contact ID", "ID del contacto", "ID do contato"]),
    ("wa_id", ["WhatsApp ID", "ID de WhatsApp", "ID do WhatsApp"]),
    ("wa_user_id", ["WhatsApp user ID", "ID de usuario de WhatsApp", "ID de usuário do WhatsApp"]),
    (
        "wa_parent_user_id",
        ["WhatsApp parent user ID", "ID de usuario principal de WhatsApp", "ID de usuário principal do WhatsApp"],
    ),
    ("username", ["Username", "Nombre de usuario", "Nome de usuário"]),
    ("telegram_id", ["Telegram ID", "ID de Telegram", "ID do Telegram"]),
    ("external_ids", ["External IDs", "IDs externos", "IDs externos"]),
];

/// The identity kinds the export has a column for, by column key.
const IDENTITY_COLUMNS: [(&str, IdentifierKind); 5] = [
    ("wa_user_id", IdentifierKind::WaUserId),
    ("wa_parent_user_id", IdentifierKind::WaParentUserId),
    ("username", IdentifierKind::Username),
    ("telegram_id", IdentifierKind::TelegramId),
    ("external_ids", IdentifierKind::External),
];

pub enum Column {
    Fixed(&'static str, &'static [&'static str; 3]),
    Property(property_definition::Model),
}

impl Column {
    /// The stable key: JSON exports use it as the field name.
    pub fn key(&self) -> &str {
        match self {
            Self::Fixed(key, _) => key,
            Self::Property(d) => &d.key,
        }
    }

    pub fn header(&self, language: Language) -> &str {
        match self {
            Self::Fixed(_, headers) => headers[language as usize],
            Self::Property(d) => &d.label,
        }
    }
}

/// A cell, typed for JSON (spreadsheets get the same values as text or numbers): statistics are numbers,
/// property values keep their JSON type, lists stay lists, and what a contact lacks is absent (null).
pub enum Cell {
    Text(String),
    Number(i64),
    /// Items and the separator a spreadsheet cell joins them with.
    List(Vec<String>, &'static str),
    Value(Value),
    Absent,
}

impl Cell {
    fn text(value: Option<String>) -> Self {
        value.filter(|v| !v.is_empty()).map_or(Self::Absent, Self::Text)
    }

    /// The cell as one spreadsheet string: lists joined, absent values empty.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Text(t) => t.as_str().into(),
            Self::Number(n) => n.to_string().into(),
            Self::List(items, separator) => items.join(separator).into(),
            Self::Value(v) => property_text(v).into(),
            Self::Absent => "".into(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Self::Text(t) => Value::from(t.as_str()),
            Self::Number(n) => Value::from(*n),
            Self::List(items, _) => Value::from(items.clone()),
            Self::Value(v) => v.clone(),
            Self::Absent => Value::Null,
        }
    }
}

/// Every column in order (built-ins, then properties by position; hidden ones only when asked), or only
/// those named in `only`, in the order given. An unknown name is a BAD_INPUT.
pub async fn resolve(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    include_hidden: bool,
    only: Option<&[String]>,
) -> ApiResult<Vec<Column>> {
    let definitions = property_definition::Entity::find()
        .filter(property_definition::Column::OrganizationId.eq(organization_id))
        .order_by_asc(property_definition::Column::Position)
        .order_by_asc(property_definition::Column::Key)
        .all(db)
        .await?;
    let mut all: Vec<Column> = FIXED.iter().map(|(k, h)| Column::Fixed(k, h)).collect();
    all.extend(definitions.into_iter().filter(|d| include_hidden || !d.hidden).map(Column::Property));
    let Some(only) = only.filter(|o| !o.is_empty()) else { return Ok(all) };
    let mut chosen = Vec::new();
    for name in only {
        let Some(i) = all.iter().position(|c| c.key() == name) else {
            return Err(ApiError::bad_input("columns", format!("Unknown column `{name}`")));
        };
        chosen.push(all.remove(i));
    }
    Ok(chosen)
}

/// What every page needs and that does not change during an export.
pub struct Lookups {
    stages: HashMap<Uuid, String>,
    users: HashMap<Uuid, String>,
    listings: HashMap<Uuid, String>,
    tags: HashMap<Uuid, String>,
    /// Dates are written as people in the organization read them.
    zone: crate::values::TimeZone,
}

impl Lookups {
    pub async fn load(db: &impl ConnectionTrait, organization: &entity::organization::Model) -> ApiResult<Self> {
        let org = organization.id;
        let stages = pipeline_stage::Entity::find().filter(pipeline_stage::Column::OrganizationId.eq(org)).all(db);
        let stages = stages.await?.into_iter().map(|s| (s.id, s.name)).collect();
        let users = user::Entity::find().filter(user::Column::OrganizationId.eq(org)).all(db).await?;
        let listings = listing::Entity::find().filter(listing::Column::OrganizationId.eq(org)).all(db).await?;
        let tags = tag::Entity::find().filter(tag::Column::OrganizationId.eq(org)).all(db).await?;
        Ok(Self {
            zone: crate::values::TimeZone::of(organization),
            stages,
            users: users.into_iter().map(|u| (u.id, u.name)).collect(),
            listings: listings.into_iter().map(|l| (l.id, l.title)).collect(),
            tags: tags.into_iter().map(|t| (t.id, t.name)).collect(),
        })
    }
}

/// A property value as one cell: lists joined with ", ", everything else as written.
fn property_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(property_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// One row per contact of the page (in id order), cells in column order. Tags and values are read by the
/// page's id range, one index range each instead of thousands of `IN` parameters, and kept for the
/// page's contacts only.
pub async fn rows(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    columns: &[Column],
    lookups: &Lookups,
    page: &[contact::Model],
) -> ApiResult<Vec<Vec<Cell>>> {
    let (Some(first), Some(last)) = (page.first().map(|c| c.id), page.last().map(|c| c.id)) else {
        return Ok(Vec::new());
    };
    let in_page: std::collections::HashSet<Uuid> = page.iter().map(|c| c.id).collect();
    let mut tags: HashMap<Uuid, Vec<&str>> = HashMap::new();
    if columns.iter().any(|c| c.key() == "tags") {
        let links = contact_tag::Entity::find()
            .filter(contact_tag::Column::OrganizationId.eq(organization_id))
            .filter(contact_tag::Column::ContactId.between(first, last))
            .all(db)
            .await?;
        for link in links.into_iter().filter(|l| in_page.contains(&l.contact_id)) {
            if let Some(name) = lookups.tags.get(&link.tag_id) {
                tags.entry(link.contact_id).or_default().push(name);
            }
        }
        tags.values_mut().for_each(|names| names.sort_unstable());
    }
    let mut values: HashMap<(Uuid, Uuid), Value> = HashMap::new();
    if columns.iter().any(|c| matches!(c, Column::Property(_))) {
        let rows = contact_property_value::Entity::find()
            .filter(contact_property_value::Column::OrganizationId.eq(organization_id))
            .filter(contact_property_value::Column::ContactId.between(first, last))
            .all(db)
            .await?;
        values = rows
            .into_iter()
            .filter(|v| in_page.contains(&v.contact_id))
            .map(|v| ((v.contact_id, v.definition_id), v.value))
            .collect();
    }
    let mut identities: HashMap<(Uuid, &str), Vec<String>> = HashMap::new();
    let wanted: Vec<(&str, IdentifierKind)> =
        IDENTITY_COLUMNS.into_iter().filter(|(key, _)| columns.iter().any(|c| c.key() == *key)).collect();
    if !wanted.is_empty() {
        let rows = contact_identifier::Entity::find()
            .filter(contact_identifier::Column::OrganizationId.eq(organization_id))
            .filter(contact_identifier::Column::ContactId.between(first, last))
            .filter(contact_identifier::Column::Kind.is_in(wanted.iter().map(|(_, kind)| *kind)))
            .all(db)
            .await?;
        for row in rows.into_iter().filter(|r| in_page.contains(&r.contact_id)) {
            if let Some((key, _)) = wanted.iter().find(|(_, kind)| *kind == row.kind) {
                identities.entry((row.contact_id, key)).or_default().push(row.value);
            }
        }
        identities.values_mut().for_each(|values| values.sort_unstable());
    }
    // One value per kind is the rule (a list only for external ids, one per system); should a contact
    // hold two, both are kept.
    let identity = |id: Uuid, key: &str| match identities.get(&(id, key)) {
        None => Cell::Absent,
        Some(v) if key == "external_ids" => Cell::List(v.clone(), "; "),
        Some(v) => Cell::Text(v.join("; ")),
    };
    let name_of = |map: &HashMap<Uuid, String>, id: Option<Uuid>| id.and_then(|id| map.get(&id)).cloned();
    Ok(page
        .iter()
        .map(|c| {
            columns
                .iter()
                .map(|column| match column {
                    Column::Property(d) => values
                        .get(&(c.id, d.id))
                        .filter(|v| !v.is_null())
                        .map_or(Cell::Absent, |v| Cell::Value(v.clone())),
                    Column::Fixed(key, _) => match *key {
                        "name" => Cell::Text(c.name.clone()),
                        "phone" => Cell::text(c.phone.clone()),
                        "email" => Cell::text(c.email.clone()),
                        "stage" => Cell::text(lookups.stages.get(&c.stage_id).cloned()),
                        "source" => Cell::Text(c.source.to_value()),
                        "source_listing" => Cell::text(name_of(&lookups.listings, c.source_listing_id)),
                        "assignee" => Cell::text(name_of(&lookups.users, c.assignee_id)),
                        "tags" => {
                            let names = tags.get(&c.id).map(|t| t.iter().map(|n| n.to_string()).collect());
                            Cell::List(names.unwrap_or_default(), ", ")
                        }
                        "created_at" => Cell::Text(lookups.zone.local(c.created_at)),
                        "last_activity_at" => Cell::Text(lookups.zone.local(c.last_activity_at)),
                        "user_initiated_conversations" => Cell::Number(c.user_initiated_conversations.into()),
                        "business_initiated_conversations" => Cell::Number(c.business_initiated_conversations.into()),
                        "cancelled_outbounds" => Cell::Number(c.cancelled_outbounds.into()),
                        "received_notifications" => Cell::Number(c.received_notifications.into()),
                        "id" => Cell::Text(c.id.to_string()),
                        "wa_id" => Cell::text(c.wa_id.clone()),
                        identity_key => identity(c.id, identity_key),
                    },
                })
                .collect()
        })
        .collect())
}
