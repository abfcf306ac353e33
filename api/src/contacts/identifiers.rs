//! Extra identities on a contact (a username, a Telegram id, a partner's API id, ...), for integrations
//! that know a person by something other than the phone. The phone itself changes with `updateContact`.

use entity::{contact, contact_identifier, enums::IdentifierKind};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    scope::find_visible,
    write::{conflict_or, identity_taken},
};
use crate::{
    audit,
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    validate,
};

fn check_kind(kind: IdentifierKind) -> ApiResult<()> {
    match kind {
        IdentifierKind::Phone => Err(ApiError::bad_input("kind", "Change the phone with updateContact")),
        IdentifierKind::External => Err(ApiError::bad_input("kind", "Set ids in other systems with setExternalId")),
        _ => Ok(()),
    }
}

/// `system:id` for an id in another system: the system name is folded to `[a-z0-9_-]`, so
/// `Chatwoot` and `chatwoot` are the same system.
pub fn external_value(system: &str, external_id: &str) -> ApiResult<(String, String)> {
    let system = system.trim().to_lowercase();
    if system.is_empty()
        || system.len() > 40
        || !system.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::bad_input("system", "A system name is 1–40 letters, digits, `_` or `-`"));
    }
    let external_id = validate::text("externalId", external_id, 150)?;
    Ok((format!("{system}:{external_id}"), system))
}

/// Sets the contact's id in `system`, replacing the one it had there; unique per system in the
/// organization (CONFLICT when another contact holds it, named only if visible). An empty id removes it.
pub async fn set_external(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    system: &str,
    external_id: &str,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let contact = find_visible(db, actor, contact_id).await?;
    let probe = if external_id.trim().is_empty() { "-" } else { external_id };
    let (_, system) = external_value(system, probe)?;
    contact_identifier::Entity::delete_many()
        .filter(contact_identifier::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_identifier::Column::ContactId.eq(contact.id))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::External))
        .filter(contact_identifier::Column::Value.starts_with(format!("{system}:")))
        .exec(db)
        .await?;
    if external_id.trim().is_empty() {
        return Ok(contact);
    }
    let (value, _) = external_value(&system, external_id)?;
    let kind = IdentifierKind::External;
    let inserted = contact_identifier::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        contact_id: Set(contact.id),
        kind: Set(kind),
        value: Set(value.clone()),
        channel_id: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await;
    if let Err(e) = inserted {
        return Err(conflict_or(
            e,
            "externalId",
            identity_taken(db, actor, kind, &value, Some(contact.id), "externalId"),
        )
        .await);
    }
    audit::record(
        db,
        actor,
        Some(contact.id),
        "contact.external_id_set",
        None,
        Some(serde_json::json!({ "value": value })),
    )
    .await?;
    Ok(contact)
}

/// The visible contact holding this id in `system`, if any.
pub async fn find_external(
    db: &impl ConnectionTrait,
    actor: &Actor,
    system: &str,
    external_id: &str,
) -> ApiResult<Option<contact::Model>> {
    let (value, _) = external_value(system, external_id)?;
    let holder = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::External))
        .filter(contact_identifier::Column::Value.eq(value))
        .one(db)
        .await?;
    let Some(holder) = holder else { return Ok(None) };
    match find_visible(db, actor, holder.contact_id).await {
        Ok(c) => Ok(Some(c)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
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
    let inserted = contact_identifier::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        contact_id: Set(contact.id),
        kind: Set(kind),
        value: Set(value.clone()),
        channel_id: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) => {
            return Err(
                conflict_or(e, "value", identity_taken(db, actor, kind, &value, Some(contact.id), "value")).await
            );
        }
    }
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
