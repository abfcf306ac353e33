//! Automatic persisted queries as Apollo Client sends them, over POST and GET, shared across servers through
//! Redis, refused when the hash lies, never a way to run a mutation by GET or to see another agent's contact.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::{cluster::Server, harness::TestApp};

const CONTACTS: &str = "query Mine { contacts(first: 20) { edges { node { name } } } }";

fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(text: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash(text) } })
}

/// Every byte but letters and digits percent-encoded: what a browser's URLSearchParams sends, and more.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn post(router: &Router, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, _, body) = send(router, request.body(Body::from(body.to_string())).unwrap()).await;
    (status, body)
}

async fn get(
    router: &Router,
    token: Option<&str>,
    params: &[(&str, String)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let mut request = Request::get(format!("/graphql?{}", query.join("&")));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

fn names(res: &Value) -> Vec<String> {
    let edges = res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{res}"));
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn apollo_flow_over_post_then_get() {
    let app = TestApp::new().await;
    let token = app.owner_token.clone();
    app.contact(&token, json!({ "name": "Ana", "phone": "+50688001111" })).await;
    let ext = persisted(CONTACTS).to_string();

    // The hash alone, unknown: 200 with Apollo's words, then the text with its hash, then the hash alone.
    let (status, _, res) =
        get(&app.router, Some(&token), &[("operationName", "Mine".into()), ("extensions", ext.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(res["errors"][0]["message"], "PersistedQueryNotFound", "{res}");
    assert_eq!(res["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
    let (status, res) =
        post(&app.router, Some(&token), json!({ "query": CONTACTS, "extensions": persisted(CONTACTS) })).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(names(&res), ["Ana"]);
    let (status, headers, res) =
        get(&app.router, Some(&token), &[("variables", "{}".into()), ("extensions", ext.clone())]).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(names(&res), ["Ana"]);
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    let (_, res) = post(&app.router, Some(&token), json!({ "extensions": persisted(CONTACTS) })).await;
    assert_eq!(names(&res), ["Ana"], "over POST too");
}

#[tokio::test]
async fn a_hash_that_lies_or_a_strange_version_is_refused() {
    let app = TestApp::new().await;
    let token = app.owner_token.clone();
    let other = "query Other { me { role } }";
    let (status, res) =
        post(&app.router, Some(&token), json!({ "query": CONTACTS, "extensions": persisted(other) })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    assert_eq!(res["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "extensions.persistedQuery.sha256Hash");
    // Nothing was registered under the lying hash.
    let (_, res) = post(&app.router, Some(&token), json!({ "extensions": persisted(other) })).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{res}");

    let version = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash(CONTACTS) } });
    let (status, res) = post(&app.router, Some(&token), json!({ "query": CONTACTS, "extensions": version })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(res["errors"][0]["extensions"]["field"], "extensions.persistedQuery.version", "{res}");
    let short = json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } });
    let (status, res) = post(&app.router, Some(&token), json!({ "extensions": short })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(res["errors"][0]["extensions"]["field"], "extensions.persistedQuery.sha256Hash", "{res}");
    let (status, _, res) =
        get(&app.router, Some(&token), &[("query", CONTACTS.into()), ("variables", "[1".into())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(res["errors"][0]["extensions"]["field"], "variables", "{res}");
}

#[tokio::test]
async fn get_never_runs_a_mutation() {
    let app = TestApp::new().await;
    let token = app.owner_token.clone();
    let create = r#"mutation Create { createTag(name: "by-get") { id } }"#;
    let (status, headers, res) = get(&app.router, Some(&token), &[("query", create.into())]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{res}");
    assert_eq!(headers[header::ALLOW], "POST");
    // Registered by POST, then asked for by GET with its hash alone: still refused.
    let (status, res) =
        post(&app.router, Some(&token), json!({ "query": create, "extensions": persisted(create) })).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (status, _, _) = get(&app.router, Some(&token), &[("extensions", persisted(create).to_string())]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // A document with a query and a mutation, naming the mutation.
    let mixed = format!("query Q {{ me {{ role }} }} {create}");
    let params = [("query", mixed), ("operationName", "Create".into())];
    assert_eq!(get(&app.router, Some(&token), &params).await.0, StatusCode::METHOD_NOT_ALLOWED);
    // Naming an operation the document lacks is the engine's error to report, not a refusal of GET.
    let (status, _, res) = get(
        &app.router,
        Some(&token),
        &[("query", "query Q { me { role } }".into()), ("operationName", "Nope".into())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("Nope"), "{res}");
    let (_, res) = post(&app.router, Some(&token), json!({ "query": "{ tags { name } }" })).await;
    assert_eq!(res["data"]["tags"].as_array().unwrap().len(), 1, "only the POST made a tag: {res}");
}

#[tokio::test]
async fn a_persisted_query_sees_only_what_its_caller_may_see() {
    let app = TestApp::new().await;
    let (agent_a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user_with("VIEWER", "viewer@acme.test", json!([agent_a_id])).await;
    app.contact(&agent_a, json!({ "name": "Of A", "phone": "+50688002222" })).await;
    app.contact(&agent_b, json!({ "name": "Of B", "phone": "+50688003333" })).await;
    let (_, res) =
        post(&app.router, Some(&agent_a), json!({ "query": CONTACTS, "extensions": persisted(CONTACTS) })).await;
    assert_eq!(names(&res), ["Of A"]);
    let ext = persisted(CONTACTS).to_string();
    let (_, _, res) = get(&app.router, Some(&agent_b), &[("extensions", ext.clone())]).await;
    assert_eq!(names(&res), ["Of B"]);
    let (_, res) = post(&app.router, Some(&viewer), json!({ "extensions": persisted(CONTACTS) })).await;
    assert_eq!(names(&res), ["Of A"], "the viewer's scope");
    let (status, _, res) = get(&app.router, None, &[("extensions", ext)]).await;
    assert!(res["data"]["contacts"].is_null() && status == StatusCode::OK, "{res}");
}

#[tokio::test]
async fn servers_share_registrations_through_redis() {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let app = TestApp::with_config(|c| c.redis_url = Some(redis.clone())).await;
    let other = Server::beside(&app);
    // A text no earlier run registered.
    let text = format!("query Shared {{ me {{ role }} }} # {}", uuid::Uuid::new_v4());
    let (_, res) =
        post(&app.router, Some(&app.owner_token), json!({ "query": text, "extensions": persisted(&text) })).await;
    assert_eq!(res["data"]["me"]["role"], "OWNER", "{res}");
    let (_, res) = post(&other.router, Some(&app.owner_token), json!({ "extensions": persisted(&text) })).await;
    assert_eq!(res["data"]["me"]["role"], "OWNER", "found on the other server: {res}");

    // An anonymous caller's text runs but is kept nowhere: strangers cannot fill the store.
    let anonymous = format!("query Anonymous {{ __typename }} # {}", uuid::Uuid::new_v4());
    let (_, res) = post(&app.router, None, json!({ "query": anonymous, "extensions": persisted(&anonymous) })).await;
    assert_eq!(res["data"]["__typename"], "Query", "{res}");
    for router in [&app.router, &other.router] {
        let (_, res) = post(router, None, json!({ "extensions": persisted(&anonymous) })).await;
        assert_eq!(res["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{res}");
    }
}

#[tokio::test]
async fn a_redis_that_never_answers_blocks_nothing() {
    // Accepts connections and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = TestApp::with_config(|c| {
        c.redis_url = Some(url);
        c.rate_limit_user_per_minute = 1000;
    })
    .await;
    let started = std::time::Instant::now();
    let mut requests = Vec::new();
    for i in 0..8 {
        let text = format!("query Silent{i} {{ me {{ role }} }}");
        let body = json!({ "query": text, "extensions": persisted(&text) });
        let (router, token) = (app.router.clone(), app.owner_token.clone());
        requests.push(tokio::spawn(async move { post(&router, Some(&token), body).await }));
    }
    for request in requests {
        let (status, res) = request.await.unwrap();
        assert_eq!((status, &res["data"]["me"]["role"]), (StatusCode::OK, &json!("OWNER")), "{res}");
    }
    let (_, res) =
        post(&app.router, Some(&app.owner_token), json!({ "extensions": persisted("query Silent3 { me { role } }") }))
            .await;
    assert_eq!(res["data"]["me"]["role"], "OWNER", "held on this server: {res}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "took {:?}", started.elapsed());
}
