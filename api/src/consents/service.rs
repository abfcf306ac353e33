//! Consent rules: setting a contact's consent on a channel, audited.

use chrono::{DateTime, Utc};
use entity::consent;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    validate,
    visibility::find_visible,
};

pub const STATUSES: [&str; 2] = ["OPTED_IN", "OPTED_OUT"];

/// Records the contact's consent on a channel, replacing the previous one.
pub async fn set(
    db: &DatabaseConnection,
    actor: &Actor,
    contact_id: Uuid,
    channel_id: Uuid,
    status: &str,
    method: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<consent::Model> {
    actor.require_writer()?;
    if !STATUSES.contains(&status) {
        return Err(ApiError::bad_input("status", "Consent is OPTED_IN or OPTED_OUT"));
    }
    let method = validate::text("method", method, 80)?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    let org = actor.organization_id();
    crate::channels::service::find(&txn, org, channel_id, "channelId").await?;
    let existing = consent::Entity::find()
        .filter(consent::Column::OrganizationId.eq(org))
        .filter(consent::Column::ContactId.eq(contact.id))
        .filter(consent::Column::ChannelId.eq(channel_id))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|c| json!({ "status": c.status, "method": c.method }));
    let at_now = now();
    let row = match existing {
        Some(row) => {
            let mut model: consent::ActiveModel = row.into();
            model.status = Set(status.into());
            model.method = Set(method);
            model.recorded_at = Set(at.unwrap_or(at_now));
            model.recorded_by = Set(actor.user_id());
            model.updated_at = Set(at_now);
            model.update(&txn).await?
        }
        None => {
            consent::ActiveModel {
                id: Set(new_id()),
                organization_id: Set(org),
                contact_id: Set(contact.id),
                channel_id: Set(channel_id),
                status: Set(status.into()),
                method: Set(method),
                recorded_at: Set(at.unwrap_or(at_now)),
                recorded_by: Set(actor.user_id()),
                updated_at: Set(at_now),
            }
            .insert(&txn)
            .await?
        }
    };
    let after = json!({ "channelId": channel_id, "status": row.status, "method": row.method });
    audit::record(&txn, actor, Some(contact.id), "contact.consent_changed", before, Some(after)).await?;
    txn.commit().await?;
    Ok(row)
}

/// Records a consent the channel reports as of `at`, unless a newer one is recorded already (webhooks may
/// arrive out of order). True when it was recorded.
pub async fn record_newer(
    db: &DatabaseConnection,
    actor: &Actor,
    contact_id: Uuid,
    channel_id: Uuid,
    status: &str,
    method: &str,
    at: DateTime<Utc>,
) -> ApiResult<bool> {
    let current = consent::Entity::find()
        .filter(consent::Column::OrganizationId.eq(actor.organization_id()))
        .filter(consent::Column::ContactId.eq(contact_id))
        .filter(consent::Column::ChannelId.eq(channel_id))
        .one(db)
        .await?;
    if current.is_some_and(|c| c.recorded_at > at || (c.recorded_at == at && c.status == status)) {
        return Ok(false);
    }
    set(db, actor, contact_id, channel_id, status, method, Some(at)).await?;
    Ok(true)
}
