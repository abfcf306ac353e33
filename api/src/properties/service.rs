use entity::{contact, contact_property_value as value, enums::PropertyType, property_definition as definition};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use serde_json::Value;
use uuid::Uuid;

use super::values::{self, canonical};
use crate::{
    audit,
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    validate,
    visibility::find_visible,
};

pub struct NewDefinition {
    pub key: String,
    pub label: String,
    pub kind: PropertyType,
    pub options: Vec<String>,
    pub hidden: bool,
    pub position: Option<i32>,
}

#[derive(Default)]
pub struct DefinitionPatch {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub hidden: Option<bool>,
    pub position: Option<i32>,
}

/// The organization's definitions in display order; hidden ones only when asked.
pub async fn definitions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    include_hidden: bool,
) -> ApiResult<Vec<definition::Model>> {
    let mut query = definition::Entity::find().filter(definition::Column::OrganizationId.eq(actor.organization_id()));
    if !include_hidden {
        query = query.filter(definition::Column::Hidden.eq(false));
    }
    Ok(query.order_by_asc(definition::Column::Position).order_by_asc(definition::Column::Key).all(db).await?)
}

pub async fn create_definition(
    db: &impl ConnectionTrait,
    actor: &Actor,
    input: NewDefinition,
) -> ApiResult<definition::Model> {
    actor.require_admin()?;
    let key = validate_key(&input.key)?;
    let label = validate::name("label", &input.label)?;
    let options = validate_options(input.kind, input.options)?;
    let existing = definitions(db, actor, true).await?;
    unique_label(&existing, &label, None)?;
    let position = match input.position {
        Some(p) => p,
        None => existing.iter().map(|d| d.position + 1).max().unwrap_or(0),
    };
    let at = now();
    definition::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        key: Set(key),
        label: Set(label),
        kind: Set(input.kind),
        options: Set(serde_json::json!(options)),
        hidden: Set(input.hidden),
        position: Set(position),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(|e| conflict_on_unique(e, "key", "A property with this key already exists"))
}

/// Changes a definition's label, options, visibility or position. Its key and type never change:
/// flows and integrations depend on them.
pub async fn update_definition(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    patch: DefinitionPatch,
) -> ApiResult<definition::Model> {
    actor.require_admin()?;
    let current = definition::Entity::find_by_id(id)
        .filter(definition::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Property definition"))?;
    let kind = current.kind;
    let mut model: definition::ActiveModel = current.into();
    if let Some(label) = patch.label {
        let label = validate::name("label", &label)?;
        unique_label(&definitions(db, actor, true).await?, &label, Some(id))?;
        model.label = Set(label);
    }
    if let Some(options) = patch.options {
        model.options = Set(serde_json::json!(validate_options(kind, options)?));
    }
    if let Some(hidden) = patch.hidden {
        model.hidden = Set(hidden);
    }
    if let Some(position) = patch.position {
        model.position = Set(position);
    }
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

/// Deletes a property definition and every value of it (admins), recorded in the organization's audit
/// trail with what it was and how many values went with it.
pub async fn delete_definition(conn: &sea_orm::DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(conn).await?;
    let org = actor.organization_id();
    let current = definition::Entity::find_by_id(id)
        .filter(definition::Column::OrganizationId.eq(org))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("Property definition"))?;
    let values = value::Entity::delete_many()
        .filter(value::Column::OrganizationId.eq(org))
        .filter(value::Column::DefinitionId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    definition::Entity::delete_by_id(id).exec(&txn).await?;
    let before = serde_json::json!({
        "key": current.key, "label": current.label, "type": current.kind, "options": current.options, "values": values,
    });
    crate::audit::record(&txn, actor, None, "property.deleted", Some(before), None).await?;
    txn.commit().await?;
    Ok(())
}

/// Sets one property on a contact the actor can see and write. With `overwrite` false an existing
/// value is left alone (chatbot flows ask once). A null value clears the property.
pub async fn set_contact_property(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    key: &str,
    raw: Value,
    overwrite: bool,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let contact = find_visible(db, actor, contact_id).await?;
    let def = definition_by_key(db, actor.organization_id(), key).await?;
    let existing = value::Entity::find_by_id((actor.organization_id(), contact.id, def.id)).one(db).await?;
    if existing.is_some() && !overwrite {
        return Ok(contact);
    }
    let before = existing.map(|v| v.value);
    let after = write_values(db, actor.organization_id(), contact.id, &[(def, raw)]).await?.pop().flatten();
    if before != after {
        let change = |v: Option<Value>| Some(serde_json::json!({ "key": key, "value": v }));
        audit::record(db, actor, Some(contact.id), "contact.property_changed", change(before), change(after)).await?;
    }
    Ok(contact)
}

/// Looks up definitions for `(key, value)` pairs, validating every value before anything is written.
pub async fn resolve(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    pairs: Vec<(String, Value)>,
) -> ApiResult<Vec<(definition::Model, Value)>> {
    let mut resolved = Vec::with_capacity(pairs.len());
    for (key, raw) in pairs {
        let def = definition_by_key(db, organization_id, &key).await?;
        if !raw.is_null() {
            canonical(&def, &raw).map_err(|e| ApiError::bad_input(format!("properties.{key}"), e))?;
        }
        resolved.push((def, raw));
    }
    Ok(resolved)
}

/// Upserts (or, for null, deletes) values; returns the stored JSON of each.
pub async fn write_values(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    contact_id: Uuid,
    values: &[(definition::Model, Value)],
) -> ApiResult<Vec<Option<Value>>> {
    let mut stored = Vec::with_capacity(values.len());
    for (def, raw) in values {
        if raw.is_null() {
            value::Entity::delete_by_id((organization_id, contact_id, def.id)).exec(db).await?;
            stored.push(None);
            continue;
        }
        let v = canonical(def, raw).map_err(|e| ApiError::bad_input(format!("properties.{}", def.key), e))?;
        let row = value::ActiveModel {
            organization_id: Set(organization_id),
            contact_id: Set(contact_id),
            definition_id: Set(def.id),
            value: Set(v.json.clone()),
            value_text: Set(v.text),
            value_number: Set(v.number),
            updated_at: Set(now()),
        };
        value::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    value::Column::OrganizationId,
                    value::Column::ContactId,
                    value::Column::DefinitionId,
                ])
                .update_columns([
                    value::Column::Value,
                    value::Column::ValueText,
                    value::Column::ValueNumber,
                    value::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        stored.push(Some(v.json));
    }
    Ok(stored)
}

async fn definition_by_key(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
) -> ApiResult<definition::Model> {
    definition::Entity::find()
        .filter(definition::Column::OrganizationId.eq(organization_id))
        .filter(definition::Column::Key.eq(key.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input("key", format!("Unknown property `{key}`")))
}

/// Keys are lower-case ASCII letters, digits and underscores, starting with a letter.
fn validate_key(raw: &str) -> ApiResult<String> {
    let key = raw.trim().to_lowercase();
    let valid = (1..=50).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(key)
    } else {
        Err(ApiError::bad_input("key", "Use 1 to 50 lower-case letters, digits or _, starting with a letter"))
    }
}

/// Two properties of one organization never share a label, whatever its case: exports and imports name
/// columns by it.
fn unique_label(existing: &[definition::Model], label: &str, except: Option<Uuid>) -> ApiResult<()> {
    let key = label.to_lowercase();
    match existing.iter().find(|d| Some(d.id) != except && d.label.to_lowercase() == key) {
        Some(taken) => Err(ApiError::conflict("label", format!("The property `{}` already has this label", taken.key))),
        None => Ok(()),
    }
}

fn validate_options(kind: PropertyType, options: Vec<String>) -> ApiResult<Vec<String>> {
    if kind != PropertyType::List {
        return if options.is_empty() {
            Ok(vec![])
        } else {
            Err(ApiError::bad_input("options", "Only LIST properties have options"))
        };
    }
    let mut clean: Vec<String> = Vec::new();
    for option in options {
        let option = validate::text("options", &option, 100)?;
        // Options that differ only by case or accents would be one answer written two ways.
        if let Some(same) = clean.iter().find(|o| validate::fold(o) == validate::fold(&option)) {
            return Err(ApiError::bad_input("options", format!("`{option}` repeats the option `{same}`")));
        }
        clean.push(option);
    }
    if clean.is_empty() || clean.len() > 200 {
        return Err(ApiError::bad_input("options", "A LIST property needs 1 to 200 options"));
    }
    Ok(clean)
}

pub use values::options;
