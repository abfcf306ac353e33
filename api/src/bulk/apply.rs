//! Applying a patch or a deletion to one batch of contact ids, set-based, with an audit event per contact
//! and partner events per 200 contacts.

use entity::{audit_event, contact, contact_tag, tag};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::now,
    error::{ApiError, ApiResult},
    outbound_webhooks::{EventType, outbox},
    pipeline, tags,
    visibility::{ASSIGN_REFUSED, AssignRight, Visible},
};

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Patch {
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub stage_id: Option<Uuid>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<Uuid>>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.add_tags.is_empty() && self.remove_tags.is_empty() && self.stage_id.is_none() && self.assignee.is_none()
    }

    /// Checks the patch against the organization and the actor's rights before anything is touched.
    pub async fn check(&self, db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<()> {
        if self.is_empty() {
            return Err(ApiError::bad_input("patch", "The patch changes nothing"));
        }
        for name in self.add_tags.iter().chain(&self.remove_tags) {
            tags::service::normalize(name)?;
        }
        if let Some(stage) = self.stage_id {
            pipeline::service::find_active(db, actor.organization_id(), stage).await?;
        }
        let Some(next) = self.assignee else { return Ok(()) };
        let right = AssignRight::of(actor);
        if !right.may_assign_to(next) {
            return Err(ApiError::Forbidden(ASSIGN_REFUSED.into()));
        }
        match right {
            // The new assignee must still be an active member who may own contacts.
            AssignRight::Anyone if next.is_some() => {
                crate::contacts::write::check_assignment(db, actor, None, next).await
            }
            _ => Ok(()),
        }
    }

    /// The contacts the move may touch: agents only take unassigned ones or release their own.
    pub fn narrow(&self, actor: &Actor, query: Visible) -> Visible {
        match self.assignee.and_then(|next| AssignRight::of(actor).movable_to(next)) {
            Some(condition) => query.filter(condition),
            None => query,
        }
    }
}

/// Applies the patch to these contacts (already selected and visible); returns how many were updated.
pub async fn update(txn: &impl ConnectionTrait, actor: &Actor, ids: &[Uuid], patch: &Patch) -> ApiResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let org = actor.organization_id();
    let at = now();
    if !patch.add_tags.is_empty() {
        let wanted = tags::service::ensure(txn, org, &patch.add_tags).await?;
        let links: Vec<contact_tag::ActiveModel> = ids
            .iter()
            .flat_map(|id| wanted.iter().map(move |t| (id, t.id)))
            .map(|(id, tag_id)| contact_tag::ActiveModel {
                organization_id: sea_orm::ActiveValue::Set(org),
                contact_id: sea_orm::ActiveValue::Set(*id),
                tag_id: sea_orm::ActiveValue::Set(tag_id),
                created_at: sea_orm::ActiveValue::Set(at),
            })
            .collect();
        for chunk in links.chunks(5000) {
            contact_tag::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([
                    contact_tag::Column::OrganizationId,
                    contact_tag::Column::ContactId,
                    contact_tag::Column::TagId,
                ])
                .exec_without_returning(txn)
                .await?;
        }
    }
    if !patch.remove_tags.is_empty() {
        let keys: Vec<String> =
            patch.remove_tags.iter().filter_map(|n| tags::service::normalize(n).ok().map(|(_, k)| k)).collect();
        let gone: Vec<Uuid> = tag::Entity::find()
            .filter(tag::Column::OrganizationId.eq(org))
            .filter(tag::Column::NameKey.is_in(keys))
            .all(txn)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        contact_tag::Entity::delete_many()
            .filter(contact_tag::Column::OrganizationId.eq(org))
            .filter(contact_tag::Column::ContactId.is_in(ids.to_vec()))
            .filter(contact_tag::Column::TagId.is_in(gone))
            .exec(txn)
            .await?;
    }
    let mut update = contact::Entity::update_many().col_expr(contact::Column::UpdatedAt, Expr::value(at));
    if let Some(stage) = patch.stage_id {
        update = update.col_expr(contact::Column::StageId, Expr::value(stage));
    }
    if let Some(assignee) = patch.assignee {
        update = update.col_expr(contact::Column::AssigneeId, Expr::value(assignee));
    }
    let stage_moves: Vec<(Uuid, Uuid)> = match patch.stage_id {
        Some(stage) => {
            // The batch was selected through the actor's sight; its update below and this read of the
            // stages it leaves cover the same rows, even one reassigned since.
            Visible::system(org)
                .filter(contact::Column::Id.is_in(ids.to_vec()))
                .filter(contact::Column::StageId.ne(stage))
                .into_select()
                .select_only()
                .column(contact::Column::Id)
                .column(contact::Column::StageId)
                .into_tuple()
                .all(txn)
                .await?
        }
        None => Vec::new(),
    };
    // Tags live in their own table: a tags-only patch leaves the contact rows (and their indexes) alone.
    let updated = if patch.stage_id.is_none() && patch.assignee.is_none() {
        ids.len() as u64
    } else {
        update
            .filter(contact::Column::OrganizationId.eq(org))
            .filter(contact::Column::Id.is_in(ids.to_vec()))
            .exec(txn)
            .await?
            .rows_affected
    };
    let summary = serde_json::json!({
        "addTags": patch.add_tags, "removeTags": patch.remove_tags, "statusId": patch.stage_id, "assigneeId": patch.assignee,
    });
    let mut events: Vec<audit_event::ActiveModel> = ids
        .iter()
        .map(|id| crate::audit::entry(actor, Some(*id), "contact.bulk_updated", None, Some(summary.clone())))
        .collect();
    events.extend(stage_moves.into_iter().map(|(id, from)| {
        let to = patch.stage_id.map(|s| serde_json::json!({ "id": s }));
        crate::audit::entry(actor, Some(id), "contact.stage_changed", Some(serde_json::json!({ "id": from })), to)
    }));
    // Partners hear of the batch as bulk events, 200 contacts each, not one event per contact.
    crate::audit::record_many_unannounced(txn, events).await?;
    let detail = serde_json::json!({ "change": "contact.bulk_updated", "patch": summary });
    outbox::enqueue_bulk(txn, org, EventType::ContactsBulkUpdated, ids, detail).await?;
    Ok(updated)
}

/// Deletes these contacts and everything of theirs, leaving a tombstone each. Answers how many went, and
/// who each was assigned to (live events show a deletion only to those who saw the contact).
pub async fn delete(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> ApiResult<(u64, Vec<(Uuid, Option<Uuid>)>)> {
    if ids.is_empty() {
        return Ok((0, Vec::new()));
    }
    let org = actor.organization_id();
    let owners: Vec<(Uuid, Option<Uuid>)> = Visible::contacts(actor)
        .filter(contact::Column::Id.is_in(ids.to_vec()))
        .into_select()
        .select_only()
        .column(contact::Column::Id)
        .column(contact::Column::AssigneeId)
        .into_tuple()
        .all(txn)
        .await?;
    let deleted = crate::contacts::service::purge_many(txn, org, ids).await?;
    let tombstones: Vec<_> =
        ids.iter().map(|id| crate::audit::entry(actor, Some(*id), "contact.deleted", None, None)).collect();
    crate::audit::record_many_unannounced(txn, tombstones).await?;
    let detail = serde_json::json!({ "change": "contact.bulk_deleted" });
    outbox::enqueue_bulk(txn, org, EventType::ContactsBulkDeleted, ids, detail).await?;
    Ok((deleted, owners))
}
