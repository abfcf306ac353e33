//! GraphiQL is served whole by the server: every file the page loads comes from it, under a policy that lets
//! the page reach nothing elsewhere. (The browser test in examples/spa/e2e drives it in Chromium.)

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;

use crate::harness::TestApp;

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// The `src` and `href` values of the page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            found.push(part.split('"').next().unwrap().to_string());
        }
    }
    found
}

#[tokio::test]
async fn the_page_and_everything_it_loads_come_from_the_server() {
    let app = TestApp::new().await;
    let (status, headers, html) = fetch(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for rule in ["default-src 'self'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"] {
        assert!(policy.contains(rule), "{policy}");
    }
    assert!(!policy.contains("http"), "no other origin is allowed: {policy}");
    assert!(!html.contains("<script>") && !html.contains("<style"), "no inline script or style block: {html}");
    let loaded = references(&html);
    assert_eq!(loaded.iter().filter(|r| r.ends_with(".js")).count(), 4, "{loaded:?}");
    for reference in loaded.iter().filter(|r| !r.starts_with("data:")) {
        assert!(reference.starts_with("/graphiql/"), "{reference} is not the server's own");
        let (status, headers, body) = fetch(&app, reference).await;
        assert_eq!(status, StatusCode::OK, "{reference}");
        let kind = headers[header::CONTENT_TYPE].to_str().unwrap();
        let expected = if reference.ends_with(".js") { "text/javascript" } else { "text/css" };
        assert!(kind.starts_with(expected), "{reference}: {kind}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(body.len() > 20, "{reference}");
    }
    let (_, _, bundle) = fetch(&app, "/graphiql/graphiql.min.js").await;
    assert!(
        bundle.len() > 1_000_000 && bundle.contains("graphql-transport-ws"),
        "the whole bundle, with its WebSocket client"
    );
    assert_eq!(fetch(&app, "/graphiql/../Cargo.toml").await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, "/graphiql/nothing.js").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn production_serves_none_of_it() {
    let app = TestApp::with_config(|c| c.app_env = api::config::AppEnv::Production).await;
    for path in ["/", "/graphiql/start.js", "/graphiql/graphiql.min.js"] {
        assert_eq!(fetch(&app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}
