//! Structured logs. sqlx's per-statement logging is quieted: statements are not news.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=info";

pub fn init(format: LogFormat) {
    let directives = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty());
    let filter = EnvFilter::new(directives.as_deref().unwrap_or(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true)).try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
}
