//! Tokens are checked strictly, and a change to the user behind one applies at once, on every server.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::harness::{OWNER_EMAIL, PASSWORD, TEST_SECRET, TestApp, code, gql_to};

const ME: &str = "{ me { role user { email } organization { name } } }";

fn claims(app: &TestApp, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "sub": app.owner_id, "org": app.org_id, "iss": "contacts-api", "aud": "contacts-api",
        "iat": now, "exp": now + 600,
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str) {
    let (status, res) = app.gql_status(Some(token), ME, json!({})).await;
    assert_eq!(status, 401, "{res}");
    assert_eq!(code(&res), "UNAUTHENTICATED");
    assert!(res.get("data").is_none_or(Value::is_null), "no data may leak: {res}");
}

#[tokio::test]
async fn login_with_the_right_password_gives_a_token_that_answers_me() {
    let app = TestApp::new().await;
    let res = app
        .gql(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { email } } }",
            json!({ "e": "  Owner@ACME.test ", "p": PASSWORD }),
        )
        .await;
    let token = res["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("{res}"));
    let me = app.gql(Some(token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["email"], OWNER_EMAIL);
    assert_eq!(me["data"]["me"]["role"], "OWNER");
    assert_eq!(me["data"]["me"]["organization"]["name"], "Acme Realty");
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_email_is_unauthenticated_alike() {
    let app = TestApp::new().await;
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let wrong = app.gql(None, q, json!({ "e": OWNER_EMAIL, "p": "not the password" })).await;
    let unknown = app.gql(None, q, json!({ "e": "nobody@acme.test", "p": PASSWORD })).await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED");
    assert_eq!(code(&unknown), "UNAUTHENTICATED");
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
    assert!(wrong["data"].is_null());
}

#[tokio::test]
async fn a_query_without_a_token_is_unauthenticated() {
    let app = TestApp::new().await;
    let res = app.gql(None, ME, json!({})).await;
    assert_eq!(code(&res), "UNAUTHENTICATED");
}

#[tokio::test]
async fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
    let app = TestApp::new().await;
    let secret = TEST_SECRET.as_bytes();
    // Sanity: a hand-made token with the right claims works, so each refusal below is for its one flaw.
    let good = sign(&claims(&app, json!({})), secret);
    assert_eq!(app.gql(Some(&good), ME, json!({})).await["data"]["me"]["role"], "OWNER");

    let past = chrono::Utc::now().timestamp() - 3600;
    assert_refused(&app, &sign(&claims(&app, json!({ "exp": past })), secret)).await;
    assert_refused(&app, &sign(&claims(&app, json!({ "exp": null })), secret)).await;
    assert_refused(&app, &sign(&claims(&app, json!({ "aud": "another-service" })), secret)).await;
    assert_refused(&app, &sign(&claims(&app, json!({ "iss": "someone-else" })), secret)).await;
    assert_refused(&app, &sign(&claims(&app, json!({})), b"another-secret-of-at-least-thirty-two-bytes")).await;

    // Tampered: the payload names another organization, the signature is the original one.
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    let forged = claims(&app, json!({ "org": uuid::Uuid::now_v7() }));
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    assert_refused(&app, &parts.join(".")).await;

    // `alg: none` with no signature.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&app, json!({})).to_string());
    assert_refused(&app, &format!("{header}.{payload}.")).await;

    // Garbage and a token for a user that does not exist.
    assert_refused(&app, "not-a-jwt").await;
    assert_refused(&app, &sign(&claims(&app, json!({ "sub": uuid::Uuid::now_v7() })), secret)).await;
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused_not_ignored() {
    let app = TestApp::new().await;
    let req = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", "Basic b3duZXI6cGFzcw==")
        .body(axum::body::Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap();
    let response = app.send(req).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_deactivated_users_valid_token_stops_working_at_once() {
    let app = TestApp::new().await;
    let (agent_id, agent_token) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(app.gql(Some(&agent_token), ME, json!({})).await["data"]["me"]["role"], "AGENT");

    let res = app
        .gql(
            Some(&app.owner_token),
            "mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { active } }",
            json!({ "id": agent_id }),
        )
        .await;
    assert_eq!(res["data"]["updateUser"]["active"], false, "{res}");
    assert_refused(&app, &agent_token).await;

    let login = app
        .gql(
            None,
            "mutation { login(email: \"agent@acme.test\", password: \"correct horse battery\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&login), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_rights_with_the_same_token() {
    let app = TestApp::new().await;
    let (admin_id, admin_token) = app.user("ADMIN", "admin@acme.test").await;
    let create = "mutation { createUser(input: { email: \"new@acme.test\", name: \"New\", role: AGENT }) { id } }";
    assert!(app.gql(Some(&admin_token), create, json!({})).await["data"]["createUser"]["id"].is_string());

    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!) { updateUser(id: $id, input: { role: VIEWER }) { role } }",
        json!({ "id": admin_id }),
    )
    .await;
    let again = "mutation { createUser(input: { email: \"new2@acme.test\", name: \"New\", role: AGENT }) { id } }";
    assert_eq!(code(&app.gql(Some(&admin_token), again, json!({})).await), "FORBIDDEN");
}

/// The contact names a token's list shows on one server, in order.
async fn names(router: &axum::Router, token: &str) -> Vec<String> {
    let (_, res) = gql_to(
        router,
        Some(token),
        "{ contacts(first: 10, orderBy: { field: NAME, direction: ASC }) { edges { node { name } } } }",
        json!({}),
    )
    .await;
    let edges = res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{res}"));
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

/// Waits up to two seconds for `check` to hold: how long another server may take to hear of a change.
async fn soon(what: &str, check: impl AsyncFn() -> bool) {
    crate::harness::eventually(what, std::time::Duration::from_secs(2), check).await;
}

/// Servers keep the actors of recent tokens in memory (on PostgreSQL). A change to a user, made through
/// either server or straight in the database, reaches both at once, and a token never gets another's actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_sees_a_change_to_a_user_at_once() {
    let app = TestApp::new().await;
    let crate::cluster::Server { state, router: second } = crate::cluster::Server::beside(&app);
    // Both servers hold actors (PostgreSQL) before anything is read.
    if app.actors_held().await {
        soon("the second server listening", async || state.actors.is_live()).await;
    }
    let (agent_id, agent) = app.user("AGENT", "agent@acme.test").await;
    let (other_id, other) = app.user("AGENT", "other@acme.test").await;
    let (viewer_id, viewer) = app.user_with("VIEWER", "viewer@acme.test", json!([agent_id])).await;
    app.contact(&agent, json!({ "name": "Mine" })).await;
    app.contact(&other, json!({ "name": "Theirs" })).await;
    let servers = [&app.router, &second];
    // Each server holds every actor after the first read; each token still sees only what is its own.
    for router in servers {
        for _ in 0..3 {
            assert_eq!(names(router, &agent).await, ["Mine"]);
            assert_eq!(names(router, &other).await, ["Theirs"]);
            assert_eq!(names(router, &viewer).await, ["Mine"]);
        }
    }

    // The viewer's scope moves to the other agent through server two: there at once, on server one soon.
    let scope = "mutation($id: ID!, $ids: [ID!]) { updateUser(id: $id, input: { viewerAgentIds: $ids }) { id } }";
    let (_, res) = gql_to(&second, Some(&app.owner_token), scope, json!({ "id": viewer_id, "ids": [other_id] })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(names(&second, &viewer).await, ["Theirs"]);
    soon("the viewer's new scope on server one", async || names(&app.router, &viewer).await == ["Theirs"]).await;

    // Demoted through server one: refused there at once, and soon on server two.
    let demote = "mutation($id: ID!) { updateUser(id: $id, input: { role: VIEWER }) { role } }";
    let (_, res) = gql_to(&app.router, Some(&app.owner_token), demote, json!({ "id": other_id })).await;
    assert_eq!(res["data"]["updateUser"]["role"], "VIEWER", "{res}");
    let create = "mutation { createContact(input: { name: \"Not allowed\" }) { id } }";
    let forbidden =
        async |router: &axum::Router| code(&gql_to(router, Some(&other), create, json!({})).await.1) == "FORBIDDEN";
    assert!(forbidden(&app.router).await);
    soon("the demotion on server two", async || forbidden(&second).await).await;

    // Deactivated straight in the database, as another process would: both servers refuse the token.
    app.execute("UPDATE users SET active = false WHERE email = 'agent@acme.test'").await;
    for router in servers {
        soon("the deactivation", async || gql_to(router, Some(&agent), ME, json!({})).await.0 == 401).await;
    }
}
