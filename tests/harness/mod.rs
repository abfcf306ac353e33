//! `TestApp`: one fresh database and one real router per test, and helpers to talk GraphQL to it.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use api::{
    AppState, app,
    bootstrap::{BootstrapInput, bootstrap},
    config::{AppEnv, Config, LogFormat},
};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
};
use entity::enums::PlanTier;
use http_body_util::BodyExt;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

mod database;

use database::{DbGuard, fresh_database};

pub const OWNER_EMAIL: &str = "owner@acme.test";
pub const PASSWORD: &str = "correct horse battery";
pub const CREATE_CONTACT: &str = "mutation($input: CreateContactInput!) { createContact(input: $input) { id name phone email source nameEditedManually status { id name } assignee { id } tags { name } properties { definition { key } value } identifiers { kind value } } }";
pub const TEST_SECRET: &str = "test-signing-key-that-is-long-enough-32b";

pub struct TestApp {
    pub router: Router,
    /// Statements the server ran against the database, for N+1 checks.
    pub queries: Arc<AtomicUsize>,
    pub db: DatabaseConnection,
    pub state: AppState,
    pub org_id: Uuid,
    pub owner_id: Uuid,
    pub owner_token: String,
    _files: tempfile::TempDir,
    _guard: DbGuard,
}

pub fn test_config() -> Config {
    Config {
        database_url: String::new(),
        database_replica_url: None,
        replica_max_lag_ms: 2000,
        database_max_connections: 5,
        database_acquire_timeout_ms: 10_000,
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        app_env: AppEnv::Development,
        jwt_secret: Some(TEST_SECRET.into()),
        jwt_issuer: "contacts-api".into(),
        jwt_audience: "contacts-api".into(),
        token_ttl_minutes: 60,
        cors_origins: vec!["https://app.example.com".into()],
        max_upload_bytes: 5 * 1024 * 1024,
        import_max_rows: 200_000,
        files_dir: String::new(),
        file_link_ttl_secs: 900,
        files_s3_bucket: None,
        files_s3_endpoint: None,
        files_s3_region: "us-east-1".into(),
        files_s3_access_key_id: None,
        files_s3_secret_access_key: None,
        export_retention_days: 30,
        webhook_retry_base_ms: 30_000,
        webhook_max_attempts: 8,
        webhook_timeout_secs: 5,
        webhook_log_retention_days: 30,
        run_jobs: false,
        redis_url: None,
        metrics_bind_addr: None,
        metrics_token: None,
        otel_exporter_otlp_endpoint: None,
        otel_service_name: "contacts-api".into(),
        otel_traces_sampler_arg: 1.0,
        rate_limit_user_per_minute: 0,
        rate_limit_ip_per_minute: 0,
        max_concurrent_requests: 512,
        memory_trim_secs: 0,
        query_max_bytes: 32 * 1024,
        query_max_tokens: 5_000,
        query_max_nesting: 40,
        query_max_fields: 2_000,
        query_max_aliases: 100,
        query_max_depth: 15,
        query_max_complexity: 10_000,
        max_body_bytes: 64 * 1024,
        request_timeout_secs: 30,
        log_format: LogFormat::Pretty,
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config();
        adjust(&mut config);
        let (mut db, mut lookups, guard, url) = fresh_database(config.database_acquire_timeout_ms).await;
        Migrator::up(&db, None).await.expect("migrations");
        let queries = Arc::new(AtomicUsize::new(0));
        for pool in [&mut db, &mut lookups] {
            let counter = queries.clone();
            pool.set_metric_callback(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
        config.database_url = url;
        let files = tempfile::tempdir().expect("files dir");
        config.files_dir = files.path().display().to_string();
        let state = AppState::new(db.clone(), lookups, config).expect("state");
        let input = BootstrapInput {
            organization_name: "Acme Realty".into(),
            owner_email: OWNER_EMAIL.into(),
            owner_name: "Olivia Owner".into(),
            password: Some(PASSWORD.into()),
            plan: PlanTier::Growth,
            default_country: "CR".into(),
        };
        let done = bootstrap(&db, &state.jwt, input).await.expect("bootstrap");
        Self {
            queries,
            router: app(state.clone()),
            db,
            state,
            org_id: done.organization.id,
            owner_id: done.owner.id,
            owner_token: done.session.token,
            _files: files,
            _guard: guard,
        }
    }

    /// Waits until this server holds the actors of recent tokens (on PostgreSQL, once it listens for
    /// changes; never on SQLite), so a test can count the queries a request makes. Answers whether it does.
    pub async fn actors_held(&self) -> bool {
        if self.db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return false;
        }
        let start = std::time::Instant::now();
        while !self.state.actors.is_live() {
            assert!(start.elapsed() < std::time::Duration::from_secs(5), "the actor cache never started listening");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        true
    }

    /// Sends any request through the router.
    pub async fn send(&self, request: Request<Body>) -> Response {
        self.router.clone().oneshot(request).await.expect("router is infallible")
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn gql_status(&self, token: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
        gql_to(&self.router, token, query, variables).await
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_status(token, query, variables).await.1
    }

    /// Takes every connection of the server's pools (on PostgreSQL the lookups have a pool of their own)
    /// and keeps them until the returned transactions are dropped.
    pub async fn hold_every_connection(&self) -> Vec<sea_orm::DatabaseTransaction> {
        let mut pools = vec![&self.db];
        if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            pools.push(&self.state.lookups);
        }
        let mut held = Vec::new();
        for pool in pools {
            for _ in 0..5 {
                held.push(sea_orm::TransactionTrait::begin(pool).await.expect("a pooled connection"));
            }
        }
        held
    }

    /// Adds a member with this role through `createUser` and returns their id and a real token.
    pub async fn user(&self, role: &str, email: &str) -> (Uuid, String) {
        self.user_with(role, email, json!(null)).await
    }

    pub async fn user_with(&self, role: &str, email: &str, viewer_agent_ids: Value) -> (Uuid, String) {
        let res = self
            .gql(
                Some(&self.owner_token),
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "email": email, "name": email, "role": role, "password": PASSWORD,
                                   "viewerAgentIds": viewer_agent_ids } }),
            )
            .await;
        let id: Uuid = res["data"]["createUser"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).parse().unwrap();
        (id, self.token_for(id, self.org_id))
    }

    /// A real token for any user id, as `login` would issue it.
    pub fn token_for(&self, user_id: Uuid, org_id: Uuid) -> String {
        self.state.jwt.issue(user_id, org_id).expect("token").0
    }

    /// A second organization with its own owner: (organization id, owner token).
    pub async fn other_organization(&self) -> (Uuid, String) {
        let input = BootstrapInput {
            organization_name: "Other Homes".into(),
            owner_email: "owner@other.test".into(),
            owner_name: "Oscar Other".into(),
            password: Some(PASSWORD.into()),
            plan: PlanTier::Free,
            default_country: "MX".into(),
        };
        let done = bootstrap(&self.db, &self.state.jwt, input).await.expect("bootstrap");
        (done.organization.id, done.session.token)
    }

    /// Creates a contact through GraphQL as `token` and returns it (panics on errors).
    pub async fn contact(&self, token: &str, input: Value) -> Value {
        let res = self.gql(Some(token), CREATE_CONTACT, json!({ "input": input })).await;
        assert!(res["errors"].is_null(), "createContact failed: {res}");
        res["data"]["createContact"].clone()
    }

    /// Registers a WhatsApp number for the organization; returns the channel id.
    pub async fn whatsapp_channel(&self, phone_number_id: &str, secret: &str) -> String {
        let q = "mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }";
        let input = json!({ "kind": "WHATSAPP", "name": "Sales", "phoneNumberId": phone_number_id, "displayPhoneNumber": "15550783881",
                            "appSecret": secret, "verifyToken": "verify-me" });
        let res = self.gql(Some(&self.owner_token), q, json!({ "i": input })).await;
        res["data"]["createChannel"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string()
    }

    /// POSTs a webhook delivery, signed with `secret` unless it is `None`.
    pub async fn webhook(&self, body: &str, secret: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::post("/webhooks/whatsapp").header(header::CONTENT_TYPE, "application/json");
        if let Some(secret) = secret {
            req = req.header("x-hub-signature-256", api::inbound_webhooks::signature::sign(secret, body.as_bytes()));
        }
        let response = self.send(req.body(Body::from(body.to_string())).unwrap()).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Sends a GraphQL multipart request (one file at `variables.file`) as `token`.
    pub async fn upload(
        &self,
        token: &str,
        query: &str,
        mut variables: Value,
        name: &str,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        variables["file"] = Value::Null;
        let boundary = "----contacts-test-boundary";
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let mut body = Vec::new();
        for (field, value) in [("operations", operations), ("map", r#"{"0":["variables.file"]}"#.to_string())] {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post("/graphql")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("apollo-require-preflight", "true")
            .body(Body::from(body))
            .unwrap();
        let response = self.send(req).await;
        let status = response.status();
        (status, body_json(response).await)
    }

    /// The PostgreSQL schemas this test's connections use (its own, then public); None on SQLite.
    pub fn search_path(&self) -> Option<String> {
        self._guard.search_path()
    }

    /// Runs every queued job to its end, as the background worker would.
    pub async fn run_jobs(&self) -> usize {
        api::jobs::worker::drain(&self.state.job_runtime(), "test-worker").await.expect("jobs")
    }

    /// Downloads a signed link through the router.
    pub async fn download(&self, link: &str) -> (StatusCode, Vec<u8>) {
        let response = self.send(Request::get(link).body(Body::empty()).unwrap()).await;
        let status = response.status();
        (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
    }

    pub async fn execute(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect(sql);
    }
}

/// POSTs a GraphQL request to `router` (another server over the same database, say).
pub async fn gql_to(router: &Router, token: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
    let mut req = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.expect("router is infallible");
    let status = response.status();
    (status, body_json(response).await)
}

pub async fn body_json(response: Response) -> Value {
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) }))
}

/// The `extensions.code` of the first error.
pub fn code(res: &Value) -> &str {
    res["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {res}"))
}

/// Waits up to `limit` for `check` to hold, looking every 20 ms.
pub async fn eventually(what: &str, limit: std::time::Duration, check: impl AsyncFn() -> bool) {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "{what}: still not seen after {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The ids of a `contacts` connection, in order.
pub fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}
