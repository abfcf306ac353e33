//! `mergeContacts`: the primary takes the chosen field values and everything of the duplicates. A
//! preview runs the same merge in a transaction that is rolled back.

use std::collections::{HashMap, HashSet};

use entity::{
    audit_event, contact, contact_identifier, contact_property_value as value, contact_tag, conversation, merge,
    message, note, reservation, verification,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::record::{Folded, MergeRecord, Moved, fresh};
use crate::{
    audit,
    auth::Actor,
    contacts::write::search_text,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    outbound_webhooks::{self, EventType, outbox::Change},
    validate,
    visibility::find_visible,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, async_graphql::Enum)]
pub enum MergeField {
    Name,
    Email,
    Phone,
    Status,
    Assignee,
    Source,
    Property,
}

pub struct Choice {
    pub field: MergeField,
    pub property_key: Option<String>,
    pub from: Uuid,
}

pub struct Merged {
    pub merge_id: Option<Uuid>,
    pub contact: contact::Model,
    /// For a preview: what the surviving contact would hold.
    pub preview: Option<super::preview::Preview>,
}

const MAX_DUPLICATES: usize = 20;

/// Merges `duplicates` into `primary` (owners and admins). Every contact must be visible; none may be
/// the primary twice over.
pub async fn merge(
    db: &DatabaseConnection,
    actor: &Actor,
    primary_id: Uuid,
    duplicate_ids: Vec<Uuid>,
    choices: Vec<Choice>,
    preview: bool,
) -> ApiResult<Merged> {
    actor.require_admin()?;
    let mut dup_ids = duplicate_ids;
    dup_ids.sort();
    dup_ids.dedup();
    if dup_ids.is_empty() || dup_ids.len() > MAX_DUPLICATES {
        return Err(ApiError::bad_input("duplicateIds", format!("Name 1 to {MAX_DUPLICATES} duplicates")));
    }
    if dup_ids.contains(&primary_id) {
        return Err(ApiError::bad_input("duplicateIds", "A contact cannot be merged with itself"));
    }
    let txn = begin_write(db).await?;
    let primary = find_visible(&txn, actor, primary_id).await?;
    let mut dups = Vec::with_capacity(dup_ids.len());
    for id in &dup_ids {
        dups.push(find_visible(&txn, actor, *id).await?);
    }
    let source = |id: Uuid| -> ApiResult<&contact::Model> {
        std::iter::once(&primary)
            .chain(dups.iter())
            .find(|c| c.id == id)
            .ok_or_else(|| ApiError::bad_input("keep", "Choose values from the primary or one of the duplicates"))
    };
    let pick = |field: MergeField| choices.iter().find(|c| c.field == field).map(|c| source(c.from)).transpose();
    let first_set = |get: &dyn Fn(&contact::Model) -> Option<String>| -> Option<String> {
        get(&primary).or_else(|| dups.iter().find_map(get))
    };

    let mut rec = MergeRecord { primary_before: Some(primary.clone()), duplicates: dups.clone(), ..Default::default() };
    let name = pick(MergeField::Name)?.map_or(primary.name.clone(), |c| c.name.clone());
    let email = match pick(MergeField::Email)? {
        Some(c) => c.email.clone(),
        None => first_set(&|c| c.email.clone()),
    };
    let phone = match pick(MergeField::Phone)? {
        Some(c) => c.phone.clone(),
        None => first_set(&|c| c.phone.clone()),
    };
    let wa_id = first_set(&|c| c.wa_id.clone());
    let stage_id = pick(MergeField::Status)?.map_or(primary.stage_id, |c| c.stage_id);
    let assignee_id = pick(MergeField::Assignee)?.map_or(primary.assignee_id, |c| c.assignee_id);
    let (source_kind, listing) = pick(MergeField::Source)?
        .map_or((primary.source, primary.source_listing_id), |c| (c.source, c.source_listing_id));
    let property_choices: HashMap<String, Uuid> = choices
        .iter()
        .filter(|c| c.field == MergeField::Property)
        .map(|c| {
            let key = c.property_key.clone().filter(|k| !k.trim().is_empty());
            let key = key.ok_or_else(|| ApiError::bad_input("keep", "A PROPERTY choice names its propertyKey"))?;
            Ok((key, source(c.from)?.id))
        })
        .collect::<ApiResult<_>>()?;

    let org = primary.organization_id;
    move_rows(&txn, org, &primary, &dup_ids, &mut rec).await?;
    merge_tags(&txn, org, &primary, &dup_ids, &mut rec).await?;
    merge_values(&txn, org, &primary, &dup_ids, &property_choices, &mut rec).await?;
    super::consents::merge(&txn, org, primary.id, &dup_ids, &mut rec).await?;

    // The duplicates go before the primary takes their phone: one contact per phone at every moment. Their
    // segment memberships go with them (the primary's are brought up to date when the merge is recorded).
    crate::segments::members::forget(&txn, org, &dup_ids).await?;
    contact::Entity::delete_many()
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(contact::Column::Id.is_in(dup_ids.clone()))
        .exec(&txn)
        .await?;
    let sum = |f: fn(&contact::Model) -> i32| f(&primary) + dups.iter().map(f).sum::<i32>();
    let mut model: contact::ActiveModel = primary.clone().into();
    model.search_text = Set(search_text(&name, email.as_deref(), phone.as_deref()));
    model.sort_name = Set(validate::fold(&name));
    model.name_edited_manually = Set(primary.name_edited_manually || name != primary.name);
    model.name = Set(name);
    model.email = Set(email);
    model.phone = Set(phone);
    model.wa_id = Set(wa_id);
    model.stage_id = Set(stage_id);
    model.assignee_id = Set(assignee_id);
    model.source = Set(source_kind);
    model.source_listing_id = Set(listing);
    model.user_initiated_conversations = Set(sum(|c| c.user_initiated_conversations));
    model.business_initiated_conversations = Set(sum(|c| c.business_initiated_conversations));
    model.cancelled_outbounds = Set(sum(|c| c.cancelled_outbounds));
    model.received_notifications = Set(sum(|c| c.received_notifications));
    model.last_activity_at = Set(dups.iter().map(|d| d.last_activity_at).fold(primary.last_activity_at, std::cmp::max));
    model.last_inbound_at = Set(dups.iter().filter_map(|d| d.last_inbound_at).chain(primary.last_inbound_at).max());
    model.updated_at = Set(now());
    let merged = model.update(&txn).await?;

    if preview {
        let holds = super::preview::read(&txn, org, merged.id).await?;
        txn.rollback().await?;
        return Ok(Merged { merge_id: None, contact: merged, preview: Some(holds) });
    }
    let id = new_id();
    merge::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        primary_id: Set(primary.id),
        record: Set(serde_json::to_value(&rec).map_err(ApiError::internal)?),
        created_by: Set(actor.user_id()),
        created_at: Set(now()),
        undone_at: Set(None),
    }
    .insert(&txn)
    .await?;
    // A count, not ids: after an undo the duplicates may belong to agents who cannot see each other's.
    let after = serde_json::json!({ "mergeId": id, "duplicates": dup_ids.len() });
    audit::record(&txn, actor, Some(primary.id), "contact.merged", None, Some(after)).await?;
    // Partners (admin-level listeners) are told which contacts went into the primary.
    let detail = serde_json::json!({ "change": "contact.merged", "mergeId": id, "mergedContactIds": dup_ids });
    let change = Change { contact_id: primary.id, event: EventType::ContactMerged, detail };
    outbound_webhooks::outbox::enqueue(&txn, org, vec![change]).await?;
    txn.commit().await?;
    Ok(Merged { merge_id: Some(id), contact: merged, preview: None })
}

/// Re-points the duplicates' rows at the primary, folding conversations on a channel both used.
async fn move_rows(
    txn: &impl ConnectionTrait,
    org: Uuid,
    primary: &contact::Model,
    dups: &[Uuid],
    rec: &mut MergeRecord,
) -> ApiResult<()> {
    let theirs = conversation::Entity::find()
        .filter(conversation::Column::OrganizationId.eq(org))
        .filter(conversation::Column::ContactId.is_in(dups.to_vec()))
        .all(txn)
        .await?;
    let mut ours: HashMap<Uuid, Uuid> = conversation::Entity::find()
        .filter(conversation::Column::OrganizationId.eq(org))
        .filter(conversation::Column::ContactId.eq(primary.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.channel_id, c.id))
        .collect();
    for conv in theirs {
        match ours.get(&conv.channel_id) {
            Some(target) => {
                let msgs: Vec<Uuid> = message::Entity::find()
                    .filter(message::Column::OrganizationId.eq(org))
                    .filter(message::Column::ConversationId.eq(conv.id))
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                message::Entity::update_many()
                    .col_expr(message::Column::ConversationId, Expr::value(*target))
                    .filter(message::Column::OrganizationId.eq(org))
                    .filter(message::Column::ConversationId.eq(conv.id))
                    .exec(txn)
                    .await?;
                conversation::Entity::delete_by_id(conv.id).exec(txn).await?;
                rec.folded.push(Folded { conversation: conv, messages: msgs });
            }
            None => {
                ours.insert(conv.channel_id, conv.id);
                rec.conversations.push(Moved { id: conv.id, from: conv.contact_id });
            }
        }
    }
    macro_rules! repoint {
        ($entity:ident, $list:ident) => {{
            let rows = $entity::Entity::find()
                .filter($entity::Column::OrganizationId.eq(org))
                .filter($entity::Column::ContactId.is_in(dups.to_vec()))
                .all(txn)
                .await?;
            rec.$list.extend(
                rows.iter()
                    .map(|r| Moved { id: r.id, from: Into::<Option<Uuid>>::into(r.contact_id).unwrap_or_default() }),
            );
            $entity::Entity::update_many()
                .col_expr($entity::Column::ContactId, Expr::value(primary.id))
                .filter($entity::Column::OrganizationId.eq(org))
                .filter($entity::Column::ContactId.is_in(dups.to_vec()))
                .exec(txn)
                .await?;
        }};
    }
    let moved_convs: Vec<Uuid> = rec.conversations.iter().map(|m| m.id).collect();
    conversation::Entity::update_many()
        .col_expr(conversation::Column::ContactId, Expr::value(primary.id))
        .filter(conversation::Column::OrganizationId.eq(org))
        .filter(conversation::Column::Id.is_in(moved_convs))
        .exec(txn)
        .await?;
    repoint!(contact_identifier, identifiers);
    repoint!(message, messages);
    repoint!(note, notes);
    repoint!(audit_event, audit_events);
    repoint!(reservation, reservations);
    let has_own = verification::Entity::find()
        .filter(verification::Column::OrganizationId.eq(org))
        .filter(verification::Column::ContactId.eq(primary.id))
        .one(txn)
        .await?
        .is_some();
    let mut verifications = verification::Entity::find()
        .filter(verification::Column::OrganizationId.eq(org))
        .filter(verification::Column::ContactId.is_in(dups.to_vec()))
        .all(txn)
        .await?;
    if !has_own && let Some(keep) = verifications.pop() {
        rec.verifications.push(Moved { id: keep.id, from: keep.contact_id });
        verification::Entity::update_many()
            .col_expr(verification::Column::ContactId, Expr::value(primary.id))
            .filter(verification::Column::Id.eq(keep.id))
            .exec(txn)
            .await?;
    }
    for v in verifications {
        verification::Entity::delete_by_id(v.id).exec(txn).await?;
        rec.dropped_verifications.push(v);
    }
    Ok(())
}

async fn merge_tags(
    txn: &impl ConnectionTrait,
    org: Uuid,
    primary: &contact::Model,
    dups: &[Uuid],
    rec: &mut MergeRecord,
) -> ApiResult<()> {
    let links = contact_tag::Entity::find()
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::ContactId.is_in(dups.to_vec()))
        .all(txn)
        .await?;
    let own: HashSet<Uuid> = contact_tag::Entity::find()
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::ContactId.eq(primary.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    let added: HashSet<Uuid> = links.iter().map(|l| l.tag_id).filter(|t| !own.contains(t)).collect();
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::ContactId.is_in(dups.to_vec()))
        .exec(txn)
        .await?;
    let rows = added.iter().map(|t| contact_tag::ActiveModel {
        organization_id: Set(org),
        contact_id: Set(primary.id),
        tag_id: Set(*t),
        created_at: Set(now()),
    });
    contact_tag::Entity::insert_many(rows).exec_without_returning(txn).await?;
    rec.duplicate_tags = links;
    rec.added_tags = added.into_iter().collect();
    Ok(())
}

/// The primary keeps its values unless a choice says otherwise; it takes a duplicate's value where it
/// has none.
async fn merge_values(
    txn: &impl ConnectionTrait,
    org: Uuid,
    primary: &contact::Model,
    dups: &[Uuid],
    choices: &HashMap<String, Uuid>,
    rec: &mut MergeRecord,
) -> ApiResult<()> {
    let theirs = value::Entity::find()
        .filter(value::Column::OrganizationId.eq(org))
        .filter(value::Column::ContactId.is_in(dups.to_vec()))
        .all(txn)
        .await?;
    let ours: HashMap<Uuid, value::Model> = value::Entity::find()
        .filter(value::Column::OrganizationId.eq(org))
        .filter(value::Column::ContactId.eq(primary.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.definition_id, v))
        .collect();
    let keys: HashMap<Uuid, String> = entity::property_definition::Entity::find()
        .filter(entity::property_definition::Column::OrganizationId.eq(org))
        .all(txn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.key))
        .collect();
    let mut taken: HashSet<Uuid> = HashSet::new();
    for v in &theirs {
        let chosen = keys.get(&v.definition_id).and_then(|k| choices.get(k));
        let wanted = match chosen {
            Some(from) => *from == v.contact_id,
            None => !ours.contains_key(&v.definition_id),
        };
        if wanted && taken.insert(v.definition_id) {
            rec.primary_values_before.push((v.definition_id, ours.get(&v.definition_id).cloned()));
            let mut row = v.clone();
            row.contact_id = primary.id;
            value::Entity::delete_by_id((org, primary.id, v.definition_id)).exec(txn).await?;
            value::Entity::insert(fresh::<value::ActiveModel>(row)).exec_without_returning(txn).await?;
        }
    }
    value::Entity::delete_many()
        .filter(value::Column::OrganizationId.eq(org))
        .filter(value::Column::ContactId.is_in(dups.to_vec()))
        .exec(txn)
        .await?;
    rec.duplicate_values = theirs;
    Ok(())
}
