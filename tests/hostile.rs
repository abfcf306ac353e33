//! Hostile queries and heavy use: each guard answers a coded error quickly, and a normal query works
//! right after.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const FAST: Duration = Duration::from_secs(2);

async fn refused(app: &TestApp, query: &str, variables: Value, expected: &str) -> Value {
    let start = Instant::now();
    let (_, res) = app.gql_status(Some(&app.owner_token), query, variables).await;
    assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
    assert_eq!(code(&res), expected, "{}", &res.to_string()[..res.to_string().len().min(300)]);
    let ok = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["role"], "OWNER", "the server goes on serving");
    res["errors"][0]["extensions"].clone()
}

/// (limit, actual, max) of a QUERY_TOO_COMPLEX error's extensions.
fn figures(ext: &Value) -> (String, u64, u64) {
    let limit = ext["limit"].as_str().unwrap_or_else(|| panic!("no limit named: {ext}")).to_string();
    (limit, ext["actual"].as_u64().unwrap(), ext["max"].as_u64().unwrap())
}

#[tokio::test]
async fn values_nested_thousands_deep_are_refused_before_parsing() {
    let app = TestApp::new().await;
    let deep_list = format!(
        "{{ contacts(search: \"x\", filter: {{ tagIds: {}\"a\"{} }}) {{ totalCount }} }}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    refused(&app, &deep_list, json!({}), "QUERY_TOO_COMPLEX").await;
    let deep_object =
        format!("{{ contacts(filter: {}) {{ totalCount }} }}", "{ a: ".repeat(3_000) + "1" + &"}".repeat(3_000));
    refused(&app, &deep_object, json!({}), "QUERY_TOO_COMPLEX").await;
    let mut nested = json!(1);
    for _ in 0..100 {
        nested = json!([nested]);
    }
    // The same text answered before (its parsed document kept) still has its variables checked.
    let query = "query($v: [ID!]) { contacts(filter: { tagIds: $v }) { totalCount } }";
    let fine = app.gql(Some(&app.owner_token), query, json!({ "v": [] })).await;
    assert!(fine["data"]["contacts"]["totalCount"].is_number(), "{fine}");
    refused(&app, query, json!({ "v": nested }), "QUERY_TOO_COMPLEX").await;
}

#[tokio::test]
async fn long_queries_and_token_floods_are_refused() {
    let app = TestApp::new().await;
    let long = format!("{{ me {{ role }} }} # {}", "x".repeat(40_000));
    let ext = refused(&app, &long, json!({}), "QUERY_TOO_COMPLEX").await;
    assert_eq!(figures(&ext), ("bytes".into(), long.len() as u64, 32 * 1024));
    let flood = format!("{{ me {{ {} }} }}", "role ".repeat(6_000));
    let ext = refused(&app, &flood, json!({}), "QUERY_TOO_COMPLEX").await;
    assert_eq!(figures(&ext), ("tokens".into(), 5_001, 5_000));
}

#[tokio::test]
async fn depth_complexity_aliases_and_directives_are_limited() {
    let app = TestApp::new().await;
    let mut q = String::from("{ __schema { types { fields { type { ");
    for _ in 0..20 {
        q.push_str("ofType { ");
    }
    q.push_str("name");
    q.push_str(&" }".repeat(20));
    q.push_str(" } } } } }");
    let (limit, actual, max) = figures(&refused(&app, &q, json!({}), "QUERY_TOO_COMPLEX").await);
    assert_eq!(limit, "depth");
    assert!(actual > max && actual >= 25, "{actual} over {max}");

    let heavy = "{ contacts(first: 200) { edges { node { notes(first: 200) { edges { node { id body } } } } } } }";
    let (limit, actual, max) = figures(&refused(&app, heavy, json!({}), "QUERY_TOO_COMPLEX").await);
    assert_eq!(limit, "complexity");
    assert!(actual > max, "{actual} over {max}");
    // The same page in variables is measured the same way.
    let paged =
        "query($n: Int) { contacts(first: $n) { edges { node { notes(first: $n) { edges { node { id body } } } } } } }";
    let (_, by_variables, _) = figures(&refused(&app, paged, json!({ "n": 200 }), "QUERY_TOO_COMPLEX").await);
    assert_eq!(by_variables, actual);

    let aliases: String = (0..300).map(|i| format!("a{i}: me {{ role }} ")).collect();
    let ext = refused(&app, &format!("{{ {aliases} }}"), json!({}), "QUERY_TOO_COMPLEX").await;
    assert_eq!(figures(&ext), ("aliases".into(), 101, 100));

    let directives = "@include(if: true) ".repeat(50);
    refused(&app, &format!("{{ me {directives} {{ role }} }}"), json!({}), "QUERY_TOO_COMPLEX").await;
}

#[tokio::test]
async fn fragments_that_fan_out_wide_or_refer_to_themselves_are_refused() {
    let app = TestApp::new().await;
    // Each fragment spreads the next one three times: 3^12 fields once expanded.
    let mut doc = String::from("query { me { ...F0 } }\n");
    for i in 0..12 {
        doc.push_str(&format!(
            "fragment F{i} on Me {{ a: user {{ id }} ...F{n} b: user {{ id }} ...F{n} c: user {{ id }} ...F{n} }}\n",
            n = i + 1
        ));
    }
    doc.push_str("fragment F12 on Me { role }\n");
    refused(&app, &doc, json!({}), "QUERY_TOO_COMPLEX").await;
    let cycle = "query { me { ...A } } fragment A on Me { ...B } fragment B on Me { ...A }";
    let start = Instant::now();
    let res = app.gql(Some(&app.owner_token), cycle, json!({})).await;
    assert!(start.elapsed() < FAST);
    assert!(res["errors"].is_array(), "{res}");
}

#[tokio::test]
async fn mutations_are_never_served_over_get() {
    let app = TestApp::new().await;
    let req =
        axum::http::Request::get("/graphql?query=mutation%20%7B%20createTag(name%3A%22x%22)%20%7B%20id%20%7D%20%7D")
            .header("authorization", format!("Bearer {}", app.owner_token))
            .body(axum::body::Body::empty())
            .unwrap();
    assert_eq!(app.send(req).await.status(), 405);
}

#[tokio::test]
async fn a_user_over_the_rate_limit_gets_429_with_a_retry_hint() {
    let app = TestApp::with_config(|c| c.rate_limit_user_per_minute = 5).await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    for _ in 0..4 {
        assert_eq!(app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await.0, 200);
    }
    let req = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", app.owner_token))
        .body(axum::body::Body::from(json!({ "query": "{ me { role } }" }).to_string()))
        .unwrap();
    let response = app.send(req).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(code(&crate::harness::body_json(response).await), "RATE_LIMITED");
    // Another user is not affected.
    assert_eq!(app.gql_status(Some(&agent), "{ me { role } }", json!({})).await.0, 200);
}

#[tokio::test]
async fn an_exhausted_database_pool_answers_quickly() {
    let app = TestApp::with_config(|c| c.database_acquire_timeout_ms = 300).await;
    let held = app.hold_every_connection().await;
    let start = Instant::now();
    let (status, res) = app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    assert!(status.is_server_error() || res["errors"].is_array(), "{status} {res}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_concurrency_cap_requests_are_shed_at_once() {
    let app = std::sync::Arc::new(
        TestApp::with_config(|c| {
            c.max_concurrent_requests = 1;
            c.database_acquire_timeout_ms = 1500;
        })
        .await,
    );
    // Hold every pooled connection so the first request sits waiting for one.
    let held = app.hold_every_connection().await;
    let slow = {
        let app = app.clone();
        tokio::spawn(async move { app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await.0 })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let (status, res) = app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(status, 503, "{res}");
    assert!(start.elapsed() < Duration::from_millis(500), "shed at once, not queued: {:?}", start.elapsed());
    assert_eq!(code(&res), "UNAVAILABLE");
    slow.await.unwrap();
    drop(held);
    assert_eq!(app.gql_status(Some(&app.owner_token), "{ me { role } }", json!({})).await.0, 200);
}

async fn boom() -> &'static str {
    panic!("a handler bug")
}

async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "late"
}

/// Routes that misbehave on purpose, behind exactly the production middleware.
fn misbehaving(app: &TestApp) -> axum::Router {
    let routes = axum::Router::new().route("/boom", axum::routing::get(boom)).route("/hang", axum::routing::get(hang));
    api::http::with_middleware(routes, app.state.clone())
}

async fn get(router: &axum::Router, path: &str) -> (axum::http::StatusCode, Value) {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    (response.status(), crate::harness::body_json(response).await)
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_a_code_and_the_server_goes_on() {
    let app = TestApp::new().await;
    let router = misbehaving(&app);
    for _ in 0..3 {
        let (status, res) = get(&router, "/boom").await;
        assert_eq!(status, 500);
        assert_eq!(code(&res), "INTERNAL");
        assert!(!res.to_string().contains("a handler bug"), "the panic message stays in the logs: {res}");
    }
    let ok = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["role"], "OWNER");
}

#[tokio::test]
async fn a_request_over_the_timeout_is_stopped_with_a_code() {
    let app = TestApp::with_config(|c| c.request_timeout_secs = 1).await;
    let router = misbehaving(&app);
    let start = Instant::now();
    let (status, res) = get(&router, "/hang").await;
    assert_eq!(status, 504, "{res}");
    assert_eq!(code(&res), "TIMEOUT");
    assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
    let ok = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["role"], "OWNER", "the server goes on serving");
}

/// The query limits come from configuration: lowered, they refuse what the defaults allow, over HTTP and
/// in the engine's own depth check.
#[tokio::test]
async fn query_limits_follow_the_configuration() {
    let app = TestApp::with_config(|c| {
        c.query_max_aliases = 2;
        c.query_max_depth = 2;
    })
    .await;
    let aliases = "{ a: me { role } b: me { role } c: me { role } }";
    let res = app.gql(Some(&app.owner_token), aliases, json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{res}");
    let deep = "{ me { user { id } } }";
    let res = app.gql(Some(&app.owner_token), deep, json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{res}");
    let res = app.gql(Some(&app.owner_token), "{ a: me { role } b: me { role } }", json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    let defaults = TestApp::new().await;
    let res = defaults.gql(Some(&defaults.owner_token), aliases, json!({})).await;
    assert!(res["errors"].is_null(), "the defaults allow it: {res}");
}
