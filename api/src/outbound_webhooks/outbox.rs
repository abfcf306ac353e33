//! Writing events: one delivery row per subscribed endpoint, in the caller's transaction, carrying the
//! contact as it is at that point of the transaction. An organization without endpoints pays one indexed
//! read of a tiny table per change.

use std::collections::HashMap;

use entity::{
    contact, contact_identifier,
    enums::{DeliveryState, IdentifierKind},
    pipeline_stage, webhook_delivery, webhook_endpoint,
};
use sea_orm::{ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::EventType;
use crate::{
    db::{new_id, now},
    error::ApiResult,
    visibility::Visible,
};

/// One change to report about one contact.
pub struct Change {
    pub contact_id: Uuid,
    pub event: EventType,
    /// What changed, as the payload's `detail`.
    pub detail: Value,
}

impl Change {
    /// The change an audit entry describes, if partners hear about that kind.
    pub fn audited(contact_id: Uuid, kind: &str, before: Option<&Value>, after: Option<&Value>) -> Option<Self> {
        let event = EventType::from_audit(kind)?;
        Some(Self { contact_id, event, detail: json!({ "change": kind, "before": before, "after": after }) })
    }
}

/// Queues `changes` for every active endpoint of `org` subscribed to them.
pub async fn enqueue(db: &impl ConnectionTrait, org: Uuid, changes: Vec<Change>) -> ApiResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let endpoints = active_endpoints(db, org).await?;
    let subscribers = |event: EventType| endpoints.iter().filter(move |e| hears(e, event));
    let changes: Vec<Change> = changes.into_iter().filter(|c| subscribers(c.event).next().is_some()).collect();
    if changes.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = changes.iter().map(|c| c.contact_id).collect();
    let contacts = snapshots(db, org, &ids).await?;
    let at = now();
    let mut rows = Vec::new();
    for change in changes {
        let event_id = new_id();
        let body = json!({
            "id": event_id,
            "type": change.event.name(),
            "occurredAt": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "organizationId": org,
            "contactId": change.contact_id,
            "contact": contacts.get(&change.contact_id),
            "detail": change.detail,
        })
        .to_string();
        for endpoint in subscribers(change.event) {
            rows.push(pending(org, endpoint.id, (event_id, change.event), change.contact_id, &body, at));
        }
    }
    for chunk in rows.chunks(500) {
        webhook_delivery::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

async fn active_endpoints(db: &impl ConnectionTrait, org: Uuid) -> ApiResult<Vec<webhook_endpoint::Model>> {
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(org))
        .filter(webhook_endpoint::Column::Active.eq(true))
        .all(db)
        .await?)
}

/// Whether `endpoint` hears of `event`: subscribed to it, or to a single event it stands for.
fn hears(endpoint: &webhook_endpoint::Model, event: EventType) -> bool {
    let names = endpoint.events.as_array().map(Vec::as_slice).unwrap_or_default();
    names.iter().filter_map(|n| n.as_str().and_then(EventType::from_name)).any(|s| event.reaches(s))
}

/// A delivery of one event to one endpoint, due now.
fn pending(
    org: Uuid,
    endpoint_id: Uuid,
    (event_id, event): (Uuid, EventType),
    contact_id: Uuid,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org),
        endpoint_id: Set(endpoint_id),
        event_id: Set(event_id),
        event_type: Set(event.name().into()),
        contact_id: Set(contact_id),
        body: Set(body.to_string()),
        state: Set(DeliveryState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(at),
        last_attempt_at: Set(None),
        response_status: Set(None),
        error: Set(None),
        log: Set(json!([])),
        delivered_at: Set(None),
        created_at: Set(at),
        traceparent: Set(crate::telemetry::traceparent()),
    }
}

/// Contacts in one bulk event: a 200-contact change is one delivery per endpoint, not 200, and a body of
/// snapshots stays under about 100 KB, which receivers' default body limits take.
pub const BULK_EVENT_CONTACTS: usize = 200;

/// Queues the events of one batch of a bulk action, `BULK_EVENT_CONTACTS` contacts each: their ids, their
/// snapshots (none for deletions) and what the action did (`detail`). Their deliveries carry the nil
/// contact id, which the sender treats as a barrier: every event of the endpoint stays in order around them.
pub async fn enqueue_bulk(
    db: &impl ConnectionTrait,
    org: Uuid,
    event: EventType,
    ids: &[Uuid],
    detail: Value,
) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<_> = active_endpoints(db, org).await?.into_iter().filter(|e| hears(e, event)).collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let at = now();
    for chunk in ids.chunks(BULK_EVENT_CONTACTS) {
        let contacts = if event == EventType::ContactsBulkDeleted {
            Value::Null
        } else {
            let snapshots = snapshots(db, org, chunk).await?;
            Value::from(chunk.iter().filter_map(|id| snapshots.get(id).cloned()).collect::<Vec<_>>())
        };
        let event_id = new_id();
        let body = json!({
            "id": event_id,
            "type": event.name(),
            "occurredAt": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "organizationId": org,
            "contactIds": chunk,
            "contacts": contacts,
            "detail": detail,
        })
        .to_string();
        let rows = endpoints.iter().map(|e| pending(org, e.id, (event_id, event), Uuid::nil(), &body, at));
        webhook_delivery::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The contacts as partners see them: profile, stage, tags and ids in other systems. A deleted contact
/// has none.
async fn snapshots(db: &impl ConnectionTrait, org: Uuid, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Value>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut contacts = Vec::new();
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    let mut external: HashMap<Uuid, serde_json::Map<String, Value>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        // Partner events describe every change of the organization, whoever may see the contact.
        let scope = Visible::system(org);
        contacts.extend(scope.clone().filter(contact::Column::Id.is_in(chunk.to_vec())).into_select().all(db).await?);
        for (id, list) in crate::tags::read::of_contacts(db, &scope, chunk).await? {
            tags.insert(id, list.into_iter().map(|t| t.name).collect());
        }
        let identifiers = contact_identifier::Entity::find()
            .filter(contact_identifier::Column::OrganizationId.eq(org))
            .filter(contact_identifier::Column::ContactId.is_in(chunk.to_vec()))
            .filter(contact_identifier::Column::Kind.eq(IdentifierKind::External))
            .all(db)
            .await?;
        for i in identifiers {
            if let Some((system, id)) = i.value.split_once(':') {
                external.entry(i.contact_id).or_default().insert(system.into(), id.into());
            }
        }
    }
    let stages: HashMap<Uuid, pipeline_stage::Model> = pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::OrganizationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(contacts
        .into_iter()
        .map(|c| {
            let stage = stages.get(&c.stage_id);
            let value = json!({
                "id": c.id,
                "name": c.name,
                "phone": c.phone,
                "waId": c.wa_id,
                "email": c.email,
                "stage": { "id": c.stage_id, "name": stage.map(|s| &s.name), "kind": stage.map(|s| s.kind.to_value()) },
                "assigneeId": c.assignee_id,
                "source": c.source.to_value(),
                "sourceListingId": c.source_listing_id,
                "tags": tags.remove(&c.id).unwrap_or_default(),
                "externalIds": external.remove(&c.id).unwrap_or_default(),
                "createdAt": c.created_at,
                "updatedAt": c.updated_at,
                "lastActivityAt": c.last_activity_at,
            });
            (c.id, value)
        })
        .collect())
}
