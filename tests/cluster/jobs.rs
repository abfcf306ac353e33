//! Jobs across servers: with both servers running jobs each job runs exactly once, and on PostgreSQL a
//! subscriber on the server that did not run it follows it to its end.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::{Server, weed};
use crate::{
    harness::TestApp,
    imports::{JOB, START, leads_csv},
    live::{connect, next_json, serve, settle},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_servers_running_jobs_each_import_runs_once_and_a_subscriber_on_the_other_sees_it_end() {
    let app = TestApp::with_config(weed::use_bucket).await;
    let b = Server::beside(&app);
    let mut ids = Vec::new();
    for n in 0..4 {
        let (_, res) = app.upload(&app.owner_token, START, json!({}), "leads.csv", &leads_csv(n * 1000, 1200)).await;
        ids.push(res["data"]["startImport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string());
    }
    // Several servers only share live events on PostgreSQL (SQLite is one embedded process).
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let mut follower = None;
    if postgres {
        let (mut ws, _) = connect(serve(b.router.clone()).await, &app.owner_token).await;
        let q = format!("subscription {{ importJobUpdated(id: \"{}\") {{ state created }} }}", ids[0]);
        ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": q } }).to_string()))
            .await
            .unwrap();
        settle().await;
        follower = Some(ws);
    }

    let (on_a, on_b) = tokio::join!(app.run_jobs(), b.run_jobs());
    assert_eq!(on_a + on_b, 4, "every job ran once in all (A ran {on_a}, B ran {on_b})");
    for id in &ids {
        let job = app.gql(Some(&app.owner_token), JOB, json!({ "id": id })).await["data"]["importJob"].clone();
        assert_eq!(job["state"], "DONE", "{job}");
    }
    // Overlapping rows are duplicates of the earlier file whichever server ran which.
    let count = app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await;
    assert_eq!(count["data"]["contacts"]["totalCount"], 3 * 1000 + 1200, "{count}");

    if let Some(mut ws) = follower {
        let mut last = next_json(&mut ws).await.expect("the job's state");
        while last["payload"]["data"]["importJobUpdated"]["state"] != "DONE" {
            last = next_json(&mut ws).await.expect("updates until the end");
        }
    }
}
