//! A server's job worker: claims jobs from the queue and runs each with its kind's runner.

use std::time::Duration;

use entity::{
    enums::{JobKind, JobState},
    job,
};
use uuid::Uuid;

use super::{
    queue::{MAX_ATTEMPTS, claim, finish},
    runtime::JobRuntime,
};
use tracing::Instrument;

use crate::{error::ApiResult, telemetry};

/// Runs one claimed job to its end (or until `max_batches`, which tests use to stand in for a crash).
pub async fn run(rt: &JobRuntime, job: job::Model, max_batches: Option<usize>) -> ApiResult<()> {
    if job.attempts > MAX_ATTEMPTS {
        finish(&rt.db, &job, JobState::Failed, Some("Stopped after failing repeatedly".into()), None).await?;
        return Ok(());
    }
    // In the trace of the request that queued it, on whichever server runs it.
    let span = telemetry::resume_trace(job.traceparent.as_deref(), || {
        let name = format!("job {:?}", job.kind);
        tracing::info_span!(target: telemetry::TRACED, "job", otel.name = name, job.id = %job.id, job.attempt = job.attempts)
    });
    let work = async {
        match job.kind {
            JobKind::Import => crate::imports::run::execute(rt, job.clone(), max_batches).await,
            JobKind::BulkUpdate | JobKind::BulkDelete => {
                crate::bulk::service::execute(rt, job.clone(), max_batches).await
            }
            JobKind::Export => crate::exports::run::execute(rt, job.clone()).await,
        }
    };
    let outcome = work.instrument(span).await;
    if let Err(err) = outcome {
        // The lease stays: another claim retries after it runs out, resuming from the checkpoint.
        tracing::error!(job = %job.id, error = %err, "job failed; it will be retried");
    }
    Ok(())
}

/// Claims and runs jobs until none is left; what the background worker does, callable from tests.
pub async fn drain(rt: &JobRuntime, worker: &str) -> ApiResult<usize> {
    let mut n = 0;
    while let Some(job) = claim(&rt.db, worker).await? {
        run(rt, job, None).await?;
        n += 1;
    }
    Ok(n)
}

/// The background worker of one server: drains the queue, then waits for new work or a poll tick.
pub fn spawn_worker(rt: JobRuntime) -> tokio::task::JoinHandle<()> {
    let worker = format!("{}-{}", std::process::id(), &Uuid::new_v4().simple().to_string()[..8]);
    tokio::spawn(async move {
        loop {
            if let Err(err) = drain(&rt, &worker).await {
                tracing::warn!(error = %err, "job worker could not claim; retrying");
            }
            tokio::select! {
                () = rt.wakeup.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    })
}
