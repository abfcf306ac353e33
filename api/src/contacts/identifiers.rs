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
    if kind == IdentifierKind::Phone {
        return Err(ApiError::bad_input("kind", "Change the phone with updateContact"));
    }
    Ok(())
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
