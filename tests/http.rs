//! The HTTP surface: body limits, one operation per request, content types, masked internal errors,
//! probes, GraphiQL and CORS.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};

use crate::harness::{TestApp, body_json, code};

/// A body that never ends, counting how many bytes the server pulled from it.
fn endless_body(pulled: Arc<AtomicUsize>) -> Body {
    let chunk = vec![b' '; 16 * 1024];
    let stream = futures_util::stream::repeat(chunk).map(move |c| {
        pulled.fetch_add(c.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(c)
    });
    Body::from_stream(stream)
}

use futures_util::StreamExt;

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_any_of_it_is_read() {
    let app = TestApp::new().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let req = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, 50_000_000)
        .body(endless_body(pulled.clone()))
        .unwrap();
    let response = app.send(req).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "the server read a body it had already refused");
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_cut_off_near_the_limit() {
    let app = TestApp::new().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let req = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(endless_body(pulled.clone()))
        .unwrap();
    let response = app.send(req).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let limit = app.state.config.max_body_bytes;
    assert!(pulled.load(Ordering::SeqCst) <= limit + 32 * 1024, "read {} bytes", pulled.load(Ordering::SeqCst));
    // And the server goes on serving.
    let ok = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["role"], "OWNER");
}

async fn post_raw(app: &TestApp, content_type: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::post("/graphql")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.owner_token))
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.send(req).await;
    (response.status(), body_json(response).await)
}

#[tokio::test]
async fn batches_malformed_json_and_other_content_types_are_refused_with_a_code() {
    let app = TestApp::new().await;
    let (status, res) =
        post_raw(&app, "application/json", r#"[{"query":"{ me { role } }"},{"query":"{ me { role } }"}]"#).await;
    assert_eq!(status, 400);
    assert_eq!(code(&res), "BAD_USER_INPUT");

    let (status, res) = post_raw(&app, "application/json", r#"{"query": "{ me "#).await;
    assert_eq!(status, 400, "{res}");

    let (status, res) = post_raw(&app, "text/plain", r#"{"query":"{ me { role } }"}"#).await;
    assert_eq!(status, 415);
    assert_eq!(code(&res), "BAD_USER_INPUT");

    let (status, res) = post_raw(&app, "application/json; charset=utf-8", r#"{"query":"{ me { role } }"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(res["data"]["me"]["role"], "OWNER");
}

#[tokio::test]
async fn engine_errors_carry_codes_too() {
    let app = TestApp::new().await;
    let res = app.gql(Some(&app.owner_token), "{ nope }", json!({})).await;
    assert_eq!(code(&res), "GRAPHQL_VALIDATION_FAILED");
    let res = app.gql(Some(&app.owner_token), "{ me { ", json!({})).await;
    assert_eq!(code(&res), "GRAPHQL_VALIDATION_FAILED");
    let q = "mutation($id: ID!) { updateUser(id: $id, input: { name: \"X\" }) { id } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "id": "not-a-uuid" })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "id");
}

fn assert_no_internals(res: &Value) {
    let text = res.to_string().to_lowercase();
    for leak in ["select", "from ", "no such table", "relation", "sqlx", "database", "contacts\"", "error returned"] {
        assert!(!text.contains(leak), "response leaks `{leak}`: {res}");
    }
}

#[tokio::test]
async fn a_database_error_in_a_resolver_is_internal_and_masked() {
    let app = TestApp::new().await;
    app.execute("DROP TABLE contacts").await;
    let req = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.owner_token))
        .body(Body::from(json!({ "query": "{ organization { name contactCount } }" }).to_string()))
        .unwrap();
    let response = app.send(req).await;
    let request_id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    let res = body_json(response).await;
    assert_eq!(code(&res), "INTERNAL", "{res}");
    assert_eq!(res["errors"][0]["message"], "Internal server error");
    assert_eq!(res["errors"][0]["extensions"]["requestId"], request_id);
    assert_no_internals(&res);
}

#[tokio::test]
async fn a_database_error_while_authenticating_is_internal_and_masked() {
    let app = TestApp::new().await;
    app.execute("ALTER TABLE users RENAME TO users_gone").await;
    let (status, res) = app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(status, 500);
    assert_eq!(code(&res), "INTERNAL");
    assert!(res["errors"][0]["extensions"]["requestId"].is_string());
    assert_no_internals(&res);
}

#[tokio::test]
async fn health_is_always_ok_and_ready_follows_the_database() {
    let app = TestApp::new().await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    assert_eq!(app.send(get("/health")).await.status(), 200);
    let ready = app.send(get("/ready")).await;
    assert_eq!(ready.status(), 200);
    assert!(ready.headers().contains_key("x-request-id"));

    app.db.clone().close().await.unwrap();
    assert_eq!(app.send(get("/ready")).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.send(get("/health")).await.status(), 200);
}

#[tokio::test]
async fn graphiql_and_introspection_are_for_development_only() {
    let dev = TestApp::new().await;
    let page = dev.send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status(), 200);
    let introspect = dev.gql(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(introspect["data"]["__schema"]["queryType"]["name"], "Query");

    let prod = TestApp::with_config(|c| c.app_env = api::config::AppEnv::Production).await;
    assert_eq!(prod.send(Request::get("/").body(Body::empty()).unwrap()).await.status(), 404);
    let introspect = prod.gql(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert!(introspect["data"]["__schema"].is_null(), "{introspect}");
}

#[tokio::test]
async fn production_refuses_to_start_without_a_strong_secret() {
    let mut config = crate::harness::test_config();
    config.app_env = api::config::AppEnv::Production;
    config.jwt_secret = None;
    assert!(config.jwt_secret().is_err());
    config.jwt_secret = Some("short".into());
    assert!(config.jwt_secret().is_err());
    config.app_env = api::config::AppEnv::Development;
    assert!(config.jwt_secret().is_err(), "a weak secret is refused in development too");
    config.jwt_secret = None;
    assert!(config.jwt_secret().unwrap().development);
}

#[tokio::test]
async fn cors_allows_the_configured_spa_origin_only() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::options("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type")
            .body(Body::empty())
            .unwrap()
    };
    let ok = app.send(preflight("https://app.example.com")).await;
    assert_eq!(ok.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://app.example.com");
    let evil = app.send(preflight("https://evil.example.com")).await;
    assert!(evil.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
