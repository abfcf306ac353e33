//! API tokens: shown once, stored hashed, usable as bearer tokens with their role, dead once revoked.

use entity::api_token;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const CREATE: &str = "mutation($n: String!, $r: Role!) { createApiToken(name: $n, role: $r) { token apiToken { id name role prefix } } }";

async fn create(app: &TestApp, token: &str, role: &str) -> Value {
    app.gql(Some(token), CREATE, json!({ "n": "Chatwoot sync", "r": role })).await
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_acts_with_its_role_until_revoked() {
    let app = TestApp::new().await;
    let res = create(&app, &app.owner_token, "ADMIN").await;
    let secret = res["data"]["createApiToken"]["token"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    let id = res["data"]["createApiToken"]["apiToken"]["id"].clone();
    assert!(secret.starts_with("ct_") && secret.len() > 40);
    assert!(secret.starts_with(res["data"]["createApiToken"]["apiToken"]["prefix"].as_str().unwrap()));

    let stored = api_token::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, secret, "only a hash is stored");
    assert!(!stored[0].token_hash.contains(&secret[3..]));
    let listed = app.gql(Some(&app.owner_token), "{ apiTokens { id name lastUsedAt } }", json!({})).await;
    assert!(!listed.to_string().contains(&secret), "the secret is never shown again");

    // It works as a bearer token: the integration acts as the organization with the token's role.
    let created = app.contact(&secret, json!({ "name": "From Chatwoot", "phone": "+50688000051" })).await;
    let me = app.gql(Some(&secret), "{ me { role user { id } organization { id } } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "ADMIN");
    assert_eq!(me["data"]["me"]["user"], Value::Null);
    let trail = app
        .gql(
            Some(&app.owner_token),
            "query($c: ID!) { auditEvents(contactId: $c, first: 5) { edges { node { kind } } } }",
            json!({ "c": created["id"] }),
        )
        .await;
    assert!(trail.to_string().contains("contact.created"), "{trail}");

    let revoked = app
        .gql(
            Some(&app.owner_token),
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert!(revoked["data"]["revokeApiToken"]["revokedAt"].is_string(), "{revoked}");
    let (status, res) = app.gql_status(Some(&secret), "{ me { role } }", json!({})).await;
    assert_eq!((status.as_u16(), code(&res)), (401, "UNAUTHENTICATED"));
    let (status, _) =
        app.gql_status(Some("ct_made-up-token-that-was-never-issued"), "{ me { role } }", json!({})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn roles_limit_who_creates_tokens_and_what_a_token_may_do() {
    let app = TestApp::new().await;
    let (_, agent) = app.user("AGENT", "a@acme.test").await;
    assert_eq!(code(&create(&app, &agent, "VIEWER").await), "FORBIDDEN");
    assert_eq!(code(&create(&app, &app.owner_token, "OWNER").await), "BAD_USER_INPUT");

    let viewer =
        create(&app, &app.owner_token, "VIEWER").await["data"]["createApiToken"]["token"].as_str().unwrap().to_string();
    let res =
        app.gql(Some(&viewer), harness_create(), json!({ "input": { "name": "No", "phone": "+50688000052" } })).await;
    assert_eq!(code(&res), "FORBIDDEN", "a viewer token cannot write");
    assert_eq!(
        code(&create(&app, &viewer, "ADMIN").await),
        "FORBIDDEN",
        "a token cannot mint tokens above admin rights"
    );

    // An agent token acts without a user: it sees unassigned contacts only, never an agent's.
    let (agent_id, _) = app.user("AGENT", "b@acme.test").await;
    app.contact(&app.owner_token, json!({ "name": "Assigned", "phone": "+50688000053", "assigneeId": agent_id })).await;
    app.contact(&app.owner_token, json!({ "name": "Open", "phone": "+50688000054" })).await;
    let agent_token =
        create(&app, &app.owner_token, "AGENT").await["data"]["createApiToken"]["token"].as_str().unwrap().to_string();
    let list = app.gql(Some(&agent_token), "{ contacts(first: 10) { edges { node { name } } } }", json!({})).await;
    assert_eq!(list["data"]["contacts"]["edges"], json!([{ "node": { "name": "Open" } }]));

    // Another organization cannot revoke or list this organization's tokens.
    let id = create(&app, &app.owner_token, "ADMIN").await["data"]["createApiToken"]["apiToken"]["id"].clone();
    let (_, other) = app.other_organization().await;
    let res = app.gql(Some(&other), "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(code(&res), "NOT_FOUND");
    let listed = app.gql(Some(&other), "{ apiTokens { id } }", json!({})).await;
    assert_eq!(listed["data"]["apiTokens"], json!([]));
}

fn harness_create() -> &'static str {
    crate::harness::CREATE_CONTACT
}
