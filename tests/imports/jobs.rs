//! Import jobs survive crashes and cancellation; links are bound to their signature and expiry.

use entity::job;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::{JOB, START, contact_count, report};
use crate::harness::TestApp;

fn rows(n: usize) -> Vec<u8> {
    super::leads_csv(0, n)
}

async fn start(app: &TestApp, bytes: &[u8]) -> uuid::Uuid {
    let (_, res) = app.upload(&app.owner_token, START, json!({}), "big.csv", bytes).await;
    res["data"]["startImport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).parse().unwrap()
}

#[tokio::test]
async fn a_job_killed_mid_import_resumes_and_imports_every_row_exactly_once() {
    let app = TestApp::new().await;
    let id = start(&app, &rows(2500)).await;
    // A server claims the job, writes one batch, and dies.
    let claimed = api::jobs::queue::claim(&app.db, "doomed").await.unwrap().unwrap();
    api::jobs::worker::run(&app.state.job_runtime(), claimed, Some(1)).await.unwrap();
    assert_eq!(contact_count(&app).await, 1000);
    let mid = job::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((mid.checkpoint, mid.state), (1000, entity::enums::JobState::Running));
    // Its lease runs out; another server claims the job and resumes from the checkpoint.
    let mut expired: job::ActiveModel = mid.into();
    expired.locked_until = Set(Some(chrono::Utc::now() - chrono::Duration::minutes(5)));
    expired.update(&app.db).await.unwrap();
    assert_eq!(app.run_jobs().await, 1);

    let done = app.gql(Some(&app.owner_token), JOB, json!({ "id": id })).await["data"]["importJob"].clone();
    assert_eq!(
        (done["state"].as_str(), done["created"].as_i64(), done["processed"].as_i64()),
        (Some("DONE"), Some(2500), Some(2500)),
        "{done}"
    );
    assert_eq!(contact_count(&app).await, 2500, "no row lost or imported twice");
    let outcomes = report(&app, &done).await;
    assert_eq!(outcomes.len(), 2500);
    assert!(outcomes.iter().all(|(o, _)| o == "CREATED"));
}

#[tokio::test]
async fn a_live_lease_is_not_claimed_twice() {
    let app = TestApp::new().await;
    start(&app, &rows(3)).await;
    assert!(api::jobs::queue::claim(&app.db, "one").await.unwrap().is_some());
    assert!(api::jobs::queue::claim(&app.db, "two").await.unwrap().is_none(), "the job is leased to `one`");
}

#[tokio::test]
async fn cancelling_stops_between_batches_and_keeps_what_was_imported() {
    let app = TestApp::new().await;
    let queued = start(&app, &rows(10)).await;
    let cancel = "mutation($id: ID!) { cancelImport(id: $id) { state } }";
    let res = app.gql(Some(&app.owner_token), cancel, json!({ "id": queued })).await;
    assert_eq!(res["data"]["cancelImport"]["state"], "CANCELLED", "{res}");

    let id = start(&app, &rows(2500)).await;
    let claimed = api::jobs::queue::claim(&app.db, "w").await.unwrap().unwrap();
    api::jobs::worker::run(&app.state.job_runtime(), claimed, Some(1)).await.unwrap();
    let res = app.gql(Some(&app.owner_token), cancel, json!({ "id": id })).await;
    assert_eq!(res["data"]["cancelImport"]["state"], "RUNNING", "asked to stop: {res}");
    let job = job::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    api::jobs::worker::run(&app.state.job_runtime(), job, None).await.unwrap();
    let done = app.gql(Some(&app.owner_token), JOB, json!({ "id": id })).await["data"]["importJob"].clone();
    assert_eq!((done["state"].as_str(), done["created"].as_i64()), (Some("CANCELLED"), Some(1000)));
    assert_eq!(contact_count(&app).await, 1000);
    let outcomes = report(&app, &done).await;
    assert_eq!(outcomes.iter().filter(|(o, _)| o == "NOT_PROCESSED").count(), 1500);
    let again = app.gql(Some(&app.owner_token), cancel, json!({ "id": id })).await;
    assert_eq!(crate::harness::code(&again), "BAD_USER_INPUT");
}

#[tokio::test]
async fn report_links_are_signed_and_refuse_tampering() {
    let app = TestApp::new().await;
    let job = super::import(&app, "a.csv", b"phone,name\n+50688881111,Ana\n", json!({})).await;
    let link = job["reportUrl"].as_str().unwrap().to_string();
    assert_eq!(app.download(&link).await.0, 200);
    let (other_org, _) = app.other_organization().await;
    let moved = link.replacen(&app.org_id.to_string(), &other_org.to_string(), 1);
    assert_eq!(app.download(&moved).await.0, 403, "a link altered to another organization");
    let expired = link.replace("expires=", "expires=1").replace("&signature", "0&signature");
    assert_eq!(app.download(&expired).await.0, 403);
    let bare = link.split('?').next().unwrap().to_string();
    assert_eq!(app.download(&bare).await.0, 403);
    assert_eq!(app.download(&format!("{bare}?expires=9999999999&signature=00")).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_claiming_at_once_get_each_job_exactly_once() {
    let app = std::sync::Arc::new(TestApp::new().await);
    for _ in 0..3 {
        start(&app, &rows(2)).await;
    }
    let claims: Vec<_> = (0..6)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                api::jobs::queue::claim(&app.db, &format!("server-{i}")).await.unwrap().map(|j| j.id)
            })
        })
        .collect();
    let mut got = Vec::new();
    for c in claims {
        got.extend(c.await.unwrap());
    }
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!((before, got.len()), (3, 3), "three jobs, each claimed by exactly one server");
}
