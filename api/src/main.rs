//! The `api` command: `serve` (the default), `migrate`, `export-schema`, `bootstrap` and `token`.

use std::path::PathBuf;

use anyhow::Context;
use api::{
    AppState, app,
    bootstrap::{self, BootstrapInput},
    config::Config,
    db::{DbOptions, connect, connect_lookups},
    telemetry,
    users::service::token_for_email,
};
use clap::{Parser, Subcommand, ValueEnum};
use entity::enums::PlanTier;
use migration::{Migrator, MigratorTrait};

// See the workspace manifest: memory freed after a burst of load goes back to the OS.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "api", version, about = "Contacts API server for a WhatsApp-first CRM")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP (the default).
    Serve,
    /// Apply pending migrations, or roll back the last N with --down.
    Migrate {
        #[arg(long)]
        down: Option<u32>,
    },
    /// Write the GraphQL SDL to a file (default: schema.graphql).
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
    /// Create an organization with its default funnel and an owner, and print a token.
    Bootstrap {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Owner")]
        name: String,
        /// Generated and printed once when omitted.
        #[arg(long, env = "BOOTSTRAP_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long, value_enum, default_value = "free")]
        plan: CliPlan,
        #[arg(long, default_value = "CR")]
        country: String,
    },
    /// Print a fresh token for an existing user.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long)]
        organization: Option<uuid::Uuid>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CliPlan {
    Free,
    Starter,
    Growth,
    Scale,
}

impl From<CliPlan> for PlanTier {
    fn from(p: CliPlan) -> Self {
        match p {
            CliPlan::Free => Self::Free,
            CliPlan::Starter => Self::Starter,
            CliPlan::Growth => Self::Growth,
            CliPlan::Scale => Self::Scale,
        }
    }
}

fn main() -> anyhow::Result<()> {
    api::memory::runtime()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(&cli.config);
    let config = cli.config;

    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema { out } => {
            std::fs::write(&out, api::schema::sdl()).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
        }
        Command::Migrate { down } => {
            let db = connect(DbOptions::from_config(&config)).await?;
            match down {
                Some(n) => Migrator::down(&db, Some(n)).await?,
                None => Migrator::up(&db, None).await?,
            }
            println!("migrations done");
        }
        Command::Serve => serve(config).await?,
        Command::Bootstrap { organization, email, name, password, plan, country } => {
            let state = prepare(config).await?;
            let input = BootstrapInput {
                organization_name: organization,
                owner_email: email,
                owner_name: name,
                password: password.filter(|p| !p.is_empty()),
                plan: plan.into(),
                default_country: country,
            };
            let done = bootstrap::bootstrap(&state.db, &state.jwt, input).await?;
            println!("organization {} ({})", done.organization.name, done.organization.id);
            println!("owner {}", done.owner.email);
            if let Some(pw) = done.generated_password {
                println!("password {pw}");
            }
            println!("token {}", done.session.token);
        }
        Command::Token { email, organization } => {
            let state = prepare(config).await?;
            let session = token_for_email(&state.db, &state.jwt, &email, organization).await?;
            println!("{}", session.token);
        }
    }
    Ok(())
}

/// Connects, migrates, and builds the shared state.
async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let db = connect(DbOptions::from_config(&config)).await.context("connecting to the database")?;
    Migrator::up(&db, None).await.context("running migrations")?;
    let lookups = connect_lookups(DbOptions::from_config(&config), &db).await.context("connecting to the database")?;
    let replica = config.database_replica_url.clone().filter(|u| !u.is_empty());
    let options = DbOptions::from_config(&config);
    let state = AppState::new(db, lookups, config)?;
    if let Some(url) = replica {
        state.attach_replica(DbOptions { url, ..options }).await.context("connecting to the read replica")?;
    }
    Ok(state)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let development_key = config.jwt_secret()?.development;
    let addr = config.bind_addr;
    let production = config.is_production();
    let state = prepare(config).await?;
    if development_key {
        tracing::warn!("JWT_SECRET is not set: signing tokens with the built-in development key");
    }
    if !production {
        announce_demo(&state).await?;
    }
    if state.config.memory_trim_secs > 0 {
        api::memory::spawn_idle_trim(std::time::Duration::from_secs(state.config.memory_trim_secs));
    }
    if state.config.run_jobs {
        api::jobs::worker::spawn_worker(state.job_runtime());
        api::outbound_webhooks::deliver::spawn_worker(state.db.clone(), state.webhooks.clone());
    }
    if let Some(metrics_addr) = state.config.metrics_bind_addr {
        let listener =
            tokio::net::TcpListener::bind(metrics_addr).await.with_context(|| format!("binding {metrics_addr}"))?;
        tracing::info!("metrics at http://{metrics_addr}/metrics");
        let metrics = api::http::metrics::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, metrics).await });
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    tracing::info!("listening on http://{addr} (GraphiQL at /, GraphQL at /graphql)");
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
    telemetry::shutdown();
    tracing::info!("stopped");
    Ok(())
}

/// A fresh development database gets a demo organization, and the log says how to sign in.
async fn announce_demo(state: &AppState) -> anyhow::Result<()> {
    if let Some(demo) = bootstrap::ensure_demo(&state.db, &state.jwt).await? {
        tracing::info!(
            email = %demo.owner.email,
            password = %demo.generated_password.unwrap_or_default(),
            "created the demo organization '{}'",
            demo.organization.name
        );
        tracing::info!(
            "first token (paste into GraphiQL headers as {{\"Authorization\": \"Bearer <token>\"}}): {}",
            demo.session.token
        );
    } else {
        tracing::info!("get a token with: cargo run -- token --email <your email>");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
