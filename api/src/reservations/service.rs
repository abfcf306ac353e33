//! Reservation rules: adding one to a contact the actor can see, and following its payment.

use chrono::{DateTime, Utc};
use entity::reservation;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    visibility::find_visible,
};

pub const PAYMENT_STATUSES: [&str; 4] = ["PENDING", "PAID", "REFUNDED", "CANCELLED"];

pub struct NewReservation {
    pub listing_id: Option<Uuid>,
    pub unit: Option<String>,
    pub reserved_at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: String,
    pub payment_status: String,
    pub payment_reference: Option<String>,
}

fn check(payment_status: &str, currency: Option<&str>, amount_minor: Option<i64>) -> ApiResult<()> {
    if !PAYMENT_STATUSES.contains(&payment_status) {
        return Err(ApiError::bad_input("paymentStatus", "Unknown payment status"));
    }
    // Upper case as ISO 4217 writes it, and a currency that exists (`iso_currency`'s list).
    let known = |c: &str| c.chars().all(|ch| ch.is_ascii_uppercase()) && iso_currency::Currency::from_code(c).is_some();
    if currency.is_some_and(|c| !known(c)) {
        return Err(ApiError::bad_input("currency", "Currency is an ISO 4217 code such as USD or CRC"));
    }
    if amount_minor.is_some_and(|a| a < 0) {
        return Err(ApiError::bad_input("amountMinor", "The amount cannot be negative"));
    }
    Ok(())
}

/// Adds a reservation to a contact the actor can see and write.
pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    contact_id: Uuid,
    r: NewReservation,
) -> ApiResult<reservation::Model> {
    actor.require_writer()?;
    check(&r.payment_status, Some(&r.currency), Some(r.amount_minor))?;
    if r.listing_id.is_none() && r.unit.as_deref().is_none_or(|u| u.trim().is_empty()) {
        return Err(ApiError::bad_input("unit", "Name the listing or the unit reserved"));
    }
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    if let Some(listing_id) = r.listing_id {
        crate::listings::service::find(&txn, actor.organization_id(), listing_id, "listingId").await?;
    }
    let at = now();
    let row = reservation::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        contact_id: Set(contact.id),
        listing_id: Set(r.listing_id),
        unit: Set(r.unit),
        reserved_at: Set(r.reserved_at),
        amount_minor: Set(r.amount_minor),
        currency: Set(r.currency),
        payment_status: Set(r.payment_status),
        payment_reference: Set(r.payment_reference),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, Some(contact.id), "contact.reservation_added", None, Some(json!({ "id": row.id })))
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a reservation's payment state; the reservation's contact must be visible to the actor.
pub async fn set_payment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    payment_status: String,
    payment_reference: Option<String>,
) -> ApiResult<reservation::Model> {
    actor.require_writer()?;
    check(&payment_status, None, None)?;
    let row = reservation::Entity::find_by_id(id)
        .filter(reservation::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Reservation"))?;
    // A reservation of a contact out of sight is absent, like the contact.
    find_visible(db, actor, row.contact_id).await.map_err(|_| ApiError::not_found("Reservation"))?;
    let before = json!({ "paymentStatus": row.payment_status });
    let mut model: reservation::ActiveModel = row.into();
    model.payment_status = Set(payment_status);
    if payment_reference.is_some() {
        model.payment_reference = Set(payment_reference);
    }
    model.updated_at = Set(now());
    let row = model.update(db).await?;
    let after = json!({ "paymentStatus": row.payment_status });
    audit::record(db, actor, Some(row.contact_id), "contact.reservation_changed", Some(before), Some(after)).await?;
    Ok(row)
}
