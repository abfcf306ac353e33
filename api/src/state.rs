//! The server's shared state: connections, keys, the schema, file storage, live events, limits, settings.
//! Built once at start-up and handed to every request handler and to the job worker.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    auth::{ActorCache, JwtKeys},
    catalog::Catalogs,
    config::Config,
    db::reads::Reads,
    events::EventBus,
    files::{FileStore, StorageSettings},
    graphql::{documents::Documents, persisted::PersistedQueries},
    jobs::runtime::JobRuntime,
    metrics::Metrics,
    outbound_webhooks::deliver::Sender,
    rate_limit::RateLimiter,
    schema::{self, SchemaData, Schemas},
    shared_redis::SharedRedis,
};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Key lookups: each request's actor and its batch loaders (`db::connect_lookups`).
    pub lookups: DatabaseConnection,
    /// Reads that may lag a little: a replica when one is attached (`db::reads`).
    pub reads: Reads,
    /// Organizations' stages and members held in memory (`catalog`).
    pub catalogs: Arc<Catalogs>,
    pub schema: Schemas,
    /// Query documents already parsed and checked (`graphql::documents`).
    pub documents: Arc<Documents>,
    /// Texts of automatic persisted queries by hash (`graphql::persisted`).
    pub persisted: Arc<PersistedQueries>,
    pub jwt: Arc<JwtKeys>,
    /// The actors of recent access tokens (`auth::ActorCache`).
    pub actors: Arc<ActorCache>,
    pub events: Arc<EventBus>,
    pub files: FileStore,
    pub user_limits: Arc<RateLimiter>,
    pub address_limits: Arc<RateLimiter>,
    /// Woken when a job is queued, so a local worker starts at once.
    pub jobs_wakeup: Arc<Notify>,
    pub config: Arc<Config>,
    /// Posts outbound webhook deliveries.
    pub webhooks: Arc<Sender>,
    pub metrics: Arc<Metrics>,
}

/// Organizations whose catalog a server holds at once (a few kilobytes each).
const CATALOGS_HELD: usize = 4096;
/// Access tokens whose actor a server holds at once (about a kilobyte each).
const ACTORS_HELD: usize = 4096;

impl AppState {
    pub fn new(db: DatabaseConnection, lookups: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let secret = config.jwt_secret()?;
        let jwt =
            Arc::new(JwtKeys::new(&secret.bytes, &config.jwt_issuer, &config.jwt_audience, config.token_ttl_minutes));
        let events = EventBus::new(&db, &config.database_url);
        let storage = StorageSettings::from_config(&config)?;
        let staging = std::path::Path::new(&config.files_dir).join(".staging");
        let files = FileStore::new(&storage, staging, &secret.bytes, config.file_link_ttl_secs)?;
        let jobs_wakeup = Arc::new(Notify::new());
        let webhooks = Arc::new(Sender::new(&config)?);
        let config = Arc::new(config);
        let reads = Reads::new(db.clone(), lookups.clone());
        let metrics = Arc::new(Metrics::new());
        let data = SchemaData {
            db: db.clone(),
            lookups: lookups.clone(),
            reads: reads.clone(),
            jwt: jwt.clone(),
            events: events.clone(),
            files: files.clone(),
            jobs_wakeup: jobs_wakeup.clone(),
            config: config.clone(),
            metrics: metrics.clone(),
        };
        let schema = schema::build(data);
        let redis = SharedRedis::from_url(config.redis_url.as_deref())?.map(Arc::new);
        let user_limits = Arc::new(RateLimiter::shared(config.rate_limit_user_per_minute, "user", redis.as_ref()));
        let address_limits = Arc::new(RateLimiter::shared(config.rate_limit_ip_per_minute, "address", redis.as_ref()));
        let catalogs = Arc::new(Catalogs::new(CATALOGS_HELD));
        let actors = ActorCache::new(&config.database_url, ACTORS_HELD);
        Ok(Self {
            db,
            lookups,
            reads,
            catalogs,
            schema,
            documents: Arc::default(),
            persisted: Arc::new(PersistedQueries::new(redis.clone())),
            jwt,
            actors,
            events,
            files,
            user_limits,
            address_limits,
            jobs_wakeup,
            config,
            webhooks,
            metrics,
        })
    }

    /// Sends lagging reads to the replica these options reach (PostgreSQL only), while it keeps up.
    pub async fn attach_replica(&self, options: crate::db::DbOptions) -> anyhow::Result<()> {
        if !crate::db::is_postgres(&self.db) {
            anyhow::bail!("DATABASE_REPLICA_URL needs a PostgreSQL primary");
        }
        let options = crate::db::DbOptions { lazy: true, ..options };
        let replica = crate::db::connect(options.clone()).await?;
        let lookups = crate::db::connect_lookups(options, &replica).await?;
        let max_lag = std::time::Duration::from_millis(self.config.replica_max_lag_ms);
        self.reads.attach(replica, lookups, max_lag);
        Ok(())
    }

    /// What the job worker and the runners it starts use.
    pub fn job_runtime(&self) -> JobRuntime {
        JobRuntime {
            db: self.db.clone(),
            reads: self.reads.clone(),
            files: self.files.clone(),
            events: self.events.clone(),
            config: self.config.clone(),
            wakeup: self.jobs_wakeup.clone(),
        }
    }
}
