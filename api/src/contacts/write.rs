//! Pieces shared by the contact writes: derived columns, the phone identity, and the assignment rule.

use entity::{
    contact, contact_identifier,
    enums::{IdentifierKind, UserRole},
    user,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    validate::fold,
    visibility::{ASSIGN_REFUSED, AssignRight, Visible},
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

/// CONFLICT on `field` when another contact (not `except`) holds this identity; names that contact only
/// if the actor can see it.
pub async fn identity_taken(
    db: &impl ConnectionTrait,
    actor: &Actor,
    kind: IdentifierKind,
    value: &str,
    except: Option<Uuid>,
    field: &str,
) -> ApiResult<()> {
    let holder = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_identifier::Column::Kind.eq(kind))
        .filter(contact_identifier::Column::Value.eq(value))
        .one(db)
        .await?;
    let Some(holder) = holder.filter(|h| Some(h.contact_id) != except) else { return Ok(()) };
    let seen = Visible::contact(actor, holder.contact_id).into_select().one(db).await?;
    Err(ApiError::Conflict {
        field: field.into(),
        message: "Another contact already has this identity".into(),
        existing_id: seen.map(|c| c.id),
    })
}

pub async fn phone_taken(db: &impl ConnectionTrait, actor: &Actor, phone: &str, except: Option<Uuid>) -> ApiResult<()> {
    identity_taken(db, actor, IdentifierKind::Phone, phone, except, "phone").await
}

/// The error for a failed write: a unique-key violation becomes the CONFLICT `check` finds (or a bare one
/// on `field`); anything else stays internal.
pub async fn conflict_or(err: sea_orm::DbErr, field: &str, check: impl Future<Output = ApiResult<()>>) -> ApiError {
    if !matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
        return err.into();
    }
    match check.await {
        Err(conflict) => conflict,
        Ok(()) => ApiError::conflict(field, "Another contact already has this identity"),
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
    if !AssignRight::of(actor).allows(current, next) {
        return Err(ApiError::Forbidden(ASSIGN_REFUSED.into()));
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
