//! The `bench` command: `seed` fills a database with the benchmark data set, the other subcommands drive a
//! server with one workload each and print throughput, latency and memory.

use anyhow::Context;
use api::{
    config::Config,
    db::{DbOptions, connect},
    telemetry,
};
use bench::workloads;
use clap::{Parser, Subcommand};

// The same allocator as the server, so in-process workloads measure the server as it runs.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "bench", version, about = "Benchmark data and load generators for the contacts API")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill the database with the benchmark data set: one large organization and many small ones, the
    /// same rows for the same seed.
    Seed {
        /// Contacts of the large organization.
        #[arg(long, default_value_t = 1_000_000)]
        contacts: usize,
        #[arg(long, default_value_t = 99)]
        small_orgs: usize,
        #[arg(long, default_value_t = 1_000)]
        small_size: usize,
        #[arg(long, default_value_t = 200_000)]
        conversations: usize,
        #[arg(long, default_value_t = 220_000)]
        notes: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Signed WhatsApp webhook deliveries, one message each, against a server in this process.
    Webhook {
        #[arg(long, default_value_t = 5000)]
        messages: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Distinct sender numbers (new contacts, then repeat senders).
        #[arg(long, default_value_t = 1000)]
        senders: usize,
    },
    /// An xlsx of `rows` contacts uploaded and imported, timed to the finished job.
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
    },
    /// A bulk tag-add over every contact of an organization of `contacts`, selected by filter.
    Bulk {
        #[arg(long, default_value_t = 100_000)]
        contacts: usize,
    },
    /// Q0–Q6 read workloads and the W1 write against a seeded database (`bench seed`), each for `seconds` at
    /// `concurrency`, through the `api` binary started as a child process.
    Queries {
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Only the workloads whose name starts with one of these, e.g. --only Q1 --only Q3.
        #[arg(long)]
        only: Vec<String>,
        /// After each server run, the same queries as hand-written SQL through a plain pool (PostgreSQL),
        /// with the server/SQL ratio and CPU per request (`workloads/ceiling.rs`).
        #[arg(long)]
        ceiling: bool,
        /// Server processes on the one database, the load spread across them (figures are for all).
        #[arg(long, default_value_t = 1)]
        servers: usize,
        /// Kept shared segments the organization holds while the workloads run (made or removed first).
        #[arg(long, default_value_t = 10)]
        segments: usize,
    },
    /// Export every contact of the seeded large organization (`bench seed`) through the `api` binary
    /// started as a child process, timed to the finished job.
    Export {
        /// csv, xlsx or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Mixed reads and writes at `concurrency` for `seconds` (set RATE_LIMIT_*_PER_MINUTE=0 to measure
    /// the server rather than the limits).
    Mixed {
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
        #[arg(long, default_value_t = 180)]
        seconds: u64,
        /// Runs one after another, each followed by 90 s idle.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// Server processes on the one database, the load spread across them.
        #[arg(long, default_value_t = 1)]
        servers: usize,
    },
    /// A trace collector that accepts OTLP/HTTP exports and drops them, counting what arrived: point the
    /// server at it (`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`) to measure what tracing costs.
    OtlpSink {
        #[arg(long, default_value_t = 4318)]
        port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    api::memory::runtime()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let config = cli.config;
    // Logs only: the load generator's own work is not what a trace should show (its server child traces).
    telemetry::init(&api::config::Config { otel_exporter_otlp_endpoint: None, ..config.clone() });
    match cli.command {
        Command::Seed { contacts, small_orgs, small_size, conversations, notes, seed } => {
            let db = connect(DbOptions::from_config(&config)).await.context("connecting to the database")?;
            let opts = bench::seed::Options { large: contacts, small_orgs, small_size, conversations, notes, seed };
            bench::seed::run(&db, opts).await?;
        }
        Command::Webhook { messages, concurrency, senders } => {
            let opts = workloads::webhook::Options { messages, concurrency, senders };
            workloads::webhook::run(config, opts).await?.print();
        }
        Command::Import { rows } => workloads::import::run(config, workloads::import::Options { rows }).await?,
        Command::Bulk { contacts } => workloads::bulk::run(config, workloads::bulk::Options { contacts }).await?,
        Command::Queries { concurrency, seconds, only, ceiling, servers, segments } => {
            let options = workloads::queries::Options { concurrency, seconds, only, ceiling, servers, segments };
            workloads::queries::run(config, options).await?
        }
        Command::Export { format } => workloads::export::run(config, workloads::export::Options { format }).await?,
        Command::Mixed { concurrency, seconds, rounds, servers } => {
            workloads::mixed::run(config, workloads::mixed::Options { concurrency, seconds, rounds, servers }).await?
        }
        Command::OtlpSink { port } => workloads::sink::run(port).await?,
    }
    Ok(())
}
