//! The job queue: jobs are rows, claimed with a lease by whichever server is free (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), kept alive by a heartbeat written with each batch, and claimed again when a
//! lease runs out, so a job whose server died resumes from its checkpoint elsewhere.

use std::time::Duration;

use chrono::Utc;
use entity::{
    enums::{JobKind, JobState},
    job, organization, user,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{begin_write, is_postgres, new_id, now},
    error::{ApiError, ApiResult},
    pagination::{Fetched, KeyValue, PageArgs},
};

/// How long a claim lasts without a heartbeat.
pub const LEASE: Duration = Duration::from_secs(60);
/// A job that keeps dying is given up after this many claims.
pub const MAX_ATTEMPTS: i32 = 5;

pub async fn enqueue(
    db: &impl ConnectionTrait,
    actor: &Actor,
    kind: JobKind,
    params: Value,
    input_file: Option<String>,
) -> ApiResult<job::Model> {
    let at = now();
    Ok(job::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        kind: Set(kind),
        state: Set(JobState::Queued),
        created_by: Set(actor.user_id()),
        params: Set(params),
        input_file: Set(input_file),
        result_file: Set(None),
        total: Set(0),
        processed: Set(0),
        created_count: Set(0),
        updated_count: Set(0),
        skipped: Set(0),
        invalid: Set(0),
        checkpoint: Set(0),
        error: Set(None),
        cancel_requested: Set(false),
        locked_by: Set(None),
        locked_until: Set(None),
        attempts: Set(0),
        created_at: Set(at),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(at),
        traceparent: Set(crate::telemetry::traceparent()),
    }
    .insert(db)
    .await?)
}

fn lease_end() -> chrono::DateTime<Utc> {
    now() + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

/// Claims the oldest job that is queued or whose lease ran out; `None` when there is nothing to do.
pub async fn claim(db: &DatabaseConnection, worker: &str) -> ApiResult<Option<job::Model>> {
    let at = now();
    if is_postgres(db) {
        let sql = r#"UPDATE jobs SET state = 'RUNNING', locked_by = $1, locked_until = $2, attempts = attempts + 1,
                started_at = COALESCE(started_at, $3), updated_at = $3
            WHERE id = (SELECT id FROM jobs WHERE state = 'QUEUED' OR (state = 'RUNNING' AND locked_until < $3)
                        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING *"#;
        let stmt =
            Statement::from_sql_and_values(DbBackend::Postgres, sql, [worker.into(), lease_end().into(), at.into()]);
        return Ok(job::Entity::find().from_raw_sql(stmt).one(db).await?);
    }
    let txn = begin_write(db).await?;
    let candidate =
        job::Entity::find()
            .filter(Condition::any().add(job::Column::State.eq(JobState::Queued)).add(
                Condition::all().add(job::Column::State.eq(JobState::Running)).add(job::Column::LockedUntil.lt(at)),
            ))
            .order_by_asc(job::Column::CreatedAt)
            .one(&txn)
            .await?;
    let Some(found) = candidate else { return Ok(None) };
    let mut model: job::ActiveModel = found.clone().into();
    model.state = Set(JobState::Running);
    model.locked_by = Set(Some(worker.to_string()));
    model.locked_until = Set(Some(lease_end()));
    model.attempts = Set(found.attempts + 1);
    model.started_at = Set(Some(found.started_at.unwrap_or(at)));
    model.updated_at = Set(at);
    let claimed = model.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(claimed))
}

/// The lease extension written with each batch.
pub fn heartbeat(model: &mut job::ActiveModel) {
    model.locked_until = Set(Some(lease_end()));
    model.updated_at = Set(now());
}

/// Ends a job in `state`, releasing its lease.
pub async fn finish(
    db: &impl ConnectionTrait,
    job: &job::Model,
    state: JobState,
    error: Option<String>,
    result_file: Option<String>,
) -> ApiResult<job::Model> {
    let mut model: job::ActiveModel = job.clone().into();
    model.state = Set(state);
    model.error = Set(error);
    if result_file.is_some() {
        model.result_file = Set(result_file);
    }
    model.locked_by = Set(None);
    model.locked_until = Set(None);
    model.finished_at = Set(Some(now()));
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

/// A job of the actor's organization.
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid, kind: JobKind) -> ApiResult<job::Model> {
    job::Entity::find_by_id(id)
        .filter(job::Column::OrganizationId.eq(actor.organization_id()))
        .filter(job::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Job"))
}

/// Jobs of one kind in the actor's organization, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    kind: JobKind,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<job::Model>> {
    let page = args.resolve(&format!("jobs:{kind:?}"), actor.organization_id())?;
    let query = job::Entity::find()
        .filter(job::Column::OrganizationId.eq(actor.organization_id()))
        .filter(job::Column::Kind.eq(kind));
    page.fetch(db, query, job::Column::CreatedAt, job::Column::Id, true, want_total, |j| {
        (KeyValue::Time(j.created_at), j.id)
    })
    .await
}

/// The jobs the actor may follow: every job of the organization for owners and admins, one's own exports
/// and bulk updates for others (a job acts with its creator's sight).
pub fn visible(actor: &Actor) -> sea_orm::Select<job::Entity> {
    let query = job::Entity::find().filter(job::Column::OrganizationId.eq(actor.organization_id()));
    if actor.is_admin() {
        return query;
    }
    // Imports and bulk deletions are admins' work: one demoted since no longer follows or cancels them.
    query
        .filter(job::Column::CreatedBy.eq(actor.user_id()))
        .filter(job::Column::Kind.is_not_in([JobKind::Import, JobKind::BulkDelete]))
}

/// Every kind of job the actor may follow, newest first, optionally of one kind and one state.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    kind: Option<JobKind>,
    state: Option<JobState>,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<job::Model>> {
    let page = args.resolve(&format!("jobs:{kind:?}:{state:?}"), actor.organization_id())?;
    let mut query = visible(actor);
    if let Some(kind) = kind {
        query = query.filter(job::Column::Kind.eq(kind));
    }
    if let Some(state) = state {
        query = query.filter(job::Column::State.eq(state));
    }
    page.fetch(db, query, job::Column::CreatedAt, job::Column::Id, true, want_total, |j| {
        (KeyValue::Time(j.created_at), j.id)
    })
    .await
}

/// Cancels a queued job at once, and asks a running one to stop after its current batch.
pub async fn cancel(db: &impl ConnectionTrait, job: &job::Model) -> ApiResult<job::Model> {
    match job.state {
        JobState::Queued => finish(db, job, JobState::Cancelled, None, None).await,
        JobState::Running => {
            let mut model: job::ActiveModel = job.clone().into();
            model.cancel_requested = Set(true);
            model.updated_at = Set(now());
            Ok(model.update(db).await?)
        }
        _ => Err(ApiError::bad_input("id", "This job has already ended")),
    }
}

/// The actor a job acts as: its creator with the rights they have now; `None` once they can no longer act.
pub async fn creator(db: &impl ConnectionTrait, job: &job::Model) -> ApiResult<Option<Actor>> {
    let org = organization::Entity::find_by_id(job.organization_id).one(db).await?;
    let user = match job.created_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(match (org, user) {
        (Some(org), Some(user)) if user.active && user.organization_id == org.id => Some(Actor::for_user(user, org)),
        _ => None,
    })
}

/// A job's current state, then the job again after every change, ending with the change that ends it:
/// what the progress subscriptions stream.
pub fn updates(
    bus: &crate::events::EventBus,
    db: DatabaseConnection,
    current: job::Model,
) -> impl futures_util::Stream<Item = job::Model> + use<> {
    use crate::events::BusEvent;
    use futures_util::{StreamExt, stream};
    let rx = bus.subscribe();
    let job_id = current.id;
    let ended = |j: &job::Model| !matches!(j.state, JobState::Queued | JobState::Running);
    let done = ended(&current);
    let later = stream::unfold((rx, db, done), move |(mut rx, db, done)| async move {
        if done {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(BusEvent::Job(e)) if e.job_id == job_id => {
                    let job = job::Entity::find_by_id(job_id).one(&db).await.ok()??;
                    let done = ended(&job);
                    return Some((job, (rx, db, done)));
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    });
    stream::once(async move { current }).chain(later)
}

/// Jobs waiting and running in every organization, and how long the oldest queued one has waited (`/metrics`).
pub async fn backlog(db: &impl ConnectionTrait) -> ApiResult<crate::metrics::Backlog> {
    let mut by_state = Vec::new();
    for (label, state) in [("queued", JobState::Queued), ("running", JobState::Running)] {
        let count = job::Entity::find().filter(job::Column::State.eq(state)).count(db).await?;
        by_state.push((label, i64::try_from(count).unwrap_or(i64::MAX)));
    }
    let oldest: Option<chrono::DateTime<Utc>> = job::Entity::find()
        .select_only()
        .column(job::Column::CreatedAt)
        .filter(job::Column::State.eq(JobState::Queued))
        .order_by_asc(job::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(crate::metrics::Backlog { by_state, oldest_age: oldest.and_then(|at| (now() - at).to_std().ok()) })
}
