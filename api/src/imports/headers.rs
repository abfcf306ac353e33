//! The headers people's files actually carry, read as fields: this product's template and exports, and the
//! exports of HubSpot, Chatwoot and Google Contacts, in English, Spanish and Portuguese. Headers are
//! compared folded (lower case, no accents, `_` and `*` as spaces).

use entity::property_definition;

use super::mapping::{ColumnMap, ImportField};
use crate::validate::fold;

/// Known headers per field, in the order fields are tried (a header names the first field listing it).
const SYNONYMS: [(ImportField, &[&str]); 10] = [
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
            "mobile phone",
            "mobile phone number",
            "cell",
            "whatsapp",
            "whatsapp number",
            "phone 1 - value",
            "telefono",
            "numero",
            "numero de telefono",
            "numero de telefono movil",
            "celular",
            "movil",
            "telefone",
            "numero de telefone",
            "numero do celular",
            "telefone celular",
        ],
    ),
    // HubSpot's and Google's first name; "nombre" and "nome" are read as a first name when the file also
    // has a last name (`suggest`).
    (ImportField::FirstName, &["first name", "given name", "firstname", "primer nombre", "primeiro nome"]),
    (
        ImportField::LastName,
        &["last name", "family name", "surname", "lastname", "apellido", "apellidos", "sobrenome", "ultimo nome"],
    ),
    (
        ImportField::Name,
        &["name", "full name", "contact", "contact name", "nombre", "nombre completo", "nome", "nome completo"],
    ),
    (
        ImportField::Email,
        &[
            "email",
            "e-mail",
            "email address",
            "e-mail address",
            "e-mail 1 - value",
            "mail",
            "correo",
            "correo electronico",
        ],
    ),
    (ImportField::Tags, &["tags", "tag", "labels", "group membership", "etiquetas", "etiqueta"]),
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
        &[
            "listing",
            "property",
            "source property",
            "source listing",
            "propiedad",
            "propiedad de origen",
            "inmueble",
            "propriedade",
            "imovel",
            "imovel de origem",
        ],
    ),
];

/// A mapping guessed from the headers: known words first, then custom properties by key or label.
pub fn suggest(headers: &[String], definitions: &[property_definition::Model]) -> Vec<ColumnMap> {
    let mut taken: Vec<ImportField> = Vec::new();
    let mut mapping: Vec<ColumnMap> = headers
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
        .collect();
    // "Nombre" beside "Apellidos" (HubSpot in Spanish) is the first name.
    let has = |field: ImportField, m: &[ColumnMap]| m.iter().any(|c| c.field == field);
    if has(ImportField::LastName, &mapping)
        && !has(ImportField::FirstName, &mapping)
        && let Some(name) = mapping.iter_mut().find(|c| c.field == ImportField::Name)
    {
        name.field = ImportField::FirstName;
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(headers: &[&str]) -> Vec<ImportField> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        suggest(&headers, &[]).into_iter().map(|m| m.field).collect()
    }

    #[test]
    fn the_exports_people_bring_are_recognised() {
        use ImportField::*;
        // HubSpot, in English and Spanish.
        assert_eq!(
            fields(&["Record ID", "First Name", "Last Name", "Email", "Phone Number"]),
            [Ignore, FirstName, LastName, Email, Phone]
        );
        assert_eq!(
            fields(&["Nombre", "Apellidos", "Correo", "Número de teléfono"]),
            [FirstName, LastName, Email, Phone]
        );
        // Chatwoot's contacts export.
        assert_eq!(fields(&["id", "name", "email", "phone_number"]), [Ignore, Name, Email, Phone]);
        // Google Contacts.
        assert_eq!(
            fields(&["First Name", "Middle Name", "Last Name", "E-mail 1 - Value", "Phone 1 - Value", "Labels"]),
            [FirstName, Ignore, LastName, Email, Phone, Tags]
        );
        // This product's export, in Portuguese.
        assert_eq!(
            fields(&["Nome", "Telefone", "E-mail", "Etapa", "Responsável", "Etiquetas", "ID de usuário do WhatsApp"]),
            [Name, Phone, Email, Stage, Assignee, Tags, WhatsappUserId]
        );
    }
}
