//! `/metrics`: never public, and counting what operators watch: requests by operation and outcome,
//! refusals, inbound messages, pools, the job queue and the partner webhook backlog.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::{
    harness::TestApp,
    inbound::{NUMBER_ID, SECRET, text},
};

const TOKEN: &str = "metrics-scraper-token-0123456789";

async fn scrape(router: &axum::Router, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The value of the series whose line starts with `series` (name and labels), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_are_never_public() {
    let open = TestApp::new().await;
    assert_eq!(scrape(&open.router, None).await.0, StatusCode::NOT_FOUND, "no setting: no /metrics");

    let guarded = TestApp::with_config(|c| c.metrics_token = Some(TOKEN.into())).await;
    let (status, _) = scrape(&guarded.router, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&guarded.router, Some("metrics-scraper-token-wrong")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&guarded.router, Some(&guarded.owner_token)).await.0,
        StatusCode::UNAUTHORIZED,
        "a user token is not it"
    );
    let (status, text) = scrape(&guarded.router, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE db_pool_connections gauge"), "{text}");

    // The second address serves metrics to whoever reaches it; the main one then has none.
    let separate = TestApp::with_config(|c| c.metrics_bind_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    assert_eq!(scrape(&separate.router, None).await.0, StatusCode::NOT_FOUND);
    let (status, text) = scrape(&api::http::metrics::app(separate.state.clone()), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("db_pool_connections{"), "{text}");
}

#[tokio::test]
async fn requests_are_counted_by_operation_and_outcome() {
    let app = TestApp::with_config(|c| {
        c.metrics_token = Some(TOKEN.into());
        c.rate_limit_user_per_minute = 3;
    })
    .await;
    let token = app.owner_token.clone();
    app.gql(Some(&token), "query Me { me { role } }", json!({})).await;
    app.gql(Some(&token), "query Broken { contact(id: \"nope\") { id } }", json!({})).await;
    app.gql(Some(&token), "query Me { me { role } }", json!({})).await;
    let limited = app.gql(Some(&token), "query Me { me { role } }", json!({})).await;
    assert_eq!(limited["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{limited}");
    // Someone without a token names no series, whatever they call their operation.
    app.gql(None, "query Invented123 { me { role } }", json!({})).await;

    let (_, text) = scrape(&app.router, Some(TOKEN)).await;
    assert_eq!(value(&text, r#"graphql_requests_total{operation="Me",code="OK"}"#), Some(2.0), "{text}");
    assert_eq!(
        value(&text, r#"graphql_requests_total{operation="Broken",code="BAD_USER_INPUT"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, r#"graphql_requests_total{operation="-",code="RATE_LIMITED"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, r#"graphql_requests_total{operation="-",code="UNAUTHENTICATED"}"#), Some(1.0), "{text}");
    assert!(!text.contains("Invented123"), "{text}");
    assert_eq!(value(&text, r#"requests_refused_total{reason="rate_limited_user"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, r#"graphql_request_duration_seconds_count{operation="Me"}"#), Some(2.0), "{text}");
    assert!(value(&text, r#"db_pool_connections{pool="primary",state="max"}"#).is_some_and(|v| v >= 1.0), "{text}");
    assert!(text.contains("db_acquire_timeouts_total"), "{text}");
}

#[tokio::test]
async fn inbound_messages_jobs_and_partner_backlog_are_visible() {
    let app = TestApp::with_config(|c| c.metrics_token = Some(TOKEN.into())).await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let message = text("50688001122", Some("Ana"), "wamid.metrics-1", "hola", chrono::Utc::now().timestamp());
    assert_eq!(app.webhook(&message, Some(SECRET)).await.0, StatusCode::OK);
    // Meta's redelivery is stored once, and counted once.
    assert_eq!(app.webhook(&message, Some(SECRET)).await.0, StatusCode::OK);

    let create = "mutation($url: String!, $events: [WebhookEventType!]!, $secret: String!) {
        createWebhookEndpoint(url: $url, events: $events, secret: $secret) { id } }";
    let res = app
        .gql(
            Some(&app.owner_token),
            create,
            json!({ "url": "https://hooks.example.com/in", "events": ["CONTACT_CREATED"], "secret": "whsec-0123456789abcdef" }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    app.contact(&app.owner_token, json!({ "name": "Bea", "phone": "+50688003344" })).await;
    let (status, _) = app
        .upload(&app.owner_token, crate::imports::START, json!({}), "leads.csv", b"name,phone\nCarla,+50688005566\n")
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, text) = scrape(&app.router, Some(TOKEN)).await;
    assert_eq!(value(&text, r#"inbound_messages_total{channel="whatsapp"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, r#"jobs{state="queued"}"#), Some(1.0), "{text}");
    assert!(value(&text, "jobs_oldest_queued_age_seconds").is_some_and(|age| age >= 0.0), "{text}");
    assert_eq!(value(&text, r#"webhook_deliveries{state="pending"}"#), Some(1.0), "{text}");
    assert_eq!(value(&text, r#"webhook_deliveries{state="failed"}"#), Some(0.0), "{text}");
    assert!(value(&text, "webhook_oldest_pending_age_seconds").is_some(), "{text}");
}
