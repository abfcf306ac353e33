//! Who may manage users, and what each mistake answers.

use serde_json::json;

use crate::harness::{TestApp, code};

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email role } }";
const USERS: &str = "{ users { email role } }";

fn input(email: &str, role: &str) -> serde_json::Value {
    json!({ "input": { "email": email, "name": "Someone", "role": role, "password": "long enough pw" } })
}

async fn user_count(app: &TestApp) -> usize {
    app.gql(Some(&app.owner_token), USERS, json!({})).await["data"]["users"].as_array().unwrap().len()
}

#[tokio::test]
async fn viewers_and_agents_cannot_manage_users_and_nothing_is_written() {
    let app = TestApp::new().await;
    let (_, viewer) = app.user("VIEWER", "viewer@acme.test").await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let before = user_count(&app).await;
    for token in [&viewer, &agent] {
        let res = app.gql(Some(token), CREATE, input("x@acme.test", "AGENT")).await;
        assert_eq!(code(&res), "FORBIDDEN", "{res}");
        assert!(res["data"].is_null());
        let res = app
            .gql(Some(token), "mutation { updateOrganization(input: { name: \"Mine\" }) { name } }", json!({}))
            .await;
        assert_eq!(code(&res), "FORBIDDEN");
    }
    assert_eq!(user_count(&app).await, before);
    let org = app.gql(Some(&app.owner_token), "{ organization { name } }", json!({})).await;
    assert_eq!(org["data"]["organization"]["name"], "Acme Realty");
}

#[tokio::test]
async fn admins_add_agents_but_only_owners_add_admins_and_owners() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("ADMIN", "admin@acme.test").await;
    let res = app.gql(Some(&admin), CREATE, input("agent@acme.test", "AGENT")).await;
    assert_eq!(res["data"]["createUser"]["role"], "AGENT", "{res}");
    for role in ["ADMIN", "OWNER"] {
        let res = app.gql(Some(&admin), CREATE, input(&format!("{role}@acme.test"), role)).await;
        assert_eq!(code(&res), "FORBIDDEN");
    }
    let res = app.gql(Some(&app.owner_token), CREATE, input("second-owner@acme.test", "OWNER")).await;
    assert_eq!(res["data"]["createUser"]["role"], "OWNER", "{res}");
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_on_the_email_field() {
    let app = TestApp::new().await;
    app.gql(Some(&app.owner_token), CREATE, input("dup@acme.test", "AGENT")).await;
    let res = app.gql(Some(&app.owner_token), CREATE, input("DUP@acme.test", "VIEWER")).await;
    assert_eq!(code(&res), "CONFLICT", "{res}");
    assert_eq!(res["errors"][0]["extensions"]["field"], "email");
}

#[tokio::test]
async fn bad_user_input_names_the_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let before = user_count(&app).await;
    let long_name = "n".repeat(10_000);
    let cases = [
        (json!({ "email": "not-an-email", "name": "A", "role": "AGENT" }), "email"),
        (json!({ "email": "a@acme.test", "name": "  ", "role": "AGENT" }), "name"),
        (json!({ "email": "a@acme.test", "name": long_name, "role": "AGENT" }), "name"),
        (json!({ "email": "a@acme.test", "name": "A", "role": "AGENT", "password": "short" }), "password"),
        (
            json!({ "email": "a@acme.test", "name": "A", "role": "VIEWER", "viewerAgentIds": ["nope"] }),
            "viewerAgentIds",
        ),
        (
            json!({ "email": "a@acme.test", "name": "A", "role": "VIEWER", "viewerAgentIds": [uuid::Uuid::now_v7()] }),
            "viewerAgentIds",
        ),
    ];
    for (input, field) in cases {
        let res = app.gql(Some(&app.owner_token), CREATE, json!({ "input": input })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert_eq!(res["errors"][0]["extensions"]["field"], field, "{res}");
    }
    assert_eq!(user_count(&app).await, before);
}

#[tokio::test]
async fn the_last_active_owner_cannot_be_demoted_or_deactivated() {
    let app = TestApp::new().await;
    for patch in ["{ active: false }", "{ role: ADMIN }"] {
        let q = format!("mutation($id: ID!) {{ updateUser(id: $id, input: {patch}) {{ role active }} }}");
        let res = app.gql(Some(&app.owner_token), &q, json!({ "id": app.owner_id })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
    }
    let me = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "OWNER");
}

#[tokio::test]
async fn users_of_another_organization_are_neither_listed_nor_reachable() {
    let app = TestApp::new().await;
    let (_, other_owner) = app.other_organization().await;
    let (agent_id, _) = app.user("AGENT", "agent@acme.test").await;

    let theirs = app.gql(Some(&other_owner), USERS, json!({})).await;
    let emails: Vec<&str> =
        theirs["data"]["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["owner@other.test"]);

    let res = app
        .gql(
            Some(&other_owner),
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Mine\" }) { name } }",
            json!({ "id": agent_id }),
        )
        .await;
    assert_eq!(code(&res), "NOT_FOUND");
}

#[tokio::test]
async fn a_viewer_can_be_scoped_to_chosen_agents_and_back_to_all() {
    let app = TestApp::new().await;
    let (agent_id, _) = app.user("AGENT", "agent@acme.test").await;
    let (viewer_id, viewer) = app.user_with("VIEWER", "viewer@acme.test", json!([agent_id])).await;
    let me = app.gql(Some(&viewer), "{ me { user { viewerAgentIds } } }", json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["viewerAgentIds"], json!([agent_id]));

    let q = "mutation($id: ID!) { updateUser(id: $id, input: { viewerAgentIds: null }) { viewerAgentIds } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "id": viewer_id })).await;
    assert!(res["data"]["updateUser"]["viewerAgentIds"].is_null(), "{res}");
}
