//! Counts under a time budget. A segment's filter may have become expensive (a fragment search over a
//! million contacts): on PostgreSQL each count runs with a statement timeout, and when it runs out the answer
//! is a floor ("more than 1,000") from a count that stops early, never a request that hangs. SQLite serves
//! one embedded organization of modest size and counts exactly.

use entity::{contact, segment_member, segment_tally};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, RuntimeErr, Select, TransactionTrait,
    sea_query::{Alias, Expr, Func, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    contacts::filter::InSegment,
    db::is_postgres,
    error::{ApiError, ApiResult},
    visibility::reach_on,
};

/// A kept segment's tallies the reader may see: a few rows (per assignee the reader's reach includes, per
/// stage), exact and without a budget.
fn tallies_seen(actor: &Actor, segment: Uuid) -> Select<segment_tally::Entity> {
    segment_tally::Entity::find()
        .filter(segment_tally::Column::SegmentId.eq(segment))
        .filter(segment_tally::Column::OrganizationId.eq(actor.organization_id()))
        .filter(reach_on(actor, segment_tally::Column::AssigneeKey, Some(Uuid::nil())))
}

/// SUM answers numeric on PostgreSQL: read back as a 64-bit integer on both databases.
fn total() -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::col(segment_tally::Column::Members)), Alias::new("BIGINT")).into()
}

pub async fn kept_count(db: &DatabaseConnection, actor: &Actor, segment: Uuid) -> ApiResult<Count> {
    let value: Option<i64> =
        tallies_seen(actor, segment).select_only().column_as(total(), "n").into_tuple().one(db).await?.flatten();
    Ok(Count { value: value.unwrap_or(0).max(0) as u64, exact: true })
}

/// Below this many members the reader may see, a page reads the members first (measured at a million
/// contacts: walking the reader's contacts in order costs about as much as fetching 5,000 by key).
const FEW_MEMBERS: u64 = 5_000;

/// How a page selects a kept segment's members for the reader: by their ids when the reader sees few of
/// them (by the tallies), else through the memberships.
pub async fn kept_members(db: &DatabaseConnection, actor: &Actor, segment: Uuid) -> ApiResult<InSegment> {
    let few = if kept_count(db, actor, segment).await?.value < FEW_MEMBERS {
        Some(kept_ids(db, actor, segment).await?)
    } else {
        None
    };
    Ok(InSegment { id: segment, few })
}

/// The ids of a kept segment's members the reader may see.
async fn kept_ids(db: &DatabaseConnection, actor: &Actor, segment: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(segment_member::Entity::find()
        .select_only()
        .column(segment_member::Column::ContactId)
        .filter(segment_member::Column::SegmentId.eq(segment))
        .filter(segment_member::Column::OrganizationId.eq(actor.organization_id()))
        .filter(reach_on(actor, segment_member::Column::AssigneeId, None))
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn kept_by_stage(db: &DatabaseConnection, actor: &Actor, segment: Uuid) -> ApiResult<Vec<(Uuid, i64)>> {
    Ok(tallies_seen(actor, segment)
        .select_only()
        .column(segment_tally::Column::StageId)
        .column_as(total(), "n")
        .group_by(segment_tally::Column::StageId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?)
}

/// Counts running at once in this server: a list of segments counts each of them, and must not take every
/// pooled connection while it does.
static COUNTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The time an exact count may take, then the time the floor may take.
const EXACT_MS: u64 = 250;
const FLOOR_MS: u64 = 100;
/// How far a floor counts before it stops.
const FLOOR: u64 = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub value: u64,
    /// false: there are at least `value` (the exact count ran out of time).
    pub exact: bool,
}

pub async fn count(db: &DatabaseConnection, query: Select<contact::Entity>) -> ApiResult<Count> {
    let _turn = COUNTING.acquire().await.map_err(ApiError::internal)?;
    if !is_postgres(db) {
        return Ok(Count { value: query.count(db).await?, exact: true });
    }
    let ids = query.select_only().column(contact::Column::Id);
    let exact = ids.clone();
    if let Some(value) = within(db, EXACT_MS, async |txn| exact.count(txn).await).await? {
        return Ok(Count { value, exact: true });
    }
    let floor = ids.limit(FLOOR);
    Ok(match within(db, FLOOR_MS, async |txn| floor.count(txn).await).await? {
        // Fewer than the floor means the first count was merely slow: this one is exact.
        Some(value) if value < FLOOR => Count { value, exact: true },
        Some(value) => Count { value, exact: false },
        None => return Err(ApiError::Unavailable("Counting this segment took too long: narrow its filter".into())),
    })
}

/// How many of the selected contacts are in each stage; `None` when that takes longer than the budget.
pub async fn by_stage(db: &DatabaseConnection, query: Select<contact::Entity>) -> ApiResult<Option<Vec<(Uuid, i64)>>> {
    let _turn = COUNTING.acquire().await.map_err(ApiError::internal)?;
    let grouped = query
        .select_only()
        .column(contact::Column::StageId)
        .column_as(Expr::from(Func::count(Expr::col(contact::Column::Id))), "n")
        .group_by(contact::Column::StageId)
        .into_tuple::<(Uuid, i64)>();
    if !is_postgres(db) {
        return Ok(Some(grouped.all(db).await?));
    }
    within(db, EXACT_MS, async |txn| grouped.all(txn).await).await
}

/// What `run` answers in a transaction whose statements may take `ms` each, or `None` when one ran out.
async fn within<T>(
    db: &DatabaseConnection,
    ms: u64,
    run: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, DbErr>,
) -> ApiResult<Option<T>> {
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SET LOCAL statement_timeout = {ms}")).await?;
    match run(&txn).await {
        Ok(answer) => {
            txn.commit().await?;
            Ok(Some(answer))
        }
        // The transaction rolls back as it is dropped.
        Err(err) if timed_out(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// PostgreSQL's `query_canceled` (57014): what a statement timeout raises.
fn timed_out(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Query(e) | DbErr::Exec(e) => e,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(e) => e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "57014"),
        _ => false,
    }
}
