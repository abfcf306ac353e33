//! Which column holds what: suggested from the header (English, Spanish, Portuguese) or chosen by the
//! client, and checked before a job starts.

use entity::property_definition;
use serde::{Deserialize, Serialize};

use crate::{
    error::{ApiError, ApiResult},
    validate::fold,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum ImportField {
    Phone,
    /// The WhatsApp business-scoped user id, for people known without a phone number.
    WhatsappUserId,
    Name,
    Email,
    Tags,
    Stage,
    Assignee,
    Listing,
    Property,
    Ignore,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap {
    pub column: usize,
    pub field: ImportField,
    pub property_key: Option<String>,
}

const SYNONYMS: [(ImportField, &[&str]); 8] = [
    (
        ImportField::WhatsappUserId,
        &[
            "whatsapp user id",
            "wa user id",
            "bsuid",
            "user id",
            "id de usuario de whatsapp",
            "id de usuario do whatsapp",
        ],
    ),
    (
        ImportField::Phone,
        &[
            "phone",
            "phone number",
            "mobile",
            "cell",
            "whatsapp",
            "telefono",
            "numero",
            "celular",
            "movil",
            "telefone",
            "numero de telefone",
        ],
    ),
    (
        ImportField::Name,
        &["name", "full name", "contact", "contact name", "nombre", "nombre completo", "nome", "nome completo"],
    ),
    (
        ImportField::Email,
        &["email", "e-mail", "email address", "mail", "correo", "correo electronico", "e-mail address"],
    ),
    (ImportField::Tags, &["tags", "tag", "labels", "etiquetas", "etiqueta"]),
    (ImportField::Stage, &["stage", "status", "funnel stage", "estado", "etapa", "fase", "estagio"]),
    (
        ImportField::Assignee,
        &[
            "assignee",
            "owner",
            "agent",
            "assigned to",
            "asignado",
            "asignado a",
            "agente",
            "responsable",
            "responsavel",
        ],
    ),
    (
        ImportField::Listing,
        &["listing", "property", "source property", "propiedad", "inmueble", "propriedade", "imovel"],
    ),
];

/// A mapping guessed from the headers: known words first, then custom properties by key or label.
pub fn suggest(headers: &[String], definitions: &[property_definition::Model]) -> Vec<ColumnMap> {
    let mut taken: Vec<ImportField> = Vec::new();
    headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let h = fold(header.trim()).replace(['_', '*'], " ").trim().to_string();
            let known = SYNONYMS.iter().find(|(field, words)| !taken.contains(field) && words.contains(&h.as_str()));
            if let Some((field, _)) = known {
                taken.push(*field);
                return ColumnMap { column, field: *field, property_key: None };
            }
            let property = definitions.iter().find(|d| fold(&d.key) == h.replace(' ', "_") || fold(&d.label) == h);
            match property {
                Some(d) => ColumnMap { column, field: ImportField::Property, property_key: Some(d.key.clone()) },
                None => ColumnMap { column, field: ImportField::Ignore, property_key: None },
            }
        })
        .collect()
}

/// A mapping must name a name column and a phone or WhatsApp user id column, each field at most once, columns that exist and
/// properties that exist.
pub fn check(mapping: &[ColumnMap], columns: usize, definitions: &[property_definition::Model]) -> ApiResult<()> {
    let field = "mapping";
    for m in mapping {
        if m.column >= columns {
            return Err(ApiError::bad_input(field, format!("Column {} does not exist in the file", m.column)));
        }
        if m.field == ImportField::Property {
            let key = m.property_key.as_deref().unwrap_or_default();
            if !definitions.iter().any(|d| d.key == key) {
                return Err(ApiError::bad_input(field, format!("Unknown property `{key}`")));
            }
        }
        let single = !matches!(m.field, ImportField::Property | ImportField::Ignore);
        if single && mapping.iter().filter(|o| o.field == m.field).count() > 1 {
            return Err(ApiError::bad_input(field, format!("{:?} is mapped to more than one column", m.field)));
        }
    }
    if !mapping.iter().any(|m| m.field == ImportField::Name) {
        return Err(ApiError::bad_input(field, "Map a column to Name"));
    }
    if !mapping.iter().any(|m| matches!(m.field, ImportField::Phone | ImportField::WhatsappUserId)) {
        return Err(ApiError::bad_input(field, "Map a column to Phone or WhatsappUserId"));
    }
    Ok(())
}
