//! A server process killed with SIGKILL in the middle of an import: another server finishes the job from
//! its checkpoint, every row imported once.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use entity::job;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::{Server, weed};
use crate::{
    harness::TestApp,
    imports::{JOB, START, leads_csv},
};

/// Kills the process when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `server-process` (this package's binary) with the test's database, schema, bucket and secret.
fn spawn_server(app: &TestApp, files: &std::path::Path) -> Process {
    let c = &app.state.config;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server-process"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", &c.database_url)
        .env("TEST_SEARCH_PATH", app.search_path().expect("PostgreSQL"))
        .env("JWT_SECRET", c.jwt_secret.as_deref().unwrap())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUN_JOBS", "true")
        .env("FILES_DIR", files)
        .env("FILES_S3_BUCKET", c.files_s3_bucket.as_deref().unwrap())
        .env("FILES_S3_ENDPOINT", c.files_s3_endpoint.as_deref().unwrap())
        .env("FILES_S3_ACCESS_KEY_ID", c.files_s3_access_key_id.as_deref().unwrap())
        .env("FILES_S3_SECRET_ACCESS_KEY", c.files_s3_secret_access_key.as_deref().unwrap())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null());
    Process(cmd.spawn().expect("start server-process"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_import_leaves_the_job_to_another_that_finishes_it_without_duplicates() {
    let app = TestApp::with_config(weed::use_bucket).await;
    if app.search_path().is_none() {
        return; // Only PostgreSQL deployments run several servers; SQLite is one embedded process.
    }
    let (_, res) = app.upload(&app.owner_token, START, json!({}), "big.csv", &leads_csv(0, 20_000)).await;
    let id: uuid::Uuid = res["data"]["startImport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).parse().unwrap();

    // Server A, a process of its own, takes the job; it is killed once it has written a batch.
    let files = tempfile::tempdir().unwrap();
    let mut a = spawn_server(&app, files.path());
    let start = Instant::now();
    let mid = loop {
        let found = job::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
        if found.checkpoint >= 1000 {
            break found;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "server A never wrote a batch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    a.0.kill().unwrap(); // SIGKILL: no shutdown, no goodbye.
    a.0.wait().unwrap();
    let killed = job::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert!(
        mid.checkpoint >= 1000 && killed.checkpoint < 20_000,
        "A was killed mid-import ({} of 20,000)",
        killed.checkpoint
    );
    assert_eq!(killed.state, entity::enums::JobState::Running);

    // Its lease runs out; server B claims the job and finishes it from the checkpoint.
    let mut expired: job::ActiveModel = killed.into();
    expired.locked_until = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    expired.update(&app.db).await.unwrap();
    assert_eq!(Server::beside(&app).run_jobs().await, 1);
    let done = app.gql(Some(&app.owner_token), JOB, json!({ "id": id })).await["data"]["importJob"].clone();
    assert_eq!((done["state"].as_str(), done["created"].as_i64()), (Some("DONE"), Some(20_000)), "{done}");
    let count = app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["contacts"]["totalCount"], 20_000, "every row once: {count}");
}
