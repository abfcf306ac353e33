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

/// What a new contact starts with, however it arrives (typed in, imported, or from a first message).
pub struct NewRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// Typed or imported by a person: later WhatsApp profile names leave it alone.
    pub name_edited_manually: bool,
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub email: Option<String>,
    pub stage_id: Uuid,
    pub source: entity::enums::ContactSource,
    pub source_listing_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub last_activity_at: chrono::DateTime<chrono::Utc>,
}

impl NewRow {
    /// The row with its derived columns (search text, sort name) and zeroed statistics.
    pub fn into_active_model(self) -> contact::ActiveModel {
        let at = now();
        contact::ActiveModel {
            id: Set(self.id),
            organization_id: Set(self.organization_id),
            search_text: Set(search_text(&self.name, self.email.as_deref(), self.phone.as_deref())),
            sort_name: Set(fold(&self.name)),
            name: Set(self.name),
            name_edited_manually: Set(self.name_edited_manually),
            phone: Set(self.phone),
            wa_id: Set(self.wa_id),
            email: Set(self.email),
            stage_id: Set(self.stage_id),
            source: Set(self.source),
            source_listing_id: Set(self.source_listing_id),
            assignee_id: Set(self.assignee_id),
            user_initiated_conversations: Set(0),
            business_initiated_conversations: Set(0),
            cancelled_outbounds: Set(0),
            received_notifications: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            last_activity_at: Set(self.last_activity_at),
            last_inbound_at: Set(None),
        }
    }
}
