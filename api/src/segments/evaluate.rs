//! Which of some contacts each kept segment holds now: the filters of an organization's kept segments, each
//! narrowed to those contacts, run as few UNION ALL statements as the databases' limits allow.

use std::collections::{BTreeMap, HashMap};

use entity::{contact, segment};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Expr, SelectStatement, UnionType},
};
use uuid::Uuid;

use super::SHARED;
use crate::{
    contacts::filter::{self, ContactFilter},
    error::ApiResult,
    visibility::Visible,
};

/// Bound values per statement: well under PostgreSQL's 65,535 and SQLite's 32,766.
const VALUES: usize = 12_000;
/// Arms per statement: SQLite takes at most 500 in one compound SELECT.
const ARMS: usize = 100;

/// A segment whose members are kept.
pub struct Kept {
    pub id: Uuid,
    pub name: String,
    pub shared: bool,
    pub filter: ContactFilter,
    pub search: Option<String>,
}

/// Where a contact stands: its assignee and stage.
pub type Place = (Option<Uuid>, Uuid);

/// What the segments hold now among some contacts.
pub struct Now {
    /// (contact, segment) → the contact's place.
    pub members: BTreeMap<(Uuid, Uuid), Place>,
    /// Every one of those contacts that still exists, with its place.
    pub contacts: HashMap<Uuid, Place>,
    /// The segments whose filters could be run (the others keep their members as they were).
    pub evaluated: Vec<Uuid>,
}

/// The organization's kept segments, in id order.
pub async fn kept(db: &impl ConnectionTrait, org: Uuid) -> ApiResult<Vec<Kept>> {
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
    let mut kept = Vec::with_capacity(rows.len());
    for (id, name, visibility, search, selection) in rows {
        match selection.map(serde_json::from_value::<ContactFilter>) {
            Some(Ok(filter)) => kept.push(Kept { id, name, shared: visibility == SHARED, filter, search }),
            // Only a server older than its data could write what this one cannot read: loud, not fatal.
            _ => tracing::error!(segment = %id, "a kept segment's selection does not read; its members stand still"),
        }
    }
    Ok(kept)
}

/// The (segment, organization, contact, assignee, stage) rows a segment selects, among `ids` when given.
pub async fn selected(
    db: &impl ConnectionTrait,
    org: Uuid,
    s: &Kept,
    ids: Option<&[Uuid]>,
) -> ApiResult<SelectStatement> {
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

/// Runs every kept segment's filter over `ids` (and reads the contacts themselves, under the nil segment).
pub async fn now(db: &impl ConnectionTrait, org: Uuid, segments: &[Kept], ids: &[Uuid]) -> ApiResult<Now> {
    let backend = db.get_database_backend();
    let mut arms = vec![row_of(Visible::system(org).filter(contact::Column::Id.is_in(ids.to_vec())), Uuid::nil())];
    let mut evaluated = Vec::with_capacity(segments.len());
    for s in segments {
        match selected(db, org, s, Some(ids)).await {
            Ok(select) => {
                arms.push(select);
                evaluated.push(s.id);
            }
            // A filter naming a property that is gone: the segment reports it; its members stay as they were
            // rather than the write failing.
            Err(err) => tracing::warn!(segment = %s.id, error = %err, "a segment's filter no longer applies"),
        }
    }
    let mut found = Now { members: BTreeMap::new(), contacts: HashMap::new(), evaluated };
    let mut statement: Option<(SelectStatement, usize, usize)> = None;
    for arm in arms {
        let values = backend.build(&arm).values.map_or(0, |v| v.0.len());
        match &mut statement {
            Some((union, n, v)) if *n < ARMS && *v + values <= VALUES => {
                union.union(UnionType::All, arm);
                (*n, *v) = (*n + 1, *v + values);
            }
            _ => {
                if let Some((union, ..)) = statement.take() {
                    run(db, &union, &mut found).await?;
                }
                statement = Some((arm, 1, values));
            }
        }
    }
    if let Some((union, ..)) = statement {
        run(db, &union, &mut found).await?;
    }
    Ok(found)
}

async fn run(db: &impl ConnectionTrait, union: &SelectStatement, found: &mut Now) -> ApiResult<()> {
    let postgres = crate::db::is_postgres(db);
    if postgres {
        // Planning fifty arms costs several milliseconds on every write, while each arm is a lookup by key:
        // one generic plan per statement text (organization, segments, batch size), kept with the prepared
        // statement, serves every later write. Only for this statement; the transaction ends either way.
        db.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan").await?;
    }
    let rows = db.query_all(union).await?;
    if postgres {
        db.execute_unprepared("SET LOCAL plan_cache_mode = auto").await?;
    }
    for row in rows {
        let (segment, contact): (Uuid, Uuid) = (row.try_get_by_index(0)?, row.try_get_by_index(2)?);
        let place = (row.try_get_by_index(3)?, row.try_get_by_index(4)?);
        if segment.is_nil() {
            found.contacts.insert(contact, place);
        } else {
            found.members.insert((contact, segment), place);
        }
    }
    Ok(())
}
