use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use std::sync::Arc;
use tokio::sync::Notify;

use super::{apply::Patch, selection::Selection, service};
use crate::{
    contacts::graphql::inputs::ContactFilter,
    error::ApiError,
    events::EventBus,
    graphql::context::{actor, db, parse_id, zone},
    jobs::graphql::Job,
    values::TimeZone,
};

/// Either `ids`, or everything matching `filter` and `search` ("select all" across pages).
#[derive(InputObject)]
pub struct ContactSelection {
    pub ids: Option<Vec<ID>>,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
    /// The contacts of this segment that the caller may see (alone: not with ids, filter or search).
    pub segment_id: Option<ID>,
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
    async fn resolve(self, ctx: &Context<'_>) -> async_graphql::Result<Selection> {
        let Some(segment) = &self.segment_id else { return Ok(self.into_domain(&zone(ctx)?)?) };
        if self.ids.is_some() || self.filter.is_some() || self.search.is_some() {
            return Err(
                ApiError::bad_input("selection", "Give a segment, ids, or a filter and search: one of them").into()
            );
        }
        let selected = crate::segments::graphql::selection_of(ctx, segment, "selection.segmentId").await?;
        Ok(Selection { ids: None, filter: Some(selected.filter), search: selected.search })
    }

    fn into_domain(self, zone: &TimeZone) -> Result<Selection, ApiError> {
        let ids = self
            .ids
            .map(|ids| ids.iter().map(|id| parse_id(id, "selection.ids")).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        Ok(Selection { ids, filter: self.filter.map(|f| f.into_domain(zone)).transpose()?, search: self.search })
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
        let outcome = service::update(
            db(ctx),
            ctx.data_unchecked::<Arc<EventBus>>(),
            actor(ctx)?,
            selection.resolve(ctx).await?,
            patch.into_domain()?,
        )
        .await?;
        Ok(result(ctx, outcome, false))
    }

    /// Deletes many contacts and everything of theirs (owners and admins). It cannot be undone.
    async fn bulk_delete_contacts(
        &self,
        ctx: &Context<'_>,
        selection: ContactSelection,
    ) -> async_graphql::Result<BulkResult> {
        let outcome =
            service::delete(db(ctx), ctx.data_unchecked::<Arc<EventBus>>(), actor(ctx)?, selection.resolve(ctx).await?)
                .await?;
        Ok(result(ctx, outcome, true))
    }
}
