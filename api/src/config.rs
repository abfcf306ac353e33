//! Settings, read once at start from flags, the environment and `.env` (see `.env.example`).

use std::{net::SocketAddr, time::Duration};

use clap::{Args, ValueEnum};

/// A development signing key, used only when no `JWT_SECRET` is set outside production.
const DEV_JWT_SECRET: &str = "development-only-signing-key-do-not-use-in-production!";
const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/contacts.db?mode=rwc", global = true)]
    pub database_url: String,
    /// A PostgreSQL streaming replica for lists, counts, searches, exports, the funnel and duplicate
    /// candidates; unset, everything reads the primary.
    #[arg(long, env = "DATABASE_REPLICA_URL", hide_env_values = true, global = true)]
    pub database_replica_url: Option<String>,
    /// How far behind the primary the replica may be before those reads go to the primary instead.
    #[arg(long, env = "REPLICA_MAX_LAG_MS", default_value_t = 2000, global = true)]
    pub replica_max_lag_ms: u64,
    /// Largest number of connections in each pool (PostgreSQL has two: lookups, and the rest).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = default_pool_size(), global = true)]
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 3000, global = true)]
    pub database_acquire_timeout_ms: u64,
    /// Address the HTTP server listens on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080", global = true)]
    pub bind_addr: SocketAddr,
    /// `development` (GraphiQL, introspection, dev signing key allowed) or `production`.
    #[arg(long, env = "APP_ENV", value_enum, default_value = "development", global = true)]
    pub app_env: AppEnv,
    /// HMAC key for access tokens, at least 32 bytes; required in production.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    #[arg(long, env = "JWT_ISSUER", default_value = "contacts-api", global = true)]
    pub jwt_issuer: String,
    #[arg(long, env = "JWT_AUDIENCE", default_value = "contacts-api", global = true)]
    pub jwt_audience: String,
    /// Lifetime of a token issued by `login` or the CLI.
    #[arg(long, env = "TOKEN_TTL_MINUTES", default_value_t = 720, global = true)]
    pub token_ttl_minutes: i64,
    /// Comma-separated SPA origins allowed by CORS, e.g. `https://app.example.com`.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,
    /// Largest accepted request body for GraphQL JSON requests, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576, global = true)]
    pub max_body_bytes: usize,
    /// Requests taking longer are answered 408/504 and their work is dropped.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,
    /// Largest accepted upload (GraphQL multipart request), in bytes.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    pub max_upload_bytes: usize,
    /// Most rows one import may hold.
    #[arg(long, env = "IMPORT_MAX_ROWS", default_value_t = 200_000, global = true)]
    pub import_max_rows: usize,
    /// Folder for uploaded files, reports and exports.
    #[arg(long, env = "FILES_DIR", default_value = "data/files", global = true)]
    pub files_dir: String,
    /// S3-compatible object storage for files, shared by every server; unset keeps them in FILES_DIR.
    #[arg(long, env = "FILES_S3_BUCKET", global = true)]
    pub files_s3_bucket: Option<String>,
    /// The store's address for a self-hosted one (MinIO, SeaweedFS); unset means AWS S3.
    #[arg(long, env = "FILES_S3_ENDPOINT", global = true)]
    pub files_s3_endpoint: Option<String>,
    #[arg(long, env = "FILES_S3_REGION", default_value = "us-east-1", global = true)]
    pub files_s3_region: String,
    #[arg(long, env = "FILES_S3_ACCESS_KEY_ID", global = true)]
    pub files_s3_access_key_id: Option<String>,
    #[arg(long, env = "FILES_S3_SECRET_ACCESS_KEY", hide_env_values = true, global = true)]
    pub files_s3_secret_access_key: Option<String>,

    /// How long a download link works, in seconds.
    #[arg(long, env = "FILE_LINK_TTL_SECS", default_value_t = 900, global = true)]
    pub file_link_ttl_secs: i64,
    /// How long finished exports stay downloadable from the history, in days.
    #[arg(long, env = "EXPORT_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub export_retention_days: i64,
    /// First retry of a failed webhook delivery after this many milliseconds; each next one waits 4× longer.
    #[arg(long, env = "WEBHOOK_RETRY_BASE_MS", default_value_t = 30_000, global = true)]
    pub webhook_retry_base_ms: u64,
    /// Attempts before a webhook delivery is marked FAILED.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub webhook_max_attempts: i32,
    /// How long a receiver has to answer a webhook delivery, in seconds.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub webhook_timeout_secs: u64,
    /// How long delivered and failed webhook deliveries stay in the log, in days.
    #[arg(long, env = "WEBHOOK_LOG_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub webhook_log_retention_days: i64,
    /// Run background jobs (imports, exports) in this server.
    #[arg(long, env = "RUN_JOBS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub run_jobs: bool,
    /// Redis for state every server shares (rate limits); unset keeps it in each server's memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,
    /// Requests one user may make per minute (0: no limit).
    #[arg(long, env = "RATE_LIMIT_USER_PER_MINUTE", default_value_t = 1200, global = true)]
    pub rate_limit_user_per_minute: u32,
    /// Requests one client address may make per minute (0: no limit).
    #[arg(long, env = "RATE_LIMIT_IP_PER_MINUTE", default_value_t = 3000, global = true)]
    pub rate_limit_ip_per_minute: u32,
    /// Requests handled at once; beyond it the server answers 503 straight away.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 512, global = true)]
    pub max_concurrent_requests: usize,
    /// Limits on one GraphQL query, refused with QUERY_TOO_COMPLEX: raw size in bytes, tokens, bracket
    /// nesting, fields once fragments are expanded, aliases, selection depth and complexity (a connection
    /// costs its children once per requested item).
    #[arg(long, env = "QUERY_MAX_BYTES", default_value_t = 32 * 1024, global = true)]
    pub query_max_bytes: usize,
    #[arg(long, env = "QUERY_MAX_TOKENS", default_value_t = 5_000, global = true)]
    pub query_max_tokens: usize,
    #[arg(long, env = "QUERY_MAX_NESTING", default_value_t = 40, global = true)]
    pub query_max_nesting: usize,
    #[arg(long, env = "QUERY_MAX_FIELDS", default_value_t = 2_000, global = true)]
    pub query_max_fields: usize,
    #[arg(long, env = "QUERY_MAX_ALIASES", default_value_t = 100, global = true)]
    pub query_max_aliases: usize,
    #[arg(long, env = "QUERY_MAX_DEPTH", default_value_t = 15, global = true)]
    pub query_max_depth: usize,
    #[arg(long, env = "QUERY_MAX_COMPLEXITY", default_value_t = 10_000, global = true)]
    pub query_max_complexity: usize,
    /// After this many seconds without a request, memory left unused by earlier load goes back to the OS
    /// at once (0: only on the allocator's own decay timer).
    #[arg(long, env = "MEMORY_TRIM_SECS", default_value_t = 5, global = true)]
    pub memory_trim_secs: u64,
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "pretty", global = true)]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at `/metrics` on this second address only (keep it off the public network).
    #[arg(long, env = "METRICS_BIND_ADDR", global = true)]
    pub metrics_bind_addr: Option<SocketAddr>,
    /// Serve `/metrics` on the main address too, to callers sending `Authorization: Bearer <this token>`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,
    /// Send traces over OTLP/HTTP to this collector (`http://collector:4318`; `/v1/traces` is added).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otel_exporter_otlp_endpoint: Option<String>,
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "contacts-api", global = true)]
    pub otel_service_name: String,
    /// The share of traces kept, decided by trace id so every service keeps the same ones (0 to 1).
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG", default_value_t = 0.1, global = true)]
    pub otel_traces_sampler_arg: f64,
}

/// Two connections per core, at least four. PostgreSQL runs a query per core at a time; more connections
/// only queue inside it and switch between processes (a million-contact list answered 2,214 pages/s with
/// 4 connections on 2 cores and 1,763 with 10).
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (2 * cores).max(4)
}

impl Config {
    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The token signing secret, refusing weak or missing ones where they matter.
    pub fn jwt_secret(&self) -> anyhow::Result<SigningSecret> {
        match self.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
            Some(secret) if secret.len() < MIN_SECRET_BYTES => {
                anyhow::bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (256 bits)")
            }
            Some(secret) => Ok(SigningSecret { bytes: secret.as_bytes().to_vec(), development: false }),
            None if self.is_production() => anyhow::bail!("JWT_SECRET is required when APP_ENV=production"),
            None => Ok(SigningSecret { bytes: DEV_JWT_SECRET.as_bytes().to_vec(), development: true }),
        }
    }
}

pub struct SigningSecret {
    pub bytes: Vec<u8>,
    /// True when the built-in development key is in use; the server says so in its log.
    pub development: bool,
}
