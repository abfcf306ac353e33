//! Lists read through a real streaming replica (made with `pg_basebackup -R`): a write shows in the
//! mutation's answer at once and in lists once the replica replays it; a replica far behind or down sends
//! those reads to the primary; the replica path keeps every visibility rule.

use std::time::Duration;

use api::db::DbOptions;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::{Server, standby};
use crate::harness::{TestApp, eventually, gql_to};

const LIST: &str = "{ contacts(first: 50) { totalCount edges { node { name } } } }";

/// Only PostgreSQL has replicas (SQLite is one embedded process): on SQLite these tests have nothing to run.
async fn on_postgres() -> Option<(TestApp, String)> {
    let primary = std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))?;
    Some((TestApp::new().await, primary))
}

async fn beside_with_replica(app: &TestApp, url: String, max_lag_ms: u64) -> Server {
    let server = Server::with_config(app, |c| c.replica_max_lag_ms = max_lag_ms);
    let options = DbOptions {
        url,
        max_connections: 3,
        acquire_timeout: Duration::from_secs(3),
        search_path: app.search_path(),
        generic_plans: false,
        lazy: true,
    };
    server.state.attach_replica(options).await.unwrap();
    server
}

async fn names(server: &Server, token: &str) -> Vec<String> {
    let (_, res) = gql_to(&server.router, Some(token), LIST, json!({})).await;
    let edges = res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_read_the_replica_until_it_falls_behind_and_a_write_shows_in_its_own_answer_at_once() {
    let Some((app, primary)) = on_postgres().await else { return };
    let b = beside_with_replica(&app, standby::url(&primary), 3_000).await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let (_, other) = app.user("AGENT", "other@acme.test").await;
    app.contact(&agent, json!({ "name": "Mine" })).await;
    app.contact(&other, json!({ "name": "Theirs" })).await;
    eventually("the replica in use and caught up", Duration::from_secs(10), async || {
        b.state.reads.on_replica() && names(&b, &agent).await == ["Mine"]
    })
    .await;
    // Through the replica, each agent still sees only their own.
    assert_eq!(names(&b, &other).await, ["Theirs"]);

    // Replay stops: a contact created through A now is in the mutation's answer, not yet in B's list.
    let replica = standby::connect(&primary).await;
    replica.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    let create = "mutation { createContact(input: { name: \"Lagging\" }) { name } }";
    let (_, res) = gql_to(&app.router, Some(&agent), create, json!({})).await;
    assert_eq!(res["data"]["createContact"]["name"], "Lagging", "{res}");
    let seen: Value = json!(names(&b, &agent).await);
    let resume = async || replica.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    if b.state.reads.on_replica() && seen != json!(["Mine"]) {
        resume().await;
        panic!("a list read from the paused replica already shows the new contact: {seen}");
    }
    // Past the lag allowed, lists read the primary.
    eventually("lists on the primary while the replica lags", Duration::from_secs(15), async || {
        names(&b, &agent).await.len() == 2
    })
    .await;
    assert!(!b.state.reads.on_replica());
    resume().await;
    eventually("back on the replica once it catches up", Duration::from_secs(15), async || b.state.reads.on_replica())
        .await;
    let mut now = names(&b, &agent).await;
    now.sort();
    assert_eq!(now, ["Lagging", "Mine"]);
}

#[tokio::test]
async fn with_the_replica_down_lists_read_the_primary_and_the_server_stays_ready() {
    let Some((app, primary)) = on_postgres().await else { return };
    let down = standby::on_port(&primary, 9); // Nothing listens there.
    let b = beside_with_replica(&app, down, 1_000).await;
    app.contact(&app.owner_token, json!({ "name": "Ana" })).await;
    // A few measurements have failed by now: the replica is known to be unmeasurable, not just unmeasured.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(b.state.reads.lag(), None);
    assert!(!b.state.reads.on_replica());
    assert_eq!(names(&b, &app.owner_token).await, ["Ana"]);
    let ready = b.download("/ready").await;
    assert_eq!(ready.0, 200, "{}", String::from_utf8_lossy(&ready.1));
}
