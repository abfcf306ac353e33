//! Pieces shared by the contact writes: derived columns, the phone identity, and the assignment rule.

use entity::{
    contact, contact_identifier,
    enums::{IdentifierKind, UserRole},
    user,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::scope::visible;
use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    validate::fold,
};

/// What `search` matches: folded name, email, and the phone's digits.
pub fn search_text(name: &str, email: Option<&str>, phone: Option<&str>) -> String {
    let digits: String = phone.unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    [fold(name), email.unwrap_or_default().to_string(), digits]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// CONFLICT for a phone another contact already has; names that contact only if the actor can see it.
pub async fn phone_taken(db: &impl ConnectionTrait, actor: &Actor, phone: &str, except: Option<Uuid>) -> ApiResult<()> {
    let holder = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::Phone))
        .filter(contact_identifier::Column::Value.eq(phone))
        .one(db)
        .await?;
    match holder {
        Some(h) if Some(h.contact_id) != except => Err(phone_conflict(db, actor, h.contact_id).await),
        _ => Ok(()),
    }
}

pub async fn phone_conflict(db: &impl ConnectionTrait, actor: &Actor, holder: Uuid) -> ApiError {
    let seen = visible(actor).filter(contact::Column::Id.eq(holder)).one(db).await.ok().flatten();
    ApiError::Conflict {
        field: "phone".into(),
        message: "A contact with this phone number already exists".into(),
        existing_id: seen.map(|c| c.id),
    }
}

/// Replaces the contact's PHONE identity with `phone` (or removes it).
pub async fn set_phone_identity(
    db: &impl ConnectionTrait,
    contact: &contact::Model,
    phone: Option<&str>,
) -> ApiResult<()> {
    contact_identifier::Entity::delete_many()
        .filter(contact_identifier::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_identifier::Column::ContactId.eq(contact.id))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::Phone))
        .exec(db)
        .await?;
    if let Some(phone) = phone {
        contact_identifier::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(contact.organization_id),
            contact_id: Set(contact.id),
            kind: Set(IdentifierKind::Phone),
            value: Set(phone.to_string()),
            channel_id: Set(None),
            created_at: Set(now()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The permission table's assignment rule: admins assign anyone; agents take an unassigned contact
/// or release their own; the new assignee must be an active non-viewer member.
pub async fn check_assignment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    current: Option<Uuid>,
    next: Option<Uuid>,
) -> ApiResult<()> {
    if current == next {
        return Ok(());
    }
    if !actor.is_admin() {
        let me = actor.user_id();
        let allowed = (current.is_none() && next == me) || (current == me && next.is_none());
        if actor.role() != UserRole::Agent || !allowed {
            return Err(ApiError::Forbidden("Agents can only take unassigned contacts or release their own".into()));
        }
    }
    if let Some(id) = next {
        let assignee = user::Entity::find_by_id(id)
            .filter(user::Column::OrganizationId.eq(actor.organization_id()))
            .filter(user::Column::Active.eq(true))
            .one(db)
            .await?;
        if assignee.is_none_or(|u| u.role == UserRole::Viewer) {
            return Err(ApiError::bad_input(
                "assigneeId",
                "Assign to an active agent, admin or owner of this organization",
            ));
        }
    }
    Ok(())
}
