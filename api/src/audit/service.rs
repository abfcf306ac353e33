use entity::audit_event;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::ApiResult,
    outbound_webhooks::{self, outbox::Change},
    pagination::{Fetched, KeyValue, Page, PageArgs},
    visibility::{can_see_contact, find_visible},
};

/// One event by `actor`, to write with `record_many`.
/// A contact an inbound message created while the organization was over its plan's contact limit.
pub const OVER_PLAN_LIMIT: &str = "contact.created_over_plan_limit";

pub fn entry(
    actor: &Actor,
    contact_id: Option<Uuid>,
    kind: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        contact_id: Set(contact_id),
        actor_user_id: Set(actor.user_id()),
        actor_kind: Set(actor.kind().into()),
        kind: Set(kind.into()),
        before: Set(before),
        after: Set(after),
        created_at: Set(now()),
    }
}

/// Writes one event, in the caller's transaction when it has one, and queues the partner event it is
/// (see `webhooks`), so every audited contact change reaches subscribed endpoints.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Option<Uuid>,
    kind: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> ApiResult<()> {
    record_many(db, actor.organization_id(), vec![entry(actor, contact_id, kind, before, after)]).await
}

/// Writes events of one organization in as few statements as it can, with their partner events (one
/// endpoint read and one snapshot read for all of them).
pub async fn record_many(db: &impl ConnectionTrait, org: Uuid, events: Vec<audit_event::ActiveModel>) -> ApiResult<()> {
    let changes = events
        .iter()
        .filter_map(|e| match (&e.contact_id, &e.kind, &e.before, &e.after) {
            (Set(Some(id)), Set(kind), Set(before), Set(after)) => {
                Change::audited(*id, kind, before.as_ref(), after.as_ref())
            }
            _ => None,
        })
        .collect();
    outbound_webhooks::outbox::enqueue(db, org, changes).await?;
    record_many_unannounced(db, events).await
}

/// Writes audit events without partner events, for a caller that announces the change itself (a bulk action
/// sends one event per 200 contacts).
pub async fn record_many_unannounced(
    db: &impl ConnectionTrait,
    events: Vec<audit_event::ActiveModel>,
) -> ApiResult<()> {
    // Every audited contact change passes here: the segments it may move those contacts in or out of are
    // brought up to date in the same transaction.
    let touched: Vec<(Uuid, Uuid)> = events
        .iter()
        .filter_map(|e| match (&e.organization_id, &e.contact_id) {
            (Set(org), Set(Some(id))) => Some((*org, *id)),
            _ => None,
        })
        .collect();
    for chunk in events.chunks(3000) {
        audit_event::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    if let Some(&(org, _)) = touched.first() {
        let ids: Vec<Uuid> = touched.iter().filter(|(o, _)| *o == org).map(|(_, id)| *id).collect();
        crate::segments::members::refresh(db, org, &ids).await?;
    }
    Ok(())
}

pub struct AuditQuery {
    pub contact_id: Option<Uuid>,
    /// Only events by this user.
    pub actor_id: Option<Uuid>,
    /// Only these kinds (`contact.stage_changed`, ...).
    pub kinds: Option<Vec<String>>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub page: PageArgs,
    pub want_total: bool,
}

/// Events newest first: of one contact the actor can see, or of the whole organization (admins).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor, q: AuditQuery) -> ApiResult<Fetched<audit_event::Model>> {
    let mut query = audit_event::Entity::find().filter(audit_event::Column::OrganizationId.eq(actor.organization_id()));
    match q.contact_id {
        // The contact's visibility is checked in the statement that reads its events.
        Some(id) => query = query.filter(audit_event::Column::ContactId.eq(id)).filter(can_see_contact(actor, id)),
        None => actor.require_admin()?,
    }
    if let Some(id) = q.actor_id {
        query = query.filter(audit_event::Column::ActorUserId.eq(id));
    }
    if let Some(kinds) = q.kinds {
        query = query.filter(audit_event::Column::Kind.is_in(kinds.into_iter().take(50)));
    }
    if let Some(from) = q.from {
        query = query.filter(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(to) = q.to {
        query = query.filter(audit_event::Column::CreatedAt.lte(to));
    }
    let page: Page = match q.page.resolve("audit", actor.organization_id()) {
        Ok(page) => page,
        Err(err) => {
            // A contact out of sight answers NOT_FOUND whatever its page arguments, as before.
            if let Some(id) = q.contact_id {
                find_visible(db, actor, id).await?;
            }
            return Err(err);
        }
    };
    let found = page
        .fetch(db, query, audit_event::Column::CreatedAt, audit_event::Column::Id, true, q.want_total, |e| {
            (KeyValue::Time(e.created_at), e.id)
        })
        .await?;
    // Nothing read: say NOT_FOUND when that is because the contact is out of sight or gone.
    if let (Some(id), true) = (q.contact_id, found.items.is_empty()) {
        find_visible(db, actor, id).await?;
    }
    Ok(found)
}
