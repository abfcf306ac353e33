//! Which column holds what: suggested from the header (`headers`) or chosen by the client, and checked
//! before a job starts.

use entity::property_definition;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum ImportField {
    Phone,
    /// The WhatsApp business-scoped user id, for people known without a phone number.
    WhatsappUserId,
    Name,
    /// Joined with `LAST_NAME` into the name, when a file keeps them apart.
    FirstName,
    LastName,
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
    if !mapping.iter().any(|m| matches!(m.field, ImportField::Name | ImportField::FirstName | ImportField::LastName)) {
        return Err(ApiError::bad_input(field, "Map a column to Name (or to FirstName and LastName)"));
    }
    if !mapping.iter().any(|m| matches!(m.field, ImportField::Phone | ImportField::WhatsappUserId)) {
        return Err(ApiError::bad_input(field, "Map a column to Phone or WhatsappUserId"));
    }
    Ok(())
}
