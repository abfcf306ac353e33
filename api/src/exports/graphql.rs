use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Subscription};
use chrono::{DateTime, Utc};
use entity::job;
use futures_util::Stream;
use tokio::sync::Notify;

use super::{
    columns::Language,
    service::{self, ExportParams, Scope},
    writer::Format,
};
use crate::{
    connection,
    contacts::graphql::inputs::ContactFilter,
    error::{ApiError, absent_as_none},
    events::EventBus,
    files::FileStore,
    graphql::context::{actor, db, loaders, parse_id, zone},
    graphql::types::{JobState, MomentInput},
    jobs::queue,
    pagination::{PageArgs, wants_total},
    users::graphql::User,
    values::TimeZone,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "Format")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "Scope")]
pub enum ExportScope {
    /// Every contact the caller can see.
    All,
    /// Those matching `filter` and `search`, as in the contacts list.
    Filtered,
    /// The contacts in `ids` (those out of sight are left out).
    Selected,
    /// The contacts of the segment `segmentId` that the caller can see.
    Segment,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "Language")]
pub enum ExportLanguage {
    En,
    Es,
    Pt,
}

#[derive(InputObject)]
pub struct StartExportInput {
    pub format: ExportFormat,
    pub scope: ExportScope,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
    pub ids: Option<Vec<ID>>,
    /// With scope SEGMENT.
    pub segment_id: Option<ID>,
    /// Column keys to include, in this order (`name`, `phone`, ..., or a property key); all when omitted.
    pub columns: Option<Vec<String>>,
    /// Header language.
    #[graphql(default_with = "ExportLanguage::En")]
    pub language: ExportLanguage,
    /// Dates alone are whole days in the organization's time zone.
    pub created_from: Option<MomentInput>,
    pub created_to: Option<MomentInput>,
    /// Include hidden custom properties.
    #[graphql(default = false)]
    pub include_hidden: bool,
}

impl StartExportInput {
    fn into_domain(self, zone: &TimeZone) -> Result<ExportParams, ApiError> {
        let ids =
            self.ids.map(|ids| ids.iter().map(|id| parse_id(id, "ids")).collect::<Result<Vec<_>, _>>()).transpose()?;
        Ok(ExportParams {
            format: self.format.into(),
            scope: self.scope.into(),
            language: self.language.into(),
            filter: self.filter.map(|f| f.into_domain(zone)).transpose()?,
            search: self.search,
            ids,
            columns: self.columns,
            include_hidden: self.include_hidden,
            created_from: self.created_from.map(|m| m.0.from(zone)),
            created_to: self.created_to.map(|m| m.0.to(zone)),
            created_as: None,
            segment_id: None,
        })
    }
}

/// One export in the download history, with its parameters read once.
pub struct ExportJob {
    job: job::Model,
    params: Option<ExportParams>,
}

impl ExportJob {
    pub fn new(job: job::Model) -> Self {
        let params = serde_json::from_value(job.params.clone()).ok();
        Self { job, params }
    }
}

#[Object]
impl ExportJob {
    async fn id(&self) -> ID {
        ID(self.job.id.to_string())
    }

    async fn state(&self) -> JobState {
        self.job.state.into()
    }

    async fn format(&self) -> Option<ExportFormat> {
        self.params.as_ref().map(|p| p.format.into())
    }

    async fn scope(&self) -> Option<ExportScope> {
        self.params.as_ref().map(|p| p.scope.into())
    }

    async fn language(&self) -> Option<ExportLanguage> {
        self.params.as_ref().map(|p| p.language.into())
    }

    async fn created_from(&self) -> Option<DateTime<Utc>> {
        self.params.as_ref().and_then(|p| p.created_from)
    }

    async fn created_to(&self) -> Option<DateTime<Utc>> {
        self.params.as_ref().and_then(|p| p.created_to)
    }

    /// Contacts to export, counted when the job started.
    async fn total(&self) -> i64 {
        self.job.total
    }

    /// Rows written so far.
    async fn processed(&self) -> i64 {
        self.job.processed
    }

    /// Rows in the file, once the export is done.
    async fn row_count(&self) -> Option<i64> {
        (self.job.state == entity::enums::JobState::Done).then_some(self.job.processed)
    }

    /// A signed link to the file while it is kept (see EXPORT_RETENTION_DAYS); null before it is done,
    /// after it expires, and for a caller whose role no longer covers what the file was made with (an
    /// admin's file once they are an agent, any file once they are a viewer).
    async fn download_url(&self, ctx: &Context<'_>) -> Option<String> {
        if self.job.state != entity::enums::JobState::Done {
            return None;
        }
        let retention =
            chrono::Duration::days(ctx.data_unchecked::<Arc<crate::config::Config>>().export_retention_days);
        if self.job.finished_at.is_none_or(|at| at + retention < crate::db::now()) {
            return None;
        }
        let caller = actor(ctx).ok()?;
        let made_as_admin = self.params.as_ref().and_then(|p| p.created_as).is_some_and(|r| r.is_admin());
        if caller.require_writer().is_err() || (made_as_admin && !caller.is_admin()) {
            return None;
        }
        let key = self.job.result_file.as_deref()?;
        Some(ctx.data_unchecked::<FileStore>().signed_url(key))
    }

    /// The name the file downloads under: organization, scope and date (`acme-contacts-all-2026-12-01.csv`).
    async fn file_name(&self) -> Option<&str> {
        self.job.result_file.as_deref().map(FileStore::download_name)
    }

    async fn error(&self) -> Option<&str> {
        self.job.error.as_deref()
    }

    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.job.created_by else { return Ok(None) };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.job.created_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.job.finished_at
    }
}

connection!(ExportJobConnection, ExportJobEdge, ExportJob);

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// One export: any of the organization's for owners and admins, one's own for others.
    async fn export_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<ExportJob>> {
        Ok(absent_as_none(service::find(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await)?.map(ExportJob::new))
    }

    /// The download history, newest first: every export of the organization for owners and admins, one's
    /// own for others.
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn export_jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ExportJobConnection> {
        let args = PageArgs { first, after, last, before };
        let page = service::list(db(ctx), actor(ctx)?, args, wants_total(ctx)).await?;
        let items = page.items.into_iter().map(|(c, j)| (c, ExportJob::new(j))).collect();
        Ok(ExportJobConnection::new(items, page.flags, page.total))
    }
}

#[derive(Default)]
pub struct ExportMutation;

#[Object]
impl ExportMutation {
    /// Starts an export of what the caller can see (viewers cannot export); follow it with `exportJob`
    /// or `exportJobUpdated`.
    async fn start_export(&self, ctx: &Context<'_>, input: StartExportInput) -> async_graphql::Result<ExportJob> {
        let segment = input.segment_id.clone();
        let given_selection = input.filter.is_some() || input.search.is_some();
        let mut params = input.into_domain(&zone(ctx)?)?;
        match (&segment, params.scope == service::Scope::Segment) {
            (Some(_), false) => {
                return Err(ApiError::bad_input("segmentId", "A segment id goes with scope SEGMENT").into());
            }
            (Some(_), true) if given_selection => {
                return Err(ApiError::bad_input(
                    "filter",
                    "Scope SEGMENT takes its filter and search from the segment",
                )
                .into());
            }
            _ => {}
        }
        if let Some(id) = segment.filter(|_| params.scope == service::Scope::Segment) {
            // The segment's selection now: the file holds what the segment held when the export started.
            let selected = crate::segments::graphql::selection_of(ctx, &id, "segmentId").await?;
            params.segment_id = Some(parse_id(&id, "segmentId")?);
            params.filter = Some(selected.filter);
            params.search = selected.search;
        }
        let job = service::start(db(ctx), actor(ctx)?, params).await?;
        ctx.data_unchecked::<Arc<Notify>>().notify_one();
        Ok(ExportJob::new(job))
    }

    /// Stops an export; no file is kept.
    async fn cancel_export(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ExportJob> {
        let job = service::find(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(ExportJob::new(queue::cancel(db(ctx), &job).await?))
    }

    /// Everything stored about one contact as one JSON document, for data-access requests (owners and
    /// admins). Recorded in the contact's audit trail.
    async fn export_contact_data(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
    ) -> async_graphql::Result<Json<serde_json::Value>> {
        let id = parse_id(&contact_id, "contactId")?;
        Ok(Json(super::data::contact_data(db(ctx), actor(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct ExportSubscription;

#[Subscription]
impl ExportSubscription {
    /// An export's progress: its current state first, then every change until it ends.
    async fn export_job_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = ExportJob> + use<>> {
        let current = service::find(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        let bus = ctx.data_unchecked::<Arc<EventBus>>();
        Ok(futures_util::StreamExt::map(queue::updates(bus, db(ctx).clone(), current), ExportJob::new))
    }
}
