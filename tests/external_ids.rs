//! Ids in other systems: one per system per contact, unique per system in the organization, found only
//! within what the caller can see.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const SET: &str = "mutation($c: ID!, $s: String!, $e: String!) { setExternalId(contactId: $c, system: $s, externalId: $e) { identifiers { kind value } } }";
const FIND: &str = "query($s: String!, $e: String!) { contactByExternalId(system: $s, externalId: $e) { name } }";

async fn set(app: &TestApp, token: &str, c: &Value, system: &str, id: &str) -> Value {
    app.gql(Some(token), SET, json!({ "c": c["id"], "s": system, "e": id })).await
}

async fn find(app: &TestApp, token: &str, system: &str, id: &str) -> Value {
    app.gql(Some(token), FIND, json!({ "s": system, "e": id })).await["data"]["contactByExternalId"].clone()
}

#[tokio::test]
async fn external_ids_are_unique_per_system_replaceable_and_found_only_when_visible() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    let ana = app.contact(t, json!({ "name": "Ana", "phone": "+50688000101", "assigneeId": a_id })).await;
    let bea = app.contact(t, json!({ "name": "Bea", "phone": "+50688000102" })).await;

    let res = set(&app, t, &ana, "Chatwoot", "123").await;
    assert!(res["data"]["setExternalId"]["identifiers"].to_string().contains("chatwoot:123"), "{res}");
    assert_eq!(find(&app, t, "chatwoot", "123").await["name"], "Ana");
    assert_eq!(code(&set(&app, t, &bea, "chatwoot", "123").await), "CONFLICT", "unique per system");
    set(&app, t, &bea, "hubspot", "123").await;
    assert_eq!(find(&app, t, "hubspot", "123").await["name"], "Bea", "the same id in another system is fine");

    // One id per system: setting another replaces it; an empty id removes it.
    set(&app, t, &ana, "chatwoot", "456").await;
    assert_eq!(find(&app, t, "chatwoot", "123").await, Value::Null);
    assert_eq!(find(&app, t, "chatwoot", "456").await["name"], "Ana");

    // Visibility: agent B neither finds nor changes agent A's contact.
    assert_eq!(find(&app, &agent_b, "chatwoot", "456").await, Value::Null);
    assert_eq!(find(&app, &agent_a, "chatwoot", "456").await["name"], "Ana");
    assert_eq!(code(&set(&app, &agent_b, &ana, "chatwoot", "789").await), "NOT_FOUND");
    assert_eq!(code(&set(&app, t, &ana, "bad system!", "1").await), "BAD_USER_INPUT");
    let add = "mutation($c: ID!) { addContactIdentifier(contactId: $c, kind: EXTERNAL, value: \"x:1\") { id } }";
    assert_eq!(code(&app.gql(Some(t), add, json!({ "c": ana["id"] })).await), "BAD_USER_INPUT");

    set(&app, t, &ana, "chatwoot", "").await;
    assert_eq!(find(&app, t, "chatwoot", "456").await, Value::Null);
}

#[tokio::test]
async fn replacing_one_systems_id_leaves_a_similarly_named_system_alone() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000071" })).await;
    set(&app, &app.owner_token, &c, "axb", "1").await;
    set(&app, &app.owner_token, &c, "a_b", "2").await;
    let res = set(&app, &app.owner_token, &c, "a_b", "3").await;
    let ids = res["data"]["setExternalId"]["identifiers"].to_string();
    assert!(ids.contains("axb:1") && ids.contains("a_b:3") && !ids.contains("a_b:2"), "{res}");
}
