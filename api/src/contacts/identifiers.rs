//! Extra identities on a contact (a username, a Telegram id, a partner's API id, ...), for integrations
//! that know a person by something other than the phone. The phone itself changes with `updateContact`.

use entity::{contact, contact_identifier, enums::IdentifierKind};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::write::{conflict_or, identity_taken};
use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult, absent_as_none},
    validate,
    visibility::find_visible,
};

fn check_kind(kind: IdentifierKind) -> ApiResult<()> {
    match kind {
        IdentifierKind::Phone => Err(ApiError::bad_input("kind", "Change the phone with updateContact")),
        IdentifierKind::External => Err(ApiError::bad_input("kind", "Set ids in other systems with setExternalId")),
        _ => Ok(()),
    }
}

/// A system name folded to `[a-z0-9_-]`, so `Chatwoot` and `chatwoot` are the same system.
fn system_name(system: &str) -> ApiResult<String> {
    let system = system.trim().to_lowercase();
    let valid = !system.is_empty()
        && system.len() <= 40
        && system.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(ApiError::bad_input("system", "A system name is 1–40 letters, digits, `_` or `-`"));
    }
    Ok(system)
}

/// `system:id`, the stored value of an id in another system.
fn external_value(system: &str, external_id: &str) -> ApiResult<String> {
    Ok(format!("{}:{}", system_name(system)?, validate::text("externalId", external_id, 150)?))
}

/// Adds an identity to the contact. Another contact holding it is a CONFLICT on `field` (naming it only
/// if visible); checked before the insert because a failed insert ends a PostgreSQL transaction.
async fn insert_identity(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact: &contact::Model,
    kind: IdentifierKind,
    value: &str,
    field: &str,
) -> ApiResult<()> {
    identity_taken(db, actor, kind, value, Some(contact.id), field).await?;
    let row = contact_identifier::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        contact_id: Set(contact.id),
        kind: Set(kind),
        value: Set(value.to_string()),
        channel_id: Set(None),
        created_at: Set(now()),
    };
    match row.insert(db).await {
        Ok(_) => Ok(()),
        // Taken between the check and the insert.
        Err(e) => Err(conflict_or(e, field, async { Ok(()) }).await),
    }
}

/// Sets the contact's id in `system`, replacing the one it had there, in one transaction; unique per
/// system in the organization. An empty id removes it.
pub async fn set_external(
    db: &DatabaseConnection,
    actor: &Actor,
    contact_id: Uuid,
    system: &str,
    external_id: &str,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let system = system_name(system)?;
    let value = (!external_id.trim().is_empty()).then(|| external_value(&system, external_id)).transpose()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    // The system is compared exactly here rather than with a LIKE prefix, where `_` in a name would match
    // any character.
    let replaced: Vec<Uuid> = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_identifier::Column::ContactId.eq(contact.id))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::External))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|i| i.value.split_once(':').is_some_and(|(s, _)| s == system))
        .map(|i| i.id)
        .collect();
    contact_identifier::Entity::delete_many()
        .filter(contact_identifier::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_identifier::Column::Id.is_in(replaced))
        .exec(&txn)
        .await?;
    if let Some(value) = value {
        insert_identity(&txn, actor, &contact, IdentifierKind::External, &value, "externalId").await?;
        let after = serde_json::json!({ "value": value });
        audit::record(&txn, actor, Some(contact.id), "contact.external_id_set", None, Some(after)).await?;
    }
    txn.commit().await?;
    Ok(contact)
}

/// The visible contact holding this id in `system`, if any.
pub async fn find_external(
    db: &impl ConnectionTrait,
    actor: &Actor,
    system: &str,
    external_id: &str,
) -> ApiResult<Option<contact::Model>> {
    let value = external_value(system, external_id)?;
    let holder = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::External))
        .filter(contact_identifier::Column::Value.eq(value))
        .one(db)
        .await?;
    let Some(holder) = holder else { return Ok(None) };
    absent_as_none(find_visible(db, actor, holder.contact_id).await)
}

pub async fn add(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    kind: IdentifierKind,
    value: &str,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    check_kind(kind)?;
    let value = validate::text("value", value, 200)?;
    let contact = find_visible(db, actor, contact_id).await?;
    insert_identity(db, actor, &contact, kind, &value, "value").await?;
    audit::record(
        db,
        actor,
        Some(contact.id),
        "contact.identifier_added",
        None,
        Some(serde_json::json!({ "kind": kind, "value": value })),
    )
    .await?;
    Ok(contact)
}

pub async fn remove(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    kind: IdentifierKind,
    value: &str,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    check_kind(kind)?;
    let contact = find_visible(db, actor, contact_id).await?;
    let removed = contact_identifier::Entity::delete_many()
        .filter(contact_identifier::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_identifier::Column::ContactId.eq(contact.id))
        .filter(contact_identifier::Column::Kind.eq(kind))
        .filter(contact_identifier::Column::Value.eq(value.trim()))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::not_found("Identifier"));
    }
    audit::record(
        db,
        actor,
        Some(contact.id),
        "contact.identifier_removed",
        Some(serde_json::json!({ "kind": kind, "value": value.trim() })),
        None,
    )
    .await?;
    Ok(contact)
}
