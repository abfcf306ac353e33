//! A server in a process of its own, for the tests that kill one: the same state, router and job worker
//! `api serve` runs (logs and traces included), configured from the environment, on a test's own PostgreSQL schema (`TEST_SEARCH_PATH`).

use api::{AppState, config::Config, db::DbOptions};
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Cli::parse().config;
    api::telemetry::init(&config);
    let options = DbOptions { search_path: std::env::var("TEST_SEARCH_PATH").ok(), ..DbOptions::from_config(&config) };
    let db = api::db::connect(options.clone()).await?;
    let lookups = api::db::connect_lookups(options, &db).await?;
    let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
    let state = AppState::new(db, lookups, config)?;
    api::jobs::worker::spawn_worker(state.job_runtime());
    api::outbound_webhooks::deliver::spawn_worker(state.db.clone(), state.webhooks.clone());
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, api::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
    Ok(())
}
