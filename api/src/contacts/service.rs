//! Creating, changing and deleting contacts, each in one transaction with its audit events.

use entity::{
    audit_event, consent, contact, contact_identifier, contact_property_value, contact_tag, conversation,
    enums::ContactSource, message, note, organization, reservation, verification,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::write::*;
use crate::{
    audit,
    auth::Actor,
    db::{begin_write, is_postgres, new_id, now},
    error::{ApiError, ApiResult},
    listings, pipeline, properties, tags, validate,
    values::{Email, Phone},
    visibility::{AssignRight, Visible, find_visible},
};

pub struct NewContact {
    pub name: String,
    /// Parsed where it entered; a malformed one is refused here, after the rights and the name, as always.
    pub phone: Option<ApiResult<Phone>>,
    pub email: Option<ApiResult<Email>>,
    pub source: Option<ContactSource>,
    pub source_listing_id: Option<Uuid>,
    /// `None`: not given (an agent's own contact); `Some(None)`: unassigned on purpose.
    pub assignee_id: Option<Option<Uuid>>,
    pub stage_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub properties: Vec<(String, Value)>,
}

/// A change to a contact: `None` leaves a field alone; `Some(None)` clears it.
#[derive(Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub phone: Option<Option<ApiResult<Phone>>>,
    pub email: Option<Option<ApiResult<Email>>>,
    pub source: Option<ContactSource>,
    pub source_listing_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub stage_id: Option<Uuid>,
    /// Replaces the contact's tags.
    pub tags: Option<Vec<String>>,
    pub properties: Vec<(String, Value)>,
}

pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    input: NewContact,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let org = actor.organization();
    let name = validate::name("name", &input.name)?;
    let phone = input.phone.transpose()?.map(String::from);
    let email = input.email.transpose()?.map(String::from);
    let stage = match input.stage_id {
        Some(id) => pipeline::service::find_active(db, org.id, id).await?,
        None => pipeline::service::first_stage(db, org.id).await?,
    };
    if let Some(id) = input.source_listing_id {
        listings::service::find(db, org.id, id, "sourceListingId").await?;
    }
    // An agent's new contact is theirs unless they leave it unassigned on purpose: unassigned, every
    // other agent would see it.
    let assignee = input.assignee_id.unwrap_or_else(|| match AssignRight::of(actor) {
        AssignRight::TakeOrRelease(me) => Some(me),
        _ => None,
    });
    check_assignment(db, actor, None, assignee).await?;
    let props = properties::service::resolve(db, org.id, input.properties).await?;

    let txn = begin_write(db).await?;
    ensure_capacity(&txn, org.id, 1).await?;
    if let Some(p) = &phone {
        phone_taken(&txn, actor, p, None).await?;
    }
    let inserted = NewRow {
        id: new_id(),
        organization_id: org.id,
        name,
        name_edited_manually: true,
        phone: phone.clone(),
        wa_id: None,
        email,
        stage_id: stage.id,
        source: input.source.unwrap_or(ContactSource::Manual),
        source_listing_id: input.source_listing_id,
        assignee_id: assignee,
        last_activity_at: now(),
    }
    .into_active_model()
    .insert(&txn)
    .await;
    let contact = match inserted {
        Ok(c) => c,
        Err(e) => {
            return Err(
                conflict_or(e, "phone", phone_taken(db, actor, phone.as_deref().unwrap_or_default(), None)).await
            );
        }
    };
    set_phone_identity(&txn, &contact, phone.as_deref()).await?;
    let tags = tags::service::ensure(&txn, org.id, &input.tags).await?;
    tags::service::link(&txn, &contact, &tags).await?;
    properties::service::write_values(&txn, org.id, contact.id, &props).await?;
    audit::record(&txn, actor, Some(contact.id), "contact.created", None, Some(snapshot(&contact))).await?;
    txn.commit().await?;
    Ok(contact)
}

pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    patch: ContactPatch,
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let org = actor.organization();
    let txn = begin_write(db).await?;
    let current = find_visible(&txn, actor, id).await?;
    let mut model: contact::ActiveModel = current.clone().into();
    let (mut before, mut after) = (json!({}), json!({}));
    // Recorded after the row is written, so the partner events they queue carry the contact as it ends up.
    let mut audits = Vec::new();
    let mut changed = |field: &str, old: Value, new: Value| {
        if old != new {
            before[field] = old;
            after[field] = new;
        }
    };

    let name = match patch.name {
        Some(raw) => validate::name("name", &raw)?,
        None => current.name.clone(),
    };
    if name != current.name {
        changed("name", json!(current.name), json!(name));
        model.name_edited_manually = Set(true);
    }
    let phone = match patch.phone {
        Some(next) => next.transpose()?.map(String::from),
        None => current.phone.clone(),
    };
    if phone != current.phone {
        if let Some(p) = &phone {
            phone_taken(&txn, actor, p, Some(current.id)).await?;
        }
        set_phone_identity(&txn, &current, phone.as_deref()).await?;
        changed("phone", json!(current.phone), json!(phone));
    }
    let email = match patch.email {
        Some(next) => next.transpose()?.map(String::from),
        None => current.email.clone(),
    };
    changed("email", json!(current.email), json!(email));
    if let Some(source) = patch.source {
        changed("source", json!(current.source), json!(source));
        model.source = Set(source);
    }
    if let Some(listing) = patch.source_listing_id {
        if let Some(lid) = listing {
            listings::service::find(&txn, org.id, lid, "sourceListingId").await?;
        }
        changed("sourceListingId", json!(current.source_listing_id), json!(listing));
        model.source_listing_id = Set(listing);
    }
    if let Some(assignee) = patch.assignee_id {
        check_assignment(&txn, actor, current.assignee_id, assignee).await?;
        changed("assigneeId", json!(current.assignee_id), json!(assignee));
        model.assignee_id = Set(assignee);
    }
    if let Some(stage_id) = patch.stage_id.filter(|s| *s != current.stage_id) {
        let stage = pipeline::service::find_active(&txn, org.id, stage_id).await?;
        let from = pipeline::service::find(&txn, org.id, current.stage_id).await?;
        let describe = |s: &entity::pipeline_stage::Model| json!({ "id": s.id, "name": s.name });
        let (from, to) = (from.as_ref().map(describe), describe(&stage));
        audits.push(audit::entry(actor, Some(current.id), "contact.stage_changed", from, Some(to)));
        model.stage_id = Set(stage.id);
    }
    if let Some(names) = patch.tags
        && let Some((removed, added)) = replace_tags(&txn, &current, &names).await?
    {
        audits.push(audit::entry(actor, Some(current.id), "contact.tags_changed", Some(removed), Some(added)));
    }
    if !patch.properties.is_empty() {
        let props = properties::service::resolve(&txn, org.id, patch.properties).await?;
        properties::service::write_values(&txn, org.id, current.id, &props).await?;
        after["properties"] =
            json!(props.iter().map(|(d, v)| (d.key.clone(), v.clone())).collect::<serde_json::Map<_, _>>());
    }

    model.search_text = Set(search_text(&name, email.as_deref(), phone.as_deref()));
    model.sort_name = Set(validate::fold(&name));
    model.name = Set(name);
    model.phone = Set(phone.clone());
    model.email = Set(email);
    model.updated_at = Set(now());
    let updated = match model.update(&txn).await {
        Ok(c) => c,
        Err(e) => {
            return Err(
                conflict_or(e, "phone", phone_taken(db, actor, phone.as_deref().unwrap_or_default(), None)).await
            );
        }
    };
    if after.as_object().is_some_and(|m| !m.is_empty()) {
        audits.push(audit::entry(actor, Some(updated.id), "contact.updated", Some(before), Some(after)));
    }
    audit::record_many(&txn, org.id, audits).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Gives the contact exactly these tags; answers what was removed and added when anything changed.
async fn replace_tags(
    txn: &impl ConnectionTrait,
    contact: &contact::Model,
    names: &[String],
) -> ApiResult<Option<(Value, Value)>> {
    let wanted = tags::service::ensure(txn, contact.organization_id, names).await?;
    let wanted_ids: Vec<Uuid> = wanted.iter().map(|t| t.id).collect();
    let current = entity::tag::Entity::find()
        .filter(entity::tag::Column::OrganizationId.eq(contact.organization_id))
        .filter(
            entity::tag::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(
                contact_tag::Entity::find()
                    .select_only()
                    .column(contact_tag::Column::TagId)
                    .filter(contact_tag::Column::OrganizationId.eq(contact.organization_id))
                    .filter(contact_tag::Column::ContactId.eq(contact.id)),
            )),
        )
        .all(txn)
        .await?;
    let stale: Vec<_> = current.into_iter().filter(|t| !wanted_ids.contains(&t.id)).collect();
    let removed = tags::service::unlink(txn, contact, &stale).await?;
    let added = tags::service::link(txn, contact, &wanted).await?;
    Ok((!added.is_empty() || !removed.is_empty()).then(|| (json!({ "removed": removed }), json!({ "added": added }))))
}

/// Deletes a contact and everything of theirs in one transaction (owners and admins). What remains is
/// a tombstone audit event with no personal data.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<contact::Model> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, id).await?;
    purge(&txn, &contact).await?;
    audit::record(&txn, actor, Some(contact.id), "contact.deleted", None, None).await?;
    txn.commit().await?;
    Ok(contact)
}

/// Removes a contact's rows from every table that hangs off it, then the contact.
pub async fn purge(txn: &impl ConnectionTrait, contact: &contact::Model) -> ApiResult<()> {
    purge_many(txn, contact.organization_id, &[contact.id]).await.map(|_| ())
}

/// The same for many contacts of one organization at once; returns how many contacts were deleted.
pub async fn purge_many(txn: &impl ConnectionTrait, org: Uuid, ids: &[Uuid]) -> ApiResult<u64> {
    macro_rules! wipe {
        ($($entity:ident),*) => {$(
            $entity::Entity::delete_many()
                .filter($entity::Column::OrganizationId.eq(org))
                .filter($entity::Column::ContactId.is_in(ids.to_vec()))
                .exec(txn)
                .await?;
        )*};
    }
    wipe!(
        contact_identifier,
        contact_tag,
        contact_property_value,
        note,
        message,
        conversation,
        verification,
        reservation,
        consent,
        audit_event
    );
    crate::segments::members::forget(txn, org, ids).await?;
    let deleted = contact::Entity::delete_many()
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(contact::Column::Id.is_in(ids.to_vec()))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected)
}

/// LIMIT_EXCEEDED when `adding` contacts would pass the plan's cap. On PostgreSQL the organization row
/// is locked first so two concurrent creations cannot both take the last place.
pub async fn ensure_capacity(txn: &impl ConnectionTrait, organization_id: Uuid, adding: i64) -> ApiResult<()> {
    let mut query = organization::Entity::find_by_id(organization_id);
    if is_postgres(txn) {
        query = query.lock_exclusive();
    }
    let org = query.one(txn).await?.ok_or_else(|| ApiError::not_found("Organization"))?;
    let Some(limit) = org.plan.contact_limit() else {
        return Ok(());
    };
    // The plan counts every contact of the organization, whoever may see them.
    let count = Visible::system(organization_id).into_select().count(txn).await? as i64;
    if count + adding > limit {
        return Err(ApiError::LimitExceeded(format!("The plan allows {limit} contacts; upgrade to add more")));
    }
    Ok(())
}

/// The audit record of a new contact: its fields, not its derived columns.
fn snapshot(c: &contact::Model) -> Value {
    json!({
        "name": c.name, "phone": c.phone, "email": c.email, "source": c.source,
        "stageId": c.stage_id, "assigneeId": c.assignee_id, "sourceListingId": c.source_listing_id,
    })
}
