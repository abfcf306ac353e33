//! Traces over OTLP/HTTP, checked against a collector stand-in that decodes what the exporter sends
//! (`ExportTraceServiceRequest`, protobuf). The server runs as a process of its own: tracing is set up once
//! per process, and the test process has its own.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::harness::{TestApp, eventually};

#[derive(Clone, Debug)]
struct Span {
    service: String,
    name: String,
    trace: String,
    id: String,
    parent: String,
}

/// What the collector stand-in received.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

impl Collector {
    async fn start() -> (Self, String) {
        let collector = Self::default();
        let app = Router::new().route("/v1/traces", post(receive)).with_state(collector.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (collector, url)
    }

    fn spans(&self) -> Vec<Span> {
        self.0.lock().unwrap().clone()
    }

    fn named(&self, name: &str) -> Option<Span> {
        self.spans().into_iter().find(|s| s.name == name)
    }
}

async fn receive(State(collector): State<Collector>, body: Bytes) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    for resource in request.resource_spans {
        let attributes = resource.resource.map(|r| r.attributes).unwrap_or_default();
        let service = attributes
            .iter()
            .find(|a| a.key == "service.name")
            .and_then(|a| a.value.as_ref())
            .map(|v| format!("{:?}", v.value))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                collector.0.lock().unwrap().push(Span {
                    service: service.clone(),
                    name: span.name,
                    trace: hex::encode(span.trace_id),
                    id: hex::encode(span.span_id),
                    parent: hex::encode(span.parent_span_id),
                });
            }
        }
    }
    ([("content-type", "application/x-protobuf")], Vec::new())
}

/// A server process, killed when the test ends.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(app: &TestApp, endpoint: &str, ratio: &str, service: &str, files: &std::path::Path) -> Self {
        let c = &app.state.config;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server-process"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &c.database_url)
            .env("JWT_SECRET", c.jwt_secret.as_deref().unwrap())
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("RUN_JOBS", "true")
            .env("FILES_DIR", files)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_TRACES_SAMPLER_ARG", ratio)
            .env("OTEL_SERVICE_NAME", service)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped());
        if let Some(path) = app.search_path() {
            cmd.env("TEST_SEARCH_PATH", path);
        }
        let mut child = cmd.spawn().expect("start server-process");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_string();
        Self { child, address }
    }

    /// POSTs a GraphQL request over a real connection; answers the JSON body.
    async fn gql(&self, token: &str, traceparent: Option<&str>, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let extra = traceparent.map(|t| format!("traceparent: {t}\r\n")).unwrap_or_default();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\nauthorization: Bearer {token}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }
}

/// A partner's receiver: the `traceparent` of every delivery.
async fn partner() -> (Arc<Mutex<Vec<String>>>, String) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap| {
            let keep = keep.clone();
            async move {
                let value = headers.get("traceparent").map(|v| v.to_str().unwrap().to_string());
                keep.lock().unwrap().push(value.unwrap_or_default());
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (got, url)
}

const CREATE: &str = "mutation CreateLead($i: CreateContactInput!) { createContact(input: $i) { id } }";
const EXPORT: &str = "mutation ExportAll { startExport(input: { format: CSV, scope: ALL }) { id } }";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_its_statements_its_job_and_its_delivery_share_one_trace() {
    let app = TestApp::new().await;
    let (partner_got, url) = partner().await;
    let hooks = "mutation($url: String!) { createWebhookEndpoint(url: $url, events: [CONTACT_CREATED], secret: \"whsec-0123456789abcdef\") { id } }";
    let res = app.gql(Some(&app.owner_token), hooks, json!({ "url": url })).await;
    assert!(res["errors"].is_null(), "{res}");
    let (collector, endpoint) = Collector::start().await;
    let files = tempfile::tempdir().unwrap();
    let server = Server::start(&app, &endpoint, "1", "traced", files.path()).await;

    let traceparent = format!("00-{TRACE}-{CALLER_SPAN}-01");
    let res = server
        .gql(&app.owner_token, Some(&traceparent), CREATE, json!({ "i": { "name": "Ana", "phone": "+50688001111" } }))
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let res = server.gql(&app.owner_token, None, EXPORT, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");

    eventually("the request, its job and its delivery are exported", Duration::from_secs(15), async || {
        collector.named("mutation CreateLead").is_some()
            && collector.named("job Export").is_some()
            && collector.named("webhook delivery").is_some()
    })
    .await;
    let request = collector.named("mutation CreateLead").unwrap();
    assert_eq!((request.trace.as_str(), request.parent.as_str()), (TRACE, CALLER_SPAN), "continues the caller's trace");
    assert!(request.service.contains("traced"), "{request:?}");
    let statements: Vec<Span> = collector.spans().into_iter().filter(|s| s.parent == request.id).collect();
    assert!(statements.iter().any(|s| s.name.starts_with("sea_orm")), "a child per statement: {statements:?}");

    let export = collector.named("mutation ExportAll").unwrap();
    let job = collector.named("job Export").unwrap();
    assert_eq!((job.trace.as_str(), job.parent.as_str()), (export.trace.as_str(), export.id.as_str()));
    assert!(
        collector.spans().iter().any(|s| s.parent == job.id && s.name.starts_with("sea_orm")),
        "the job's statements"
    );

    let delivery = collector.named("webhook delivery").unwrap();
    assert_eq!(delivery.trace, TRACE, "the delivery is in the trace of the change");
    eventually("the partner got the delivery", Duration::from_secs(5), async || {
        !partner_got.lock().unwrap().is_empty()
    })
    .await;
    let sent = partner_got.lock().unwrap()[0].clone();
    assert_eq!(sent, format!("00-{TRACE}-{}-01", delivery.id), "the partner continues from the delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratio_zero_traces_nothing_even_for_a_sampled_caller() {
    let app = TestApp::new().await;
    let (collector, endpoint) = Collector::start().await;
    let files = tempfile::tempdir().unwrap();
    let server = Server::start(&app, &endpoint, "0", "untraced", files.path()).await;
    let traceparent = format!("00-{TRACE}-{CALLER_SPAN}-01");
    for _ in 0..5 {
        let res = server.gql(&app.owner_token, Some(&traceparent), EXPORT, json!({})).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(collector.spans().is_empty(), "{:?}", collector.spans());
    let stored: Vec<Option<String>> = {
        use sea_orm::{EntityTrait, QuerySelect};
        entity::job::Entity::find()
            .select_only()
            .column(entity::job::Column::Traceparent)
            .into_tuple()
            .all(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 5);
    assert!(stored.iter().all(Option::is_none), "no trace context stored: {stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_never_answers_delays_no_request() {
    let app = TestApp::new().await;
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let files = tempfile::tempdir().unwrap();
    let server = Server::start(&app, &endpoint, "1", "silent", files.path()).await;
    let started = Instant::now();
    for _ in 0..50 {
        let res = server.gql(&app.owner_token, None, "query Me { me { role } }", json!({})).await;
        assert_eq!(res["data"]["me"]["role"], "OWNER", "{res}");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "50 requests took {:?}", started.elapsed());
}
