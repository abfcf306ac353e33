//! The funnel: current counts, entries from the audit trail, conversion, and only what the caller sees.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const FUNNEL: &str = "query($from: DateTime!, $to: DateTime!, $a: ID, $s: ContactSource) { funnel(from: $from, to: $to, assigneeId: $a, source: $s) { stages { stage { id name } current entered conversion } } }";

fn period() -> (String, String) {
    let now = chrono::Utc::now();
    ((now - chrono::Duration::days(1)).to_rfc3339(), (now + chrono::Duration::days(1)).to_rfc3339())
}

async fn funnel(app: &TestApp, token: &str, extra: Value) -> Value {
    let (from, to) = period();
    let mut vars = json!({ "from": from, "to": to });
    vars.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app.gql(Some(token), FUNNEL, vars).await
}

/// (name, current, entered, conversion) per stage.
fn figures(res: &Value) -> Vec<(String, i64, i64, Option<f64>)> {
    res["data"]["funnel"]["stages"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|s| {
            let name = s["stage"]["name"].as_str().unwrap().to_string();
            (name, s["current"].as_i64().unwrap(), s["entered"].as_i64().unwrap(), s["conversion"].as_f64())
        })
        .collect()
}

async fn move_to(app: &TestApp, id: &Value, stage: &str) {
    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id name } }", json!({})).await;
    let list = stages["data"]["pipelineStages"].as_array().unwrap();
    let stage_id = list.iter().find(|s| s["name"] == stage).unwrap()["id"].clone();
    let update = "mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id } }";
    let res = app.gql(Some(&app.owner_token), update, json!({ "id": id, "i": { "statusId": stage_id } })).await;
    assert!(res["errors"].is_null(), "{res}");
}

#[tokio::test]
async fn the_funnel_counts_entries_and_conversions_over_visible_contacts_only() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let c1 = app.contact(t, json!({ "name": "One", "phone": "+50688000061", "assigneeId": a_id })).await;
    app.contact(t, json!({ "name": "Two", "phone": "+50688000062" })).await;
    let c3 = app.contact(t, json!({ "name": "Three", "phone": "+50688000063", "assigneeId": b_id })).await;
    move_to(&app, &c1["id"], "Qualified").await;
    move_to(&app, &c3["id"], "Qualified").await;
    move_to(&app, &c3["id"], "Visit scheduled").await;

    let all = figures(&funnel(&app, t, json!({})).await);
    assert_eq!(all[0], ("New".into(), 1, 3, Some(2.0 / 3.0)));
    assert_eq!(all[1], ("Qualified".into(), 1, 2, Some(0.5)));
    assert_eq!(all[2], ("Visit scheduled".into(), 1, 1, Some(0.0)));
    assert_eq!((all[3].2, all[3].3), (0, None), "closing stages convert to nothing");

    // Agent A sees their contact and the unassigned one, never agent B's.
    let mine = figures(&funnel(&app, &agent_a, json!({})).await);
    assert_eq!(mine[0], ("New".into(), 1, 2, Some(0.5)));
    assert_eq!(mine[1], ("Qualified".into(), 1, 1, Some(0.0)));
    assert_eq!((mine[2].1, mine[2].2), (0, 0));

    // One agent's funnel, one source's, and bad input.
    let b_only = figures(&funnel(&app, t, json!({ "a": b_id })).await);
    assert_eq!((b_only[0].2, b_only[2].1), (1, 1));
    let whatsapp = figures(&funnel(&app, t, json!({ "s": "WHATSAPP" })).await);
    assert!(whatsapp.iter().all(|s| s.1 == 0 && s.2 == 0));
    let unknown = funnel(&app, t, json!({ "a": uuid::Uuid::new_v4() })).await;
    assert_eq!(code(&unknown), "BAD_USER_INPUT");
    let backwards =
        app.gql(Some(t), FUNNEL, json!({ "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" })).await;
    assert_eq!(code(&backwards), "BAD_USER_INPUT");
}

/// Conversion is a share of the contacts that entered a stage: skipped stages, moves backwards, a stage added
/// mid-period and a reorder afterwards keep it between 0 and 1.
#[tokio::test]
async fn conversion_is_a_share_whatever_the_moves_and_the_order() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let create = "mutation { createPipelineStage(input: { name: \"Offer\", kind: OPEN }) { id } }";
    let mut contacts = Vec::new();
    for i in 1..=5 {
        contacts.push(
            app.contact(t, json!({ "name": format!("C{i}"), "phone": format!("+5068800007{i}") })).await["id"].clone(),
        );
    }
    move_to(&app, &contacts[0], "Closed - Won").await; // skips every open stage
    for stage in ["Qualified", "New", "Qualified"] {
        move_to(&app, &contacts[1], stage).await; // forwards, back, forwards again
    }
    move_to(&app, &contacts[2], "Closed - Lost").await; // lost is no conversion
    assert!(app.gql(Some(t), create, json!({})).await["errors"].is_null());
    move_to(&app, &contacts[3], "Offer").await; // a stage added mid-period
    move_to(&app, &contacts[4], "Qualified").await;
    move_to(&app, &contacts[4], "Visit scheduled").await;
    // Visit scheduled now comes before Qualified: C5's last move is a step back.
    let stages = app.gql(Some(t), "{ pipelineStages { id name } }", json!({})).await["data"]["pipelineStages"].clone();
    let id = |name: &str| stages.as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["id"].clone();
    let order: Vec<Value> = ["New", "Visit scheduled", "Qualified", "Offer", "Closed - Won", "Closed - Lost"]
        .iter()
        .map(|n| id(n))
        .collect();
    let res = app
        .gql(Some(t), "mutation($ids: [ID!]!) { reorderPipelineStages(ids: $ids) { id } }", json!({ "ids": order }))
        .await;
    assert!(res["errors"].is_null(), "{res}");

    let all = figures(&funnel(&app, t, json!({})).await);
    let names: Vec<&str> = all.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["New", "Visit scheduled", "Qualified", "Offer", "Closed - Won", "Closed - Lost"]);
    assert_eq!((all[0].2, all[0].3), (5, Some(0.8)), "C1, C2, C4 and C5 went on; C3 was lost");
    assert_eq!((all[1].2, all[1].3), (1, Some(0.0)));
    assert_eq!((all[2].2, all[2].3), (2, Some(0.0)), "a re-entry or a step back is no conversion");
    assert_eq!((all[3].2, all[3].3), (1, Some(0.0)));
    assert_eq!((all[4].3, all[5].3), (None, None));
    assert!(all.iter().filter_map(|s| s.3).all(|c| (0.0..=1.0).contains(&c)));
}
