//! The export job: pages of contacts in id (creation) order, turned into rows and written straight to a staged
//! file, which is moved under its key only when the last row is written. A cancelled or failed export
//! leaves no file; an export whose server died is claimed again and starts over.

use entity::{contact, enums::JobKind, enums::JobState, job};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    columns::{self, Lookups},
    service::{ExportParams, Scope},
    writer::{Format, Sink, XLSX_MAX_ROWS},
};
use crate::{
    db::now,
    error::{ApiError, ApiResult},
    files::FileStore,
    jobs::queue,
    jobs::runtime::JobRuntime,
};

/// Contacts per page: large enough that per-page queries are few, small enough to keep memory flat.
const PAGE: u64 = 5_000;

pub async fn execute(rt: &JobRuntime, job: job::Model) -> ApiResult<()> {
    let key = match &job.result_file {
        Some(key) => key.clone(),
        None => {
            let params: ExportParams = serde_json::from_value(job.params.clone()).map_err(ApiError::internal)?;
            let org = entity::organization::Entity::find_by_id(job.organization_id).one(&rt.db).await?;
            let org = org.ok_or_else(|| ApiError::not_found("Organization"))?;
            // The date as people in the organization call today.
            let today = crate::values::TimeZone::of(&org).local(now());
            let name = file_name(&org.name, &params, &today[..10]);
            let key = FileStore::named_key(job.organization_id, "exports", &name, params.format.extension());
            let mut model: job::ActiveModel = job.clone().into();
            model.result_file = Set(Some(key.clone()));
            model.update(&rt.db).await?;
            key
        }
    };
    let outcome = write(rt, &job, &key).await;
    if !matches!(outcome, Ok(JobState::Done)) {
        // Never published when the export did not finish; this only clears a staged copy.
        let _ = rt.files.remove(&key).await;
    }
    let done = match outcome {
        Ok(JobState::Done) => return purge_expired(rt, &job).await,
        Ok(end) => queue::finish(&rt.db, &job, end, None, None).await?,
        // Storage down: the job fails with the reason at once and nothing is published; the client starts it again.
        Err(ApiError::BadInput { message, .. } | ApiError::Unavailable(message)) => {
            queue::finish(&rt.db, &job, JobState::Failed, Some(message), None).await?
        }
        // Anything else (the database, the disk) is retried when the lease runs out.
        Err(err) => return Err(err),
    };
    let mut model: job::ActiveModel = done.into();
    model.result_file = Set(None);
    let done = model.update(&rt.db).await?;
    rt.events.job(&done).await;
    Ok(())
}

/// Writes the whole file; answers how the job ended (DONE, CANCELLED, or FAILED with a BAD_INPUT error).
async fn write(rt: &JobRuntime, job: &job::Model, key: &str) -> ApiResult<JobState> {
    let db = &rt.db;
    let Some(actor) = queue::creator(db, job).await? else {
        return Err(ApiError::bad_input("job", "The user who started it can no longer act"));
    };
    let params: ExportParams = serde_json::from_value(job.params.clone()).map_err(ApiError::internal)?;
    let query = params.query(db, &actor).await?.into_select();
    // The pages may lag the primary a little: they read from the replica when one is attached.
    let reads = rt.reads.db();
    let total = query.clone().count(reads).await?;
    if params.format == Format::Xlsx && total > XLSX_MAX_ROWS {
        return Err(ApiError::bad_input("format", format!("XLSX holds at most {XLSX_MAX_ROWS} rows; use CSV")));
    }
    let org = job.organization_id;
    let columns = columns::resolve(db, org, params.include_hidden, params.columns.as_deref()).await?;
    let lookups = Lookups::load(db, actor.organization()).await?;
    let headers: Vec<String> = columns.iter().map(|c| c.header(params.language).to_string()).collect();
    let keys: Vec<String> = columns.iter().map(|c| c.key().to_string()).collect();
    let mut sink = Sink::create(params.format, &rt.files.staging_path(key)?, &headers, &keys)?;
    let mut current = progress(rt, job, total as i64, 0).await?;
    // Id order is creation order (ids are time-ordered) and walks the (organization, id) index.
    let fetch = |after: Option<uuid::Uuid>| {
        let (db, mut page) = (reads.clone(), query.clone().order_by_asc(contact::Column::Id));
        if let Some(id) = after {
            page = page.filter(contact::Column::Id.gt(id));
        }
        Prefetch(tokio::spawn(async move { page.limit(PAGE).all(&db).await }))
    };
    let mut next = fetch(None);
    loop {
        let fresh = job::Entity::find_by_id(job.id).one(db).await?.ok_or_else(|| ApiError::not_found("Job"))?;
        if fresh.cancel_requested {
            return Ok(JobState::Cancelled);
        }
        let contacts = (&mut next.0).await.map_err(ApiError::internal)??;
        let Some(last) = contacts.last() else { break };
        // The database reads the next page while this one is written: the two cores share the work.
        next = fetch(Some(last.id));
        for row in columns::rows(reads, org, &columns, &lookups, &contacts).await? {
            sink.write(&row)?;
        }
        current = progress(rt, &current, current.total, current.processed + contacts.len() as i64).await?;
        // Each page's rows are freed here; giving their pages back now, not on the allocator's decay timer,
        // keeps a million-row export at about 60 MB instead of 130 (docs/benchmarks.md).
        drop(contacts);
        crate::memory::release();
    }
    sink.finish()?;
    rt.files.publish(key).await?;
    // The row count is what was written: contacts created during the export may make it differ from
    // the total counted at the start.
    let done = queue::finish(db, &current, JobState::Done, None, Some(key.to_string())).await?;
    rt.events.job(&done).await;
    Ok(JobState::Done)
}

/// The next page's read, stopped when the export ends without it (cancelled, failed, or dropped at shutdown),
/// so it does not go on holding a connection.
struct Prefetch(tokio::task::JoinHandle<Result<Vec<contact::Model>, sea_orm::DbErr>>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the file holds, for the name it downloads under: `acme-realty-contacts-filtered-2026-12-01`.
pub fn file_name(organization: &str, params: &ExportParams, date: &str) -> String {
    let scope = match params.scope {
        Scope::All => "all",
        Scope::Filtered => "filtered",
        Scope::Selected => "selected",
        Scope::Segment => "segment",
    };
    format!("{}-contacts-{scope}-{date}", crate::files::slug(organization, 40))
}

async fn progress(rt: &JobRuntime, job: &job::Model, total: i64, processed: i64) -> ApiResult<job::Model> {
    let mut model: job::ActiveModel = job.clone().into();
    model.total = Set(total.max(processed));
    model.processed = Set(processed);
    queue::heartbeat(&mut model);
    let updated = model.update(&rt.db).await?;
    rt.events.job(&updated).await;
    Ok(updated)
}

/// Deletes the files of this organization's exports older than the retention; their history stays.
async fn purge_expired(rt: &JobRuntime, job: &job::Model) -> ApiResult<()> {
    let cutoff = now() - chrono::Duration::days(rt.config.export_retention_days);
    let expired = job::Entity::find()
        .filter(job::Column::OrganizationId.eq(job.organization_id))
        .filter(job::Column::Kind.eq(JobKind::Export))
        .filter(job::Column::ResultFile.is_not_null())
        .filter(job::Column::FinishedAt.lt(cutoff))
        .limit(100)
        .all(&rt.db)
        .await?;
    for old in expired {
        if let Some(key) = &old.result_file
            && rt.files.remove(key).await.is_err()
        {
            continue; // Kept on record, so the next sweep deletes it once the store answers.
        }
        let mut model: job::ActiveModel = old.into();
        model.result_file = Set(None);
        model.update(&rt.db).await?;
    }
    Ok(())
}
