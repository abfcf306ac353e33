//! Jobs as one list: imports, exports and bulk actions, followed, listed and cancelled the same way.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use entity::{enums, job};
use futures_util::Stream;
use sea_orm::{ColumnTrait, QueryFilter};

use super::queue;
use crate::{
    connection,
    error::ApiError,
    events::EventBus,
    graphql::{
        context::{actor, db, parse_id},
        types::JobState,
    },
    pagination::{PageArgs, wants_total},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::JobKind", name = "JobKind")]
pub enum JobKind {
    Import,
    Export,
    BulkUpdate,
    BulkDelete,
}

/// A background job: an import, an export or a large bulk action (imports and exports also have their own
/// types, with what only they have).
pub struct Job(pub job::Model);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> JobKind {
        self.0.kind.into()
    }

    async fn state(&self) -> JobState {
        self.0.state.into()
    }

    async fn total(&self) -> i64 {
        self.0.total
    }

    async fn processed(&self) -> i64 {
        self.0.processed
    }

    /// Contacts changed (or deleted) so far.
    async fn updated(&self) -> i64 {
        self.0.updated_count
    }

    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

connection!(JobConnection, JobEdge, Job);

/// A job the caller may follow: any of the organization's for owners and admins, one's own for others.
async fn find(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<job::Model>> {
    let query = queue::visible(actor(ctx)?).filter(job::Column::Id.eq(parse_id(id, "id")?));
    Ok(query.one(db(ctx)).await.map_err(ApiError::from)?)
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// One job the caller may follow (owners and admins: any of the organization's; others: their own).
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        Ok(find(ctx, &id).await?.map(Job))
    }

    /// Imports, exports and bulk actions, newest first, optionally of one kind and in one state.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        kind: Option<JobKind>,
        state: Option<JobState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<JobConnection> {
        let args = PageArgs { first, after, last, before };
        let (kind, state) = (kind.map(Into::into), state.map(Into::into));
        let page = queue::list_visible(db(ctx), actor(ctx)?, kind, state, args, wants_total(ctx)).await?;
        let items = page.items.into_iter().map(|(c, j)| (c, Job(j))).collect();
        Ok(JobConnection::new(items, page.flags, page.total))
    }
}

#[derive(Default)]
pub struct JobMutation;

#[Object]
impl JobMutation {
    /// Cancels any job the caller may follow: a queued one ends at once, a running one after its current
    /// batch; what was done stays.
    async fn cancel_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        let job = find(ctx, &id).await?.ok_or_else(|| ApiError::not_found("Job"))?;
        actor(ctx)?.require_writer()?;
        let cancelled = queue::cancel(db(ctx), &job).await?;
        ctx.data_unchecked::<Arc<EventBus>>().job(&cancelled).await;
        Ok(Job(cancelled))
    }
}

#[derive(Default)]
pub struct JobSubscription;

#[Subscription]
impl JobSubscription {
    /// Any job's progress: its current state first, then every change until it ends.
    async fn job_updated(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<impl Stream<Item = Job> + use<>> {
        let current = find(ctx, &id).await?.ok_or_else(|| ApiError::not_found("Job"))?;
        let bus = ctx.data_unchecked::<Arc<EventBus>>();
        Ok(futures_util::StreamExt::map(queue::updates(bus, db(ctx).clone(), current), Job))
    }
}
