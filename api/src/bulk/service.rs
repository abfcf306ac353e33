//! Bulk update and delete: at once for a few thousand contacts, as a job beyond that.

use entity::{
    contact,
    enums::{JobKind, JobState},
    job,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    apply::{self, Patch},
    selection::Selection,
};
use crate::{
    auth::Actor,
    db::begin_write,
    error::{ApiError, ApiResult},
    events::{ContactEventKind, EventBus},
    jobs::queue,
    jobs::runtime::JobRuntime,
    visibility::Visible,
};

/// Selections larger than this run as a job.
pub const JOB_THRESHOLD: u64 = 5_000;
const BATCH: u64 = 5_000;

pub struct BulkOutcome {
    pub matched: u64,
    pub updated: u64,
    pub not_found: u64,
    pub job: Option<job::Model>,
}

#[derive(Serialize, Deserialize)]
struct BulkParams {
    selection: Selection,
    /// `None` for a deletion.
    patch: Option<Patch>,
    last_id: Option<Uuid>,
}

/// The selected ids in order, `limit` at a time.
fn ids(query: Visible, limit: Option<u64>) -> sea_orm::Selector<sea_orm::SelectGetableTuple<Uuid>> {
    let query = query.into_select().select_only().column(contact::Column::Id);
    query.order_by_asc(contact::Column::Id).limit(limit).into_tuple::<Uuid>()
}

pub async fn update(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    selection: Selection,
    patch: Patch,
) -> ApiResult<BulkOutcome> {
    actor.require_writer()?;
    patch.check(db, actor).await?;
    run(db, events, actor, selection, Some(patch), JobKind::BulkUpdate).await
}

/// Owners and admins only.
pub async fn delete(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    selection: Selection,
) -> ApiResult<BulkOutcome> {
    actor.require_admin()?;
    run(db, events, actor, selection, None, JobKind::BulkDelete).await
}

/// One batch, in the caller's transaction: how many changed, and the live event to announce once it commits.
async fn apply_batch(
    txn: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
    patch: Option<&Patch>,
) -> ApiResult<(u64, ContactEventKind, Vec<(Uuid, Option<Uuid>)>)> {
    Ok(match patch {
        Some(p) => {
            let changed = apply::update(txn, actor, ids, p).await?;
            (changed, ContactEventKind::Updated, ids.iter().map(|id| (*id, None)).collect())
        }
        None => {
            let (deleted, owners) = apply::delete(txn, actor, ids).await?;
            (deleted, ContactEventKind::Deleted, owners)
        }
    })
}

async fn run(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    selection: Selection,
    patch: Option<Patch>,
    kind: JobKind,
) -> ApiResult<BulkOutcome> {
    let query = selection.query(db, actor).await?;
    let matched = query.clone().into_select().count(db).await?;
    let not_found = selection.requested().map_or(0, |r| r.saturating_sub(matched));
    if matched > JOB_THRESHOLD {
        let params =
            serde_json::to_value(BulkParams { selection, patch, last_id: None }).map_err(ApiError::internal)?;
        let job = queue::enqueue(db, actor, kind, params, None).await?;
        let mut model: job::ActiveModel = job.into();
        model.total = Set(matched as i64);
        let job = model.update(db).await?;
        return Ok(BulkOutcome { matched, updated: 0, not_found, job: Some(job) });
    }
    let query = match &patch {
        Some(p) => p.narrow(actor, query),
        None => query,
    };
    let chosen = ids(query, None).all(db).await?;
    let txn = begin_write(db).await?;
    let (updated, event, touched) = apply_batch(&txn, actor, &chosen, patch.as_ref()).await?;
    txn.commit().await?;
    events.contacts(actor.organization_id(), event, &touched).await;
    Ok(BulkOutcome { matched, updated, not_found, job: None })
}

/// The job of a large bulk action: batches in id order, each in one transaction with the job's progress
/// and position, acting with the rights its creator has now.
pub async fn execute(rt: &JobRuntime, job: job::Model, max_batches: Option<usize>) -> ApiResult<()> {
    let db = &rt.db;
    let Some(actor) = queue::creator(db, &job).await? else {
        let done =
            queue::finish(db, &job, JobState::Failed, Some("The user who started it can no longer act".into()), None)
                .await?;
        rt.events.job(&done).await;
        return Ok(());
    };
    let mut params: BulkParams = serde_json::from_value(job.params.clone()).map_err(ApiError::internal)?;
    let mut current = job;
    for n in 0.. {
        if max_batches.is_some_and(|m| n >= m) {
            return Ok(());
        }
        let fresh = job::Entity::find_by_id(current.id).one(db).await?.ok_or_else(|| ApiError::not_found("Job"))?;
        if fresh.cancel_requested {
            let done = queue::finish(db, &fresh, JobState::Cancelled, None, None).await?;
            rt.events.job(&done).await;
            return Ok(());
        }
        let mut query = params.selection.query(db, &actor).await?;
        if let Some(p) = &params.patch {
            query = p.narrow(&actor, query);
        }
        if let Some(last) = params.last_id {
            query = query.filter(contact::Column::Id.gt(last));
        }
        let batch = ids(query, Some(BATCH)).all(db).await?;
        let Some(last) = batch.last().copied() else { break };
        let txn = begin_write(db).await?;
        let (changed, event, touched) = apply_batch(&txn, &actor, &batch, params.patch.as_ref()).await?;
        params.last_id = Some(last);
        let mut model: job::ActiveModel = fresh.clone().into();
        model.processed = Set(fresh.processed + batch.len() as i64);
        model.updated_count = Set(fresh.updated_count + changed as i64);
        model.params = Set(serde_json::to_value(&params).map_err(ApiError::internal)?);
        queue::heartbeat(&mut model);
        current = model.update(&txn).await?;
        txn.commit().await?;
        rt.events.contacts(actor.organization_id(), event, &touched).await;
        rt.events.job(&current).await;
    }
    let done = queue::finish(db, &current, JobState::Done, None, None).await?;
    rt.events.job(&done).await;
    Ok(())
}
