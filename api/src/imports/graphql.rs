use std::{io::Read, sync::Arc};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription, Upload};
use chrono::{DateTime, Utc};
use entity::job;
use futures_util::Stream;
use tokio::sync::Notify;

use super::{
    mapping::{ColumnMap, ImportField},
    service,
};
use crate::{
    config::Config,
    connection,
    error::{ApiError, ApiResult, absent_as_none},
    events::EventBus,
    files::FileStore,
    graphql::{
        context::{actor, db, parse_id},
        types::JobState,
    },
    jobs::queue,
    pagination::{PageArgs, wants_total},
};

/// An import: its progress, counts, and the report once it ends.
pub struct ImportJob(pub job::Model);

#[Object]
impl ImportJob {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn state(&self) -> JobState {
        self.0.state.into()
    }

    async fn file_name(&self) -> Option<String> {
        self.0.params.get("file_name").and_then(|v| v.as_str()).map(String::from)
    }

    async fn dry_run(&self) -> bool {
        self.0.params.get("dry_run").and_then(|v| v.as_bool()).unwrap_or(false)
    }

    /// Data rows in the file.
    async fn total(&self) -> i64 {
        self.0.total
    }

    async fn processed(&self) -> i64 {
        self.0.processed
    }

    /// Contacts created (in a dry run: that would be created).
    async fn created(&self) -> i64 {
        self.0.created_count
    }

    /// Rows skipped: a phone or WhatsApp user id that is a contact already, or beyond the plan's limit.
    async fn skipped(&self) -> i64 {
        self.0.skipped
    }

    async fn invalid(&self) -> i64 {
        self.0.invalid
    }

    /// Why the job failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// A signed link to the xlsx report (one row per input row with its outcome), once the job ends.
    async fn report_url(&self, ctx: &Context<'_>) -> Option<String> {
        let key = self.0.result_file.as_deref()?;
        Some(ctx.data_unchecked::<FileStore>().signed_url(key))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

connection!(ImportJobConnection, ImportJobEdge, ImportJob);

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ColumnMappingInput")]
pub struct ColumnMapping {
    /// 0-based column of the file.
    pub column: i32,
    pub field: ImportField,
    /// For PROPERTY: the property's key.
    pub property_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct ImportPreview {
    pub headers: Vec<String>,
    /// The first rows, as text.
    pub rows: Vec<Vec<String>>,
    pub total_rows: i64,
    pub suggested_mapping: Vec<ColumnMapping>,
}

fn to_graphql(m: ColumnMap) -> ColumnMapping {
    ColumnMapping { column: m.column as i32, field: m.field, property_key: m.property_key }
}

/// Reads an upload (already capped by the multipart limits).
fn read_upload(ctx: &Context<'_>, file: &Upload) -> ApiResult<(String, Vec<u8>)> {
    let mut value = file.value(ctx).map_err(|_| ApiError::bad_input("file", "The upload could not be read"))?;
    let mut bytes = Vec::new();
    value.content.read_to_end(&mut bytes).map_err(ApiError::internal)?;
    Ok((value.filename, bytes))
}

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// One import of the organization (owners and admins).
    async fn import_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<ImportJob>> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        let job = service::find(db(ctx), actor, parse_id(&id, "id")?).await;
        Ok(absent_as_none(job)?.map(ImportJob))
    }

    /// Past imports, newest first (owners and admins).
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn import_jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ImportJobConnection> {
        let args = PageArgs { first, after, last, before };
        let page = service::list(db(ctx), actor(ctx)?, args, wants_total(ctx)).await?;
        let items = page.items.into_iter().map(|(c, j)| (c, ImportJob(j))).collect();
        Ok(ImportJobConnection::new(items, page.flags, page.total))
    }

    /// A signed link to an xlsx template with the expected columns (owners and admins).
    async fn import_template(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(service::template(db(ctx), ctx.data_unchecked::<FileStore>(), actor(ctx)?).await?)
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Reads an uploaded file's header and first rows and suggests a column mapping (owners and admins).
    async fn preview_import(&self, ctx: &Context<'_>, file: Upload) -> async_graphql::Result<ImportPreview> {
        let max_rows = ctx.data_unchecked::<Arc<Config>>().import_max_rows;
        let read = Box::new(|| read_upload(ctx, &file));
        let preview = service::preview(db(ctx), actor(ctx)?, max_rows, read).await?;
        Ok(ImportPreview {
            suggested_mapping: preview.suggested.into_iter().map(to_graphql).collect(),
            total_rows: preview.total_rows as i64,
            rows: preview.rows,
            headers: preview.headers,
        })
    }

    /// Starts importing an uploaded xlsx or CSV in the background (owners and admins). Without a
    /// mapping, the suggested one is used. A dry run checks every row and writes no contact.
    async fn start_import(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        mapping: Option<Vec<ColumnMapping>>,
        dry_run: Option<bool>,
    ) -> async_graphql::Result<ImportJob> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        let mapping: Vec<ColumnMap> = mapping
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let column =
                    usize::try_from(m.column).map_err(|_| ApiError::bad_input("mapping", "Columns start at 0"))?;
                Ok(ColumnMap { column, field: m.field, property_key: m.property_key.map(|k| k.trim().to_lowercase()) })
            })
            .collect::<Result<_, ApiError>>()?;
        let max_rows = ctx.data_unchecked::<Arc<Config>>().import_max_rows;
        let request = service::ImportRequest { mapping, dry_run: dry_run.unwrap_or(false), max_rows };
        let read = Box::new(|| read_upload(ctx, &file));
        let (files, wakeup) = (ctx.data_unchecked::<FileStore>(), ctx.data_unchecked::<Arc<Notify>>());
        Ok(ImportJob(service::start(db(ctx), files, wakeup, actor, request, read).await?))
    }

    /// Stops an import between batches; what was imported stays (owners and admins).
    async fn cancel_import(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ImportJob> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        Ok(ImportJob(service::cancel(db(ctx), actor, parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct ImportSubscription;

#[Subscription]
impl ImportSubscription {
    /// An import's progress: its current state first, then every change until it ends.
    async fn import_job_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = ImportJob> + use<>> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        let db = db(ctx).clone();
        let current = service::find(&db, actor, parse_id(&id, "id")?).await?;
        let bus = ctx.data_unchecked::<Arc<EventBus>>();
        Ok(futures_util::StreamExt::map(queue::updates(bus, db, current), ImportJob))
    }
}
