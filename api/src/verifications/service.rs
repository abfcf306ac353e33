//! Verification rules: who may set a contact's verification, and a partner's result applied once.

use chrono::{DateTime, Utc};
use entity::verification;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    values::CountryCode,
    visibility::find_visible,
};

pub const STATUSES: [&str; 3] = ["PENDING", "APPROVED", "DECLINED"];

pub struct VerificationInput {
    pub status: String,
    pub link: Option<String>,
    pub document_type: Option<String>,
    pub issuing_country: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The partner's id for this result.
    pub external_id: Option<String>,
}

/// Creates or replaces the contact's verification. Unknown or hidden contacts are NOT_FOUND and
/// nothing is written.
pub async fn set(
    db: &DatabaseConnection,
    actor: &Actor,
    contact_id: Uuid,
    input: VerificationInput,
) -> ApiResult<verification::Model> {
    actor.require_writer()?;
    if !STATUSES.contains(&input.status.as_str()) {
        return Err(ApiError::bad_input("status", "Status is PENDING, APPROVED or DECLINED"));
    }
    let issuing_country = input
        .issuing_country
        .as_deref()
        .map(|c| CountryCode::parse("issuingCountry", c).map(String::from))
        .transpose()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    let existing = verification::Entity::find()
        .filter(verification::Column::OrganizationId.eq(actor.organization_id()))
        .filter(verification::Column::ContactId.eq(contact.id))
        .one(&txn)
        .await?;
    if let Some(row) = &existing {
        let same_result =
            input.external_id.is_some() && row.external_id == input.external_id && row.status == input.status;
        if same_result {
            return Ok(row.clone());
        }
    }
    let at = now();
    let before = existing.as_ref().map(|r| json!({ "status": r.status }));
    let existed = existing.is_some();
    let mut model = match existing {
        Some(row) => row.into(),
        None => verification::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(actor.organization_id()),
            contact_id: Set(contact.id),
            created_at: Set(at),
            ..Default::default()
        },
    };
    model.status = Set(input.status.clone());
    model.link = Set(input.link);
    model.document_type = Set(input.document_type);
    model.issuing_country = Set(issuing_country);
    model.external_id = Set(input.external_id);
    model.verified_at = Set(input.verified_at.or((input.status == "APPROVED").then_some(at)));
    model.updated_at = Set(at);
    let row = if existed { model.update(&txn).await? } else { model.insert(&txn).await? };
    audit::record(
        &txn,
        actor,
        Some(contact.id),
        "contact.verification_changed",
        before,
        Some(json!({ "status": row.status })),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
