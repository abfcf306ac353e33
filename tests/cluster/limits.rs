//! Rate limits counted in the Redis the machine runs, across servers; a Redis that cannot answer leaves
//! every server serving on its own counts.

use axum::http::StatusCode;
use serde_json::json;

use super::Server;
use crate::harness::{TestApp, gql_to};

const ME: &str = "{ me { role } }";

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[tokio::test]
async fn a_user_at_the_limit_on_one_server_is_refused_on_the_other() {
    let app = TestApp::with_config(|c| {
        c.redis_url = Some(redis_url());
        c.rate_limit_user_per_minute = 3;
    })
    .await;
    let b = Server::beside(&app);
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    for router in [&app.router, &b.router, &app.router] {
        let (status, res) = gql_to(router, Some(&agent), ME, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{res}");
    }
    for router in [&b.router, &app.router] {
        let (status, _) = gql_to(router, Some(&agent), ME, json!({})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the fourth request of the minute, on either server");
    }
    // Another user's bucket is their own.
    let (status, _) = gql_to(&b.router, Some(&app.owner_token), ME, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.state.user_limits.shared_failures() + b.state.user_limits.shared_failures(), 0);
}

#[tokio::test]
async fn with_redis_unreachable_every_server_serves_and_counts_on_its_own() {
    let app = TestApp::with_config(|c| {
        c.redis_url = Some("redis://127.0.0.1:9/".into()); // Nothing listens here.
        c.rate_limit_user_per_minute = 3;
    })
    .await;
    let b = Server::beside(&app);
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    for _ in 0..3 {
        let (status, res) = gql_to(&app.router, Some(&agent), ME, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{res}");
    }
    let (status, _) = gql_to(&app.router, Some(&agent), ME, json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "still limited, in this server's memory");
    let (status, _) = gql_to(&b.router, Some(&agent), ME, json!({})).await;
    assert_eq!(status, StatusCode::OK, "the other server counts on its own");
    assert!(app.state.user_limits.shared_failures() >= 1, "the failure is counted");
}
