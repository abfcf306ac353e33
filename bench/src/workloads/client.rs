//! A small keep-alive HTTP/1.1 client for the load generators.

use std::time::{Duration, Instant};

use axum::body::Body;
use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

pub type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Body>;

pub fn new() -> HttpClient {
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http()
}

/// Sends one request; returns its latency and whether it succeeded (2xx).
pub async fn timed(client: &HttpClient, request: axum::http::Request<Body>) -> (Duration, bool) {
    let start = Instant::now();
    let ok = match client.request(request).await {
        Ok(res) => {
            let ok = res.status().is_success();
            let _ = res.into_body().collect().await;
            ok
        }
        Err(_) => false,
    };
    (start.elapsed(), ok)
}

/// Sends a request and reads its answer as JSON.
pub async fn json(client: &HttpClient, request: axum::http::Request<Body>) -> anyhow::Result<serde_json::Value> {
    let response = client.request(request).await?;
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok(serde_json::from_slice(&bytes)?)
}

/// A GraphQL POST with a bearer token.
pub fn graphql(base: &str, token: &str, query: &str, variables: serde_json::Value) -> axum::http::Request<Body> {
    axum::http::Request::post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(serde_json::json!({ "query": query, "variables": variables }).to_string()))
        .unwrap_or_default()
}
