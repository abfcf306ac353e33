//! Files in S3-compatible object storage (a real SeaweedFS): exports, uploads and reports made through one
//! server are served through another, links stay bound to their organization, and a store that is down
//! fails uploads and exports cleanly.

use serde_json::{Value, json};

use super::{Server, weed};
use crate::{
    harness::{TestApp, code, gql_to},
    imports::{JOB as IMPORT_JOB, START as START_IMPORT, xlsx},
};

const START_EXPORT: &str = "mutation($i: StartExportInput!) { startExport(input: $i) { id state } }";
const EXPORT_JOB: &str = "query($id: ID!) { exportJob(id: $id) { state rowCount downloadUrl error } }";

async fn on_bucket() -> TestApp {
    TestApp::with_config(weed::use_bucket).await
}

fn id(res: &Value, field: &str) -> String {
    res["data"][field]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string()
}

/// Nothing is left in the server's own folder, staged or not: the files are in the bucket.
fn local_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    walk(std::path::Path::new(&app.state.config.files_dir))
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

#[tokio::test]
async fn an_export_made_on_one_server_downloads_through_another_and_only_shows_what_its_maker_sees() {
    let app = on_bucket().await;
    let b = Server::beside(&app);
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let (_, other) = app.user("AGENT", "other@acme.test").await;
    app.contact(&agent, json!({ "name": "Mine", "phone": "+50688000001" })).await;
    app.contact(&other, json!({ "name": "Theirs", "phone": "+50688000002" })).await;

    let res = app.gql(Some(&agent), START_EXPORT, json!({ "i": { "format": "CSV", "scope": "ALL" } })).await;
    let job_id = id(&res, "startExport");
    app.run_jobs().await;
    let (_, job) = gql_to(&b.router, Some(&agent), EXPORT_JOB, json!({ "id": job_id })).await;
    let job = &job["data"]["exportJob"];
    assert_eq!(job["state"], "DONE", "{job}");
    let link = job["downloadUrl"].as_str().unwrap();
    let (status, bytes) = b.download(link).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("Mine") && !text.contains("Theirs"), "{text}");
    assert!(local_files(&app).is_empty(), "{:?}", local_files(&app));

    // The same key under another organization, or an altered signature, is refused on either server.
    let (other_org, _) = app.other_organization().await;
    let moved = link.replacen(&app.org_id.to_string(), &other_org.to_string(), 1);
    assert_eq!(b.download(&moved).await.0, 403);
    assert_eq!(app.download(&format!("{link}0")).await.0, 403);
}

#[tokio::test]
async fn an_import_uploaded_to_one_server_is_run_by_another_and_its_report_served_by_the_first() {
    let app = on_bucket().await;
    let b = Server::beside(&app);
    let file = xlsx(&[vec!["Teléfono", "Nombre"], vec!["+50688000001", "Ana"], vec!["nope", "Bad"]]);
    let (_, res) = app.upload(&app.owner_token, START_IMPORT, json!({}), "leads.xlsx", &file).await;
    let job_id = id(&res, "startImport");
    assert_eq!(b.run_jobs().await, 1);
    let job = app.gql(Some(&app.owner_token), IMPORT_JOB, json!({ "id": job_id })).await["data"]["importJob"].clone();
    assert_eq!(
        (job["state"].as_str(), job["created"].as_i64(), job["invalid"].as_i64()),
        (Some("DONE"), Some(1), Some(1))
    );
    let (status, report) = app.download(job["reportUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(report.starts_with(b"PK"), "an xlsx report");
    assert!(local_files(&app).is_empty(), "{:?}", local_files(&app));
}

#[tokio::test]
async fn a_store_that_is_down_refuses_uploads_and_fails_exports_without_publishing_anything() {
    let app = TestApp::with_config(|c| {
        weed::use_bucket(c);
        // Nothing listens here.
        c.files_s3_endpoint = Some("http://127.0.0.1:9".into());
    })
    .await;
    let file = xlsx(&[vec!["Teléfono", "Nombre"], vec!["+50688000001", "Ana"]]);
    let (_, res) = app.upload(&app.owner_token, START_IMPORT, json!({}), "leads.xlsx", &file).await;
    assert_eq!(code(&res), "UNAVAILABLE", "{res}");
    assert!(res["data"]["startImport"].is_null());
    let jobs = app.gql(Some(&app.owner_token), "{ importJobs { totalCount } }", json!({})).await;
    assert_eq!(jobs["data"]["importJobs"]["totalCount"], 0, "no job for a file that was not stored: {jobs}");

    app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000001" })).await;
    let res = app.gql(Some(&app.owner_token), START_EXPORT, json!({ "i": { "format": "CSV", "scope": "ALL" } })).await;
    let job_id = id(&res, "startExport");
    app.run_jobs().await;
    let job = app.gql(Some(&app.owner_token), EXPORT_JOB, json!({ "id": job_id })).await["data"]["exportJob"].clone();
    assert_eq!(job["state"], "FAILED", "{job}");
    assert!(job["error"].as_str().unwrap().contains("File storage is unavailable"), "{job}");
    assert!(job["downloadUrl"].is_null());
    let staged = std::path::Path::new(&app.state.config.files_dir).join(".staging");
    assert!(walk(&staged).is_empty(), "the staged file is gone: {:?}", walk(&staged));
}

#[tokio::test]
async fn exports_past_their_retention_are_deleted_from_the_bucket_and_their_links_stop_serving() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let app = on_bucket().await;
    let t = &app.owner_token;
    app.contact(t, json!({ "name": "Ana", "phone": "+50688000001" })).await;
    let export = async || {
        let res = app.gql(Some(t), START_EXPORT, json!({ "i": { "format": "CSV", "scope": "ALL" } })).await;
        let job_id = id(&res, "startExport");
        app.run_jobs().await;
        let job = app.gql(Some(t), EXPORT_JOB, json!({ "id": job_id })).await["data"]["exportJob"].clone();
        (job_id, job["downloadUrl"].as_str().unwrap_or_else(|| panic!("{job}")).to_string())
    };
    let (old_id, old_link) = export().await;
    assert_eq!(app.download(&old_link).await.0, 200);
    let old =
        entity::job::Entity::find_by_id(old_id.parse::<uuid::Uuid>().unwrap()).one(&app.db).await.unwrap().unwrap();
    let mut aged: entity::job::ActiveModel = old.into();
    aged.finished_at = Set(Some(chrono::Utc::now() - chrono::Duration::days(31)));
    aged.update(&app.db).await.unwrap();

    // The next export sweeps the organization's expired ones.
    let (_, new_link) = export().await;
    assert_eq!(app.download(&old_link).await.0, 404, "the expired file is gone from the bucket");
    let old = app.gql(Some(t), EXPORT_JOB, json!({ "id": old_id })).await["data"]["exportJob"].clone();
    assert!(old["downloadUrl"].is_null(), "its history stays, without a link: {old}");
    assert_eq!(app.download(&new_link).await.0, 200);
}
