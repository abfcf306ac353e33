//! One list of jobs (imports, exports, bulk actions), each caller seeing what they may follow, and one way
//! to cancel any of them.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const JOBS: &str = "query($k: JobKind, $s: JobState) { jobs(kind: $k, state: $s, first: 10) { totalCount edges { node { id kind state } } } }";

async fn kinds(app: &TestApp, token: &str, vars: Value) -> Vec<(String, String)> {
    let res = app.gql(Some(token), JOBS, vars).await;
    let edges = res["data"]["jobs"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges
        .iter()
        .map(|e| (e["node"]["kind"].as_str().unwrap().to_string(), e["node"]["state"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn jobs_are_one_list_each_caller_sees_their_own_and_any_can_be_cancelled() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let (_, other_agent) = app.user("AGENT", "other@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "viewer@acme.test").await;
    app.contact(t, json!({ "name": "Ana", "phone": "+50688000411" })).await;
    let start = "mutation { startExport(input: { format: CSV, scope: ALL }) { id } }";
    let agents_export = app.gql(Some(&agent), start, json!({})).await["data"]["startExport"]["id"].clone();
    let (_, res) =
        app.upload(t, crate::imports::START, json!({ "dry": true }), "a.csv", b"phone,name\n+50688000412,Bea\n").await;
    let import = res["data"]["startImport"]["id"].clone();

    // Newest first; the owner sees both, the agent their export, others nothing.
    assert_eq!(
        kinds(&app, t, json!({})).await,
        [("IMPORT".into(), "QUEUED".into()), ("EXPORT".into(), "QUEUED".into())]
    );
    assert_eq!(kinds(&app, &agent, json!({})).await, [("EXPORT".to_string(), "QUEUED".to_string())]);
    assert!(kinds(&app, &other_agent, json!({})).await.is_empty());
    assert!(kinds(&app, &viewer, json!({})).await.is_empty());
    assert_eq!(kinds(&app, t, json!({ "k": "IMPORT" })).await.len(), 1);

    // Nobody reaches a job they may not follow, through `job` or `cancelJob`.
    let one = "query($id: ID!) { job(id: $id) { id } }";
    assert_eq!(app.gql(Some(&other_agent), one, json!({ "id": agents_export })).await["data"]["job"], Value::Null);
    let cancel = "mutation($id: ID!) { cancelJob(id: $id) { kind state } }";
    for (who, token, id) in [("another agent", &other_agent, &agents_export), ("the agent", &agent, &import)] {
        assert_eq!(code(&app.gql(Some(token), cancel, json!({ "id": id })).await), "NOT_FOUND", "{who}");
    }
    assert_eq!(code(&app.gql(Some(&viewer), cancel, json!({ "id": agents_export })).await), "NOT_FOUND");

    let res = app.gql(Some(&agent), cancel, json!({ "id": agents_export })).await;
    assert_eq!(res["data"]["cancelJob"], json!({ "kind": "EXPORT", "state": "CANCELLED" }), "{res}");
    let res = app.gql(Some(t), cancel, json!({ "id": import })).await;
    assert_eq!(res["data"]["cancelJob"]["state"], "CANCELLED", "{res}");
    assert_eq!(code(&app.gql(Some(t), cancel, json!({ "id": import })).await), "BAD_USER_INPUT", "already ended");
    assert_eq!(kinds(&app, t, json!({ "s": "CANCELLED" })).await.len(), 2);
    assert!(kinds(&app, t, json!({ "s": "QUEUED" })).await.is_empty());
}
