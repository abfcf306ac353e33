//! Memberships kept by writes. Each write that records a contact change re-evaluates, in its own
//! transaction, the organization's kept segments for the contacts it touched: one statement selects which
//! of those contacts each segment holds now, one reads which it held, and the difference is written back
//! and announced as `contact.entered_segment` / `contact.left_segment` (to partners for shared segments,
//! to subscribers for any segment they may see). A change is thus announced once, in the order of the
//! writes to that contact, and only if the write commits. Counts then read the rows, not the filters.
//!
//! A filter that changes its answer with the clock alone (the 24-hour window) is not kept: no write would
//! notice a contact leaving it. Such segments are counted by running the filter.
//!
//! Writes of one organization take a shared advisory lock (PostgreSQL) and saving or deleting a segment an
//! exclusive one, so a write never evaluates a segment that is being built or removed; the contacts a write
//! refreshes are locked in id order, so two writes touching one contact take turns at its memberships.

use std::collections::{BTreeMap, HashMap};

use entity::{contact, segment, segment_member};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, LockType, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    SHARED,
    evaluate::{self, Kept, Now, Place},
    tally,
};
use crate::{
    contacts::filter::ContactFilter,
    db::{is_postgres, now},
    error::{ApiError, ApiResult},
    events::{self, Membership},
    outbound_webhooks::{
        EventType,
        outbox::{self, Change},
    },
    visibility::Visible,
};

/// Contacts evaluated per statement group.
const CONTACTS: usize = 200;

/// Whether writes can keep a segment with this filter.
pub fn keepable(filter: &ContactFilter) -> bool {
    filter.messaging_window_open.is_none()
}

/// A membership row: segment, contact, assignee, stage.
type Row = (Uuid, Uuid, Option<Uuid>, Uuid);

/// Every membership of these contacts.
async fn held(db: &impl ConnectionTrait, org: Uuid, contacts: &[Uuid]) -> ApiResult<Vec<Row>> {
    Ok(segment_member::Entity::find()
        .select_only()
        .columns([segment_member::Column::SegmentId, segment_member::Column::ContactId])
        .columns([segment_member::Column::AssigneeId, segment_member::Column::StageId])
        .filter(segment_member::Column::OrganizationId.eq(org))
        .filter(segment_member::Column::ContactId.is_in(contacts.to_vec()))
        .into_tuple()
        .all(db)
        .await?)
}

/// The organization's segment lock, for the rest of the transaction: shared for writes that refresh
/// memberships, exclusive for saving or deleting a segment (PostgreSQL; SQLite has one writer at a time).
pub async fn hold(db: &impl ConnectionTrait, org: Uuid, exclusive: bool) -> ApiResult<()> {
    if !is_postgres(db) {
        return Ok(());
    }
    let bytes = org.as_u128();
    let key = ((bytes >> 64) as u64 ^ bytes as u64) as i64;
    let lock = if exclusive { "pg_advisory_xact_lock" } else { "pg_advisory_xact_lock_shared" };
    let sql = format!("SELECT {lock}($1)::text");
    db.query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [key.into()])).await?;
    Ok(())
}

/// Fills a segment's memberships from scratch and marks them kept; for a segment just saved, in its
/// transaction. A segment whose filter cannot be kept is left to be read by running it.
pub async fn build(db: &impl ConnectionTrait, segment: &segment::Model, filter: &ContactFilter) -> ApiResult<bool> {
    let org = segment.organization_id;
    segment_member::Entity::delete_many()
        .filter(segment_member::Column::OrganizationId.eq(org))
        .filter(segment_member::Column::SegmentId.eq(segment.id))
        .exec(db)
        .await?;
    if !keepable(filter) {
        tally::forget_segment(db, org, segment.id).await?;
        return Ok(false);
    }
    let kept = Kept {
        id: segment.id,
        name: segment.name.clone(),
        shared: segment.visibility == SHARED,
        filter: filter.clone(),
        search: segment.search.clone(),
    };
    let select = evaluate::selected(db, org, &kept, None).await?;
    let insert = Query::insert()
        .into_table(segment_member::Entity)
        .columns([
            segment_member::Column::SegmentId,
            segment_member::Column::OrganizationId,
            segment_member::Column::ContactId,
            segment_member::Column::AssigneeId,
            segment_member::Column::StageId,
        ])
        .select_from(select)
        .map_err(ApiError::internal)?
        .to_owned();
    db.execute(&insert).await?;
    tally::rebuild(db, org, segment.id).await?;
    Ok(true)
}

/// Removes deleted contacts from every segment (a deletion's own event stands for their leaving).
pub async fn forget(db: &impl ConnectionTrait, org: Uuid, ids: &[Uuid]) -> ApiResult<()> {
    let mut deltas = tally::Deltas::new();
    for chunk in ids.chunks(1000) {
        let held = held(db, org, chunk).await?;
        if held.is_empty() {
            continue;
        }
        for (segment, _, assignee, stage) in held {
            tally::add(&mut deltas, segment, assignee, stage, -1);
        }
        segment_member::Entity::delete_many()
            .filter(segment_member::Column::OrganizationId.eq(org))
            .filter(segment_member::Column::ContactId.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    tally::apply(db, org, deltas).await
}

/// Brings the kept segments of `org` up to date for `ids` after a write, in the write's transaction, and
/// announces who entered and left.
pub async fn refresh(db: &impl ConnectionTrait, org: Uuid, ids: &[Uuid]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    hold(db, org, false).await?;
    let segments = evaluate::kept(db, org).await?;
    if segments.is_empty() {
        return Ok(());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // One tally upsert for the whole refresh, in key order.
    let mut deltas = tally::Deltas::new();
    for chunk in ids.chunks(CONTACTS) {
        if is_postgres(db) {
            let lock = Visible::system(org).filter(contact::Column::Id.is_in(chunk.to_vec())).into_select();
            let lock = lock.select_only().column(contact::Column::Id).order_by_asc(contact::Column::Id);
            lock.lock(LockType::NoKeyUpdate).into_tuple::<Uuid>().all(db).await?;
        }
        let now = evaluate::now(db, org, &segments, chunk).await?;
        let before = held(db, org, chunk).await?;
        // Memberships of segments not evaluated now (a filter that no longer applies) stay as they are.
        let before: BTreeMap<(Uuid, Uuid), Place> = before
            .into_iter()
            .filter(|(s, ..)| now.evaluated.contains(s))
            .map(|(s, c, a, st)| ((c, s), (a, st)))
            .collect();
        write_difference(db, org, &segments, &before, &now, &mut deltas).await?;
    }
    tally::apply(db, org, deltas).await
}

async fn write_difference(
    db: &impl ConnectionTrait,
    org: Uuid,
    segments: &[Kept],
    before: &BTreeMap<(Uuid, Uuid), Place>,
    now: &Now,
    deltas: &mut tally::Deltas,
) -> ApiResult<()> {
    let mut changes = Vec::new();
    let mut entered = Vec::new();
    let mut left: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    // (segment, new place) → contacts that stay in the segment but changed hands or stage.
    let mut moved: HashMap<(Uuid, Place), Vec<Uuid>> = HashMap::new();
    for (&(contact, segment), &(assignee, stage)) in &now.members {
        let was = before.get(&(contact, segment));
        if was == Some(&(assignee, stage)) {
            continue;
        }
        tally::add(deltas, segment, assignee, stage, 1);
        match was {
            Some(&(assignee_was, stage_was)) => {
                tally::add(deltas, segment, assignee_was, stage_was, -1);
                moved.entry((segment, (assignee, stage))).or_default().push(contact);
            }
            None => {
                entered.push(segment_member::ActiveModel {
                    segment_id: sea_orm::ActiveValue::Set(segment),
                    organization_id: sea_orm::ActiveValue::Set(org),
                    contact_id: sea_orm::ActiveValue::Set(contact),
                    assignee_id: sea_orm::ActiveValue::Set(assignee),
                    stage_id: sea_orm::ActiveValue::Set(stage),
                });
                changes.push((contact, segment, true));
            }
        }
    }
    for (&(contact, segment), &(assignee, stage)) in before.iter().filter(|(k, _)| !now.members.contains_key(k)) {
        left.entry(segment).or_default().push(contact);
        changes.push((contact, segment, false));
        tally::add(deltas, segment, assignee, stage, -1);
    }
    for chunk in entered.chunks(1000) {
        segment_member::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    for (segment, contacts) in left {
        segment_member::Entity::delete_many()
            .filter(segment_member::Column::OrganizationId.eq(org))
            .filter(segment_member::Column::SegmentId.eq(segment))
            .filter(segment_member::Column::ContactId.is_in(contacts))
            .exec(db)
            .await?;
    }
    for ((segment, (assignee, stage)), contacts) in moved {
        segment_member::Entity::update_many()
            .col_expr(segment_member::Column::AssigneeId, Expr::val(assignee))
            .col_expr(segment_member::Column::StageId, Expr::val(stage))
            .filter(segment_member::Column::OrganizationId.eq(org))
            .filter(segment_member::Column::SegmentId.eq(segment))
            .filter(segment_member::Column::ContactId.is_in(contacts))
            .exec(db)
            .await?;
    }
    announce(db, org, segments, changes, &now.contacts).await
}

/// Partner events for shared segments, live events for all (subscribers see only segments and contacts
/// they may): per contact in segment order, entries before exits.
async fn announce(
    db: &impl ConnectionTrait,
    org: Uuid,
    segments: &[Kept],
    mut changes: Vec<(Uuid, Uuid, bool)>,
    current: &HashMap<Uuid, Place>,
) -> ApiResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    changes.sort_by_key(|&(contact, segment, entered)| (contact, !entered, segment));
    let by_id: HashMap<Uuid, &Kept> = segments.iter().map(|s| (s.id, s)).collect();
    let mut partner = Vec::new();
    let mut live = Vec::new();
    let at = now();
    for (contact_id, segment_id, entered) in changes {
        let Some(segment) = by_id.get(&segment_id) else { continue };
        if segment.shared {
            let event = if entered { EventType::ContactEnteredSegment } else { EventType::ContactLeftSegment };
            let detail = json!({ "segment": { "id": segment.id, "name": segment.name }, "at": at });
            partner.push(Change { contact_id, event, detail });
        }
        let assignee_id = current.get(&contact_id).and_then(|(a, _)| *a);
        live.push(Membership { segment_id, contact_id, assignee_id, entered });
    }
    outbox::enqueue(db, org, partner).await?;
    events::announce_in(db, org, live).await
}
