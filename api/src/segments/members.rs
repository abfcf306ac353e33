//! Memberships kept by writes. Each write that records a contact change re-evaluates, in its own
//! transaction, the organization's kept segments for the contacts it touched: one statement selects which
//! of those contacts each segment holds now, one reads which it held, and the difference is written back
//! and announced as `contact.entered_segment` / `contact.left_segment` (to partners for shared segments,
//! to subscribers for any segment they may see). A change is thus announced once, in the order of the
//! writes to that contact, and only if the write commits. Counts then read the rows, not the filters.
//!
//! A filter that changes its answer with the clock alone (the 24-hour window) is not kept: no write would
//! notice a contact leaving it. Such segments are counted by running the filter.

use std::collections::{BTreeMap, HashMap};

use entity::{contact, segment, segment_member};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Expr, Query, SelectStatement, UnionType},
};
use serde_json::json;
use uuid::Uuid;

use super::{SHARED, tally};
use crate::{
    contacts::filter::{self, ContactFilter},
    db::now,
    error::{ApiError, ApiResult},
    events::{self, Membership},
    outbound_webhooks::{
        EventType,
        outbox::{self, Change},
    },
    visibility::Visible,
};

/// Bound values one evaluation may carry (each segment repeats the contact ids): well under PostgreSQL's
/// 65,535 and SQLite's 32,766.
const VALUES: usize = 12_000;

/// A segment whose members are kept.
struct Kept {
    id: Uuid,
    name: String,
    shared: bool,
    filter: ContactFilter,
    search: Option<String>,
}

/// Whether writes can keep a segment with this filter.
pub fn keepable(filter: &ContactFilter) -> bool {
    filter.messaging_window_open.is_none()
}

/// A contact's segment (nil for the contact itself), assignee and stage.
type Row = (Uuid, Uuid, Option<Uuid>, Uuid);

async fn kept(db: &impl ConnectionTrait, org: Uuid) -> ApiResult<Vec<Kept>> {
    let rows = segment::Entity::find()
        .select_only()
        .columns([segment::Column::Id, segment::Column::Name, segment::Column::Visibility, segment::Column::Search])
        .column(segment::Column::Selection)
        .filter(segment::Column::OrganizationId.eq(org))
        .filter(segment::Column::MembersBuiltAt.is_not_null())
        .order_by_asc(segment::Column::Id)
        .into_tuple::<(Uuid, String, String, Option<String>, Option<serde_json::Value>)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, visibility, search, selection)| {
            let filter = serde_json::from_value(selection?).ok()?;
            Some(Kept { id, name, shared: visibility == SHARED, filter, search })
        })
        .collect())
}

/// The (segment, organization, contact, assignee, stage) rows a segment selects, among `ids` when given.
async fn selected(db: &impl ConnectionTrait, org: Uuid, s: &Kept, ids: Option<&[Uuid]>) -> ApiResult<SelectStatement> {
    let mut scope = Visible::system(org);
    if let Some(ids) = ids {
        scope = scope.filter(contact::Column::Id.is_in(ids.to_vec()));
    }
    let scope = filter::apply(db, scope, &s.filter, s.search.as_deref()).await?;
    Ok(row_of(scope, s.id))
}

fn row_of(scope: Visible, segment: Uuid) -> SelectStatement {
    scope
        .into_select()
        .select_only()
        .column_as(Expr::val(segment), "segment_id")
        .column(contact::Column::OrganizationId)
        .column(contact::Column::Id)
        .column(contact::Column::AssigneeId)
        .column(contact::Column::StageId)
        .into_query()
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
    let select = selected(db, org, &kept, None).await?;
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
        let held: Vec<Row> = segment_member::Entity::find()
            .select_only()
            .columns([segment_member::Column::SegmentId, segment_member::Column::ContactId])
            .columns([segment_member::Column::AssigneeId, segment_member::Column::StageId])
            .filter(segment_member::Column::OrganizationId.eq(org))
            .filter(segment_member::Column::ContactId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
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
    let segments = kept(db, org).await?;
    if segments.is_empty() {
        return Ok(());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let per = (VALUES / (segments.len() + 1)).clamp(1, 1000);
    for chunk in ids.chunks(per) {
        refresh_chunk(db, org, &segments, chunk).await?;
    }
    Ok(())
}

async fn refresh_chunk(db: &impl ConnectionTrait, org: Uuid, segments: &[Kept], ids: &[Uuid]) -> ApiResult<()> {
    // The contacts themselves first (nil segment): their assignee and stage now, and which still exist.
    let mut union = row_of(Visible::system(org).filter(contact::Column::Id.is_in(ids.to_vec())), Uuid::nil());
    let mut evaluated = Vec::with_capacity(segments.len());
    for s in segments {
        match selected(db, org, s, Some(ids)).await {
            Ok(select) => {
                union.union(UnionType::All, select);
                evaluated.push(s.id);
            }
            // A filter naming a property that is gone: the segment reports it; its members stay as they were
            // rather than the write failing.
            Err(err) => tracing::warn!(segment = %s.id, error = %err, "a segment's filter no longer applies"),
        }
    }
    let mut now_in: BTreeMap<(Uuid, Uuid), (Option<Uuid>, Uuid)> = BTreeMap::new();
    let mut current: HashMap<Uuid, (Option<Uuid>, Uuid)> = HashMap::new();
    let postgres = crate::db::is_postgres(db);
    if postgres {
        // Planning fifty arms costs several milliseconds on every write, while each arm is a lookup by key:
        // one generic plan per statement text (organization, segments, batch size), kept with the prepared
        // statement, serves every later write. Only for this statement; the transaction ends either way.
        db.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan").await?;
    }
    let rows = db.query_all(&union).await?;
    if postgres {
        db.execute_unprepared("SET LOCAL plan_cache_mode = auto").await?;
    }
    for row in rows {
        let (segment, contact): (Uuid, Uuid) = (row.try_get_by_index(0)?, row.try_get_by_index(2)?);
        let place = (row.try_get_by_index(3)?, row.try_get_by_index(4)?);
        if segment.is_nil() {
            current.insert(contact, place);
        } else {
            now_in.insert((contact, segment), place);
        }
    }
    let before: Vec<Row> = segment_member::Entity::find()
        .select_only()
        .columns([segment_member::Column::SegmentId, segment_member::Column::ContactId])
        .columns([segment_member::Column::AssigneeId, segment_member::Column::StageId])
        .filter(segment_member::Column::OrganizationId.eq(org))
        .filter(segment_member::Column::ContactId.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    // Memberships of segments not evaluated now (a filter that no longer applies) stay as they are.
    let before: BTreeMap<(Uuid, Uuid), (Option<Uuid>, Uuid)> =
        before.into_iter().filter(|(s, ..)| evaluated.contains(s)).map(|(s, c, a, st)| ((c, s), (a, st))).collect();
    write_difference(db, org, segments, &before, &now_in, &current).await
}

async fn write_difference(
    db: &impl ConnectionTrait,
    org: Uuid,
    segments: &[Kept],
    before: &BTreeMap<(Uuid, Uuid), (Option<Uuid>, Uuid)>,
    now_in: &BTreeMap<(Uuid, Uuid), (Option<Uuid>, Uuid)>,
    current: &HashMap<Uuid, (Option<Uuid>, Uuid)>,
) -> ApiResult<()> {
    let mut changes = Vec::new();
    let mut entered = Vec::new();
    let mut left: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut moved: HashMap<(Option<Uuid>, Uuid), Vec<Uuid>> = HashMap::new();
    let mut deltas = tally::Deltas::new();
    for (&(contact, segment), &(assignee, stage)) in now_in {
        let was = before.get(&(contact, segment));
        if was != Some(&(assignee, stage)) {
            tally::add(&mut deltas, segment, assignee, stage, 1);
            if let Some(&(assignee, stage)) = was {
                tally::add(&mut deltas, segment, assignee, stage, -1);
            }
        }
        match was {
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
            Some(&was) if was != (assignee, stage) => moved.entry((assignee, stage)).or_default().push(contact),
            Some(_) => {}
        }
    }
    for (&(contact, segment), &(assignee, stage)) in before.iter().filter(|(k, _)| !now_in.contains_key(k)) {
        left.entry(segment).or_default().push(contact);
        changes.push((contact, segment, false));
        tally::add(&mut deltas, segment, assignee, stage, -1);
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
    for ((assignee, stage), mut contacts) in moved {
        contacts.dedup();
        segment_member::Entity::update_many()
            .col_expr(segment_member::Column::AssigneeId, Expr::val(assignee))
            .col_expr(segment_member::Column::StageId, Expr::val(stage))
            .filter(segment_member::Column::OrganizationId.eq(org))
            .filter(segment_member::Column::ContactId.is_in(contacts))
            .exec(db)
            .await?;
    }
    tally::apply(db, org, deltas).await?;
    announce(db, org, segments, changes, current).await
}

/// Partner events for shared segments, live events for all (subscribers see only segments and contacts
/// they may): per contact in segment order, entries before exits.
async fn announce(
    db: &impl ConnectionTrait,
    org: Uuid,
    segments: &[Kept],
    mut changes: Vec<(Uuid, Uuid, bool)>,
    current: &HashMap<Uuid, (Option<Uuid>, Uuid)>,
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
