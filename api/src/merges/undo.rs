//! `undoMerge`: the duplicates come back with their own rows, and the primary as it was before. What
//! happened to the primary after the merge (new messages, notes) stays with the primary.

use std::collections::HashMap;

use entity::{
    audit_event, contact, contact_identifier, contact_property_value as value, contact_tag, conversation, merge,
    message, note, reservation, verification,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::record::{MergeRecord, Moved, fresh};
use crate::{
    audit,
    auth::Actor,
    db::{begin_write, now},
    error::{ApiError, ApiResult},
    outbound_webhooks::{self, EventType, outbox::Change},
    visibility::Visible,
};

/// Returns the primary as restored and the duplicates brought back.
pub async fn undo(
    db: &DatabaseConnection,
    actor: &Actor,
    merge_id: Uuid,
) -> ApiResult<(contact::Model, Vec<contact::Model>)> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let found = merge::Entity::find_by_id(merge_id)
        .filter(merge::Column::OrganizationId.eq(actor.organization_id()))
        .filter(merge::Column::UndoneAt.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("Merge"))?;
    let rec: MergeRecord = serde_json::from_value(found.record.clone()).map_err(ApiError::internal)?;
    let org = actor.organization_id();
    let before = rec.primary_before.clone().ok_or_else(|| ApiError::internal("merge without primary"))?;
    if Visible::contact(actor, before.id).into_select().one(&txn).await?.is_none() {
        return Err(ApiError::bad_input("mergeId", "The merged contact has been deleted since"));
    }

    let mut primary: contact::ActiveModel = fresh(before.clone());
    primary.updated_at = Set(now());
    let primary = primary.update(&txn).await?;
    for dup in &rec.duplicates {
        fresh::<contact::ActiveModel>(dup.clone()).insert(&txn).await?;
    }
    macro_rules! give_back {
        ($entity:ident, $list:expr) => {
            for (from, ids) in by_owner(&$list) {
                $entity::Entity::update_many()
                    .col_expr($entity::Column::ContactId, Expr::value(from))
                    .filter($entity::Column::OrganizationId.eq(org))
                    .filter($entity::Column::Id.is_in(ids))
                    .exec(&txn)
                    .await?;
            }
        };
    }
    give_back!(conversation, rec.conversations);
    give_back!(contact_identifier, rec.identifiers);
    give_back!(message, rec.messages);
    give_back!(note, rec.notes);
    give_back!(audit_event, rec.audit_events);
    give_back!(reservation, rec.reservations);
    give_back!(verification, rec.verifications);
    for f in &rec.folded {
        fresh::<conversation::ActiveModel>(f.conversation.clone()).insert(&txn).await?;
        message::Entity::update_many()
            .col_expr(message::Column::ConversationId, Expr::value(f.conversation.id))
            .filter(message::Column::OrganizationId.eq(org))
            .filter(message::Column::Id.is_in(f.messages.clone()))
            .exec(&txn)
            .await?;
    }
    super::consents::undo(&txn, &rec).await?;
    for v in &rec.dropped_verifications {
        fresh::<verification::ActiveModel>(v.clone()).insert(&txn).await?;
    }
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::ContactId.eq(before.id))
        .filter(contact_tag::Column::TagId.is_in(rec.added_tags.clone()))
        .exec(&txn)
        .await?;
    let links: Vec<contact_tag::ActiveModel> = rec.duplicate_tags.iter().cloned().map(fresh).collect();
    contact_tag::Entity::insert_many(links).exec_without_returning(&txn).await?;
    // A property deleted since the merge takes its values with it.
    let defined: std::collections::HashSet<Uuid> = entity::property_definition::Entity::find()
        .filter(entity::property_definition::Column::OrganizationId.eq(org))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    for (definition, was) in &rec.primary_values_before {
        value::Entity::delete_by_id((org, before.id, *definition)).exec(&txn).await?;
        if let Some(v) = was.as_ref().filter(|v| defined.contains(&v.definition_id)) {
            value::Entity::insert(fresh::<value::ActiveModel>(v.clone())).exec_without_returning(&txn).await?;
        }
    }
    let values: Vec<value::ActiveModel> =
        rec.duplicate_values.iter().filter(|v| defined.contains(&v.definition_id)).cloned().map(fresh).collect();
    value::Entity::insert_many(values).exec_without_returning(&txn).await?;

    let mut done: merge::ActiveModel = found.into();
    done.undone_at = Set(Some(now()));
    done.update(&txn).await?;
    let after = serde_json::json!({ "mergeId": merge_id, "restored": rec.duplicates.len() });
    audit::record(&txn, actor, Some(before.id), "contact.merge_undone", None, Some(after)).await?;
    let restored = rec.duplicates.iter().map(|d| Change {
        contact_id: d.id,
        event: EventType::ContactCreated,
        detail: serde_json::json!({ "change": "contact.merge_undone", "mergeId": merge_id }),
    });
    outbound_webhooks::outbox::enqueue(&txn, org, restored.collect()).await?;
    let restored: Vec<_> = rec.duplicates.iter().map(|d| d.id).collect();
    crate::segments::members::refresh(&txn, org, &restored).await?;
    txn.commit().await?;
    Ok((primary, rec.duplicates))
}

fn by_owner(moved: &[Moved]) -> HashMap<Uuid, Vec<Uuid>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for m in moved {
        out.entry(m.from).or_default().push(m.id);
    }
    out
}
