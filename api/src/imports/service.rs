//! Import rules: who may import (owners and admins), reading a file's preview, storing an upload and
//! queueing its job, the template, and cancelling. The job itself runs in `run`.

use entity::{enums::JobKind, job};
use sea_orm::ConnectionTrait;
use tokio::sync::Notify;
use uuid::Uuid;

use super::{
    headers::suggest,
    mapping::{self, ColumnMap},
    report,
    run::ImportParams,
    source::{Limits, open},
};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    files::FileStore,
    jobs::queue,
    pagination::{Fetched, PageArgs},
    properties,
};

/// A file's header, its first rows as text, its size and the mapping we would use.
pub struct Preview {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total_rows: usize,
    pub suggested: Vec<ColumnMap>,
}

/// An uploaded file's name and bytes, read only once the caller's rights (and a mapping) are checked.
pub type ReadUpload<'a> = Box<dyn FnOnce() -> ApiResult<(String, Vec<u8>)> + Send + 'a>;

/// Reads an uploaded file (parsed off the async workers) and suggests a column mapping.
pub async fn preview(
    db: &impl ConnectionTrait,
    actor: &Actor,
    max_rows: usize,
    read: ReadUpload<'_>,
) -> ApiResult<Preview> {
    actor.require_admin()?;
    let (_, bytes) = read()?;
    let limits = Limits::new(max_rows);
    let table = tokio::task::spawn_blocking(move || open(&bytes, &limits))
        .await
        .map_err(ApiError::internal)?
        .map_err(|reason| ApiError::bad_input("file", reason))?;
    let defs = properties::service::definitions(db, actor, true).await?;
    Ok(Preview {
        suggested: suggest(&table.headers, &defs),
        total_rows: table.rows.len(),
        rows: table.rows.into_iter().take(10).collect(),
        headers: table.headers,
    })
}

/// What to import: the mapping (empty: the suggested one) and whether it is a dry run.
pub struct ImportRequest {
    pub mapping: Vec<ColumnMap>,
    pub dry_run: bool,
    /// Rows a file may hold (`IMPORT_MAX_ROWS`).
    pub max_rows: usize,
}

/// A mapping given by hand names real columns and properties (an empty one: the suggested one).
async fn check_mapping(db: &impl ConnectionTrait, actor: &Actor, given: &[ColumnMap]) -> ApiResult<()> {
    actor.require_admin()?;
    if !given.is_empty() {
        let defs = properties::service::definitions(db, actor, true).await?;
        mapping::check(given, usize::MAX, &defs)?;
    }
    Ok(())
}

/// Checks the mapping, then reads and stores the file, queues its job and wakes this server's worker.
pub async fn start(
    db: &impl ConnectionTrait,
    files: &FileStore,
    wakeup: &Notify,
    actor: &Actor,
    request: ImportRequest,
    read: ReadUpload<'_>,
) -> ApiResult<job::Model> {
    check_mapping(db, actor, &request.mapping).await?;
    let (file_name, bytes) = read()?;
    // The file is read now, so one that cannot be read, or whose columns map to no contact, is refused
    // here rather than failing later in the background.
    let (copy, limits) = (bytes.clone(), Limits::new(request.max_rows));
    let table = tokio::task::spawn_blocking(move || open(&copy, &limits))
        .await
        .map_err(ApiError::internal)?
        .map_err(|reason| ApiError::bad_input("file", reason))?;
    let defs = properties::service::definitions(db, actor, true).await?;
    if request.mapping.is_empty() {
        mapping::check(&suggest(&table.headers, &defs), table.headers.len(), &defs).map_err(|_| {
            let mut found = table.headers.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
            found.truncate(found.char_indices().nth(300).map_or(found.len(), |(i, _)| i));
            ApiError::bad_input("mapping", format!("No column maps to a name and a phone or WhatsApp user id (the file has: {found}); map the columns by hand"))
        })?;
    } else {
        mapping::check(&request.mapping, table.headers.len(), &defs)?;
    }
    drop(table);
    let ext = if bytes.starts_with(b"PK") { "xlsx" } else { "csv" };
    let key = FileStore::new_key(actor.organization_id(), "imports", ext);
    files.put(&key, bytes).await?;
    let params = ImportParams { mapping: request.mapping, dry_run: request.dry_run, file_name };
    let params = serde_json::to_value(params).map_err(ApiError::internal)?;
    let job = queue::enqueue(db, actor, JobKind::Import, params, Some(key)).await?;
    wakeup.notify_one();
    Ok(job)
}

/// A signed link to an xlsx template with the organization's columns.
pub async fn template(db: &impl ConnectionTrait, files: &FileStore, actor: &Actor) -> ApiResult<String> {
    actor.require_admin()?;
    let defs = properties::service::definitions(db, actor, false).await?;
    let bytes = report::template(&defs).map_err(ApiError::internal)?;
    let key = FileStore::new_key(actor.organization_id(), "templates", "xlsx");
    files.put(&key, bytes).await?;
    Ok(files.signed_url(&key))
}

pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<job::Model> {
    actor.require_admin()?;
    queue::find(db, actor, id, JobKind::Import).await
}

/// Past imports, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<job::Model>> {
    actor.require_admin()?;
    queue::list(db, actor, JobKind::Import, page, want_total).await
}

/// Stops an import between batches; what was imported stays.
pub async fn cancel(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<job::Model> {
    let job = find(db, actor, id).await?;
    queue::cancel(db, &job).await
}
