use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    enums::{self, JobKind},
    job,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;
use tokio::sync::Notify;

use super::{apply::Patch, selection::Selection, service};
use crate::{
    contacts::graphql::inputs::ContactFilter,
    error::ApiError,
    graphql::context::{actor, db, parse_id},
    graphql::types::JobState,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::JobKind", name = "JobKind")]
pub enum JobKindGql {
    Import,
    Export,
    BulkUpdate,
    BulkDelete,
}

/// A background job: a large bulk action (imports and exports have their own types too).
pub struct Job(pub job::Model);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> JobKindGql {
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

/// Either `ids`, or everything matching `filter` and `search` ("select all" across pages).
#[derive(InputObject)]
pub struct ContactSelection {
    pub ids: Option<Vec<ID>>,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
}

#[derive(InputObject)]
pub struct ContactPatchInput {
    pub add_tags: Option<Vec<String>>,
    pub remove_tags: Option<Vec<String>>,
    pub status_id: Option<ID>,
    pub assignee_id: Option<ID>,
    pub unassign: Option<bool>,
}

#[derive(SimpleObject)]
pub struct BulkResult {
    /// Selected contacts the caller can see.
    pub matched: i64,
    /// Contacts changed; for a deletion the same figure as `deleted`, kept for older clients.
    pub updated: i64,
    /// Contacts deleted (0 for an update).
    pub deleted: i64,
    /// Ids asked for that do not exist or are out of sight.
    pub not_found: i64,
    /// Set when the selection was large enough to run in the background.
    pub job: Option<Job>,
}

impl ContactSelection {
    fn into_domain(self) -> Result<Selection, ApiError> {
        let ids = self
            .ids
            .map(|ids| ids.iter().map(|id| parse_id(id, "selection.ids")).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        Ok(Selection { ids, filter: self.filter.map(ContactFilter::into_domain).transpose()?, search: self.search })
    }
}

impl ContactPatchInput {
    fn into_domain(self) -> Result<Patch, ApiError> {
        let assignee = match (self.assignee_id, self.unassign) {
            (Some(_), Some(true)) => return Err(ApiError::bad_input("patch", "Assign or unassign, not both")),
            (Some(id), _) => Some(Some(parse_id(&id, "patch.assigneeId")?)),
            (None, Some(true)) => Some(None),
            (None, _) => None,
        };
        Ok(Patch {
            add_tags: self.add_tags.unwrap_or_default(),
            remove_tags: self.remove_tags.unwrap_or_default(),
            stage_id: self.status_id.map(|id| parse_id(&id, "patch.statusId")).transpose()?,
            assignee,
        })
    }
}

fn result(ctx: &Context<'_>, o: service::BulkOutcome, deleting: bool) -> BulkResult {
    if o.job.is_some() {
        ctx.data_unchecked::<Arc<Notify>>().notify_one();
    }
    BulkResult {
        matched: o.matched as i64,
        updated: o.updated as i64,
        deleted: if deleting { o.updated as i64 } else { 0 },
        not_found: o.not_found as i64,
        job: o.job.map(Job),
    }
}

#[derive(Default)]
pub struct BulkMutation;

#[Object]
impl BulkMutation {
    /// Adds or removes tags, sets the stage, assigns or unassigns many contacts at once. Contacts the
    /// caller cannot see are counted as not found and left as they are.
    async fn bulk_update_contacts(
        &self,
        ctx: &Context<'_>,
        selection: ContactSelection,
        patch: ContactPatchInput,
    ) -> async_graphql::Result<BulkResult> {
        let outcome = service::update(db(ctx), actor(ctx)?, selection.into_domain()?, patch.into_domain()?).await?;
        Ok(result(ctx, outcome, false))
    }

    /// Deletes many contacts and everything of theirs (owners and admins). It cannot be undone.
    async fn bulk_delete_contacts(
        &self,
        ctx: &Context<'_>,
        selection: ContactSelection,
    ) -> async_graphql::Result<BulkResult> {
        let outcome = service::delete(db(ctx), actor(ctx)?, selection.into_domain()?).await?;
        Ok(result(ctx, outcome, true))
    }
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// A background job the caller started (admins: any of the organization's).
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let actor = actor(ctx)?;
        let mut query = job::Entity::find_by_id(parse_id(&id, "id")?)
            .filter(job::Column::OrganizationId.eq(actor.organization_id()))
            .filter(job::Column::Kind.is_in([JobKind::BulkUpdate, JobKind::BulkDelete]));
        if !actor.is_admin() {
            query = query.filter(job::Column::CreatedBy.eq(actor.user_id()));
        }
        Ok(query.one(db(ctx)).await.map_err(ApiError::from)?.map(Job))
    }
}
