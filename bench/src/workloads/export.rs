//! `bench export`: exports every contact of the seeded large organization (`bench seed`) through a
//! server started as a child process, timed from `startExport` to the finished job, with the server's
//! memory sampled throughout.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{
    client::{self, graphql},
    queries::fixture,
    server::Server,
};
use api::config::Config;

pub struct Options {
    /// CSV, XLSX or JSON.
    pub format: String,
}

pub async fn run(config: Config, opts: Options) -> anyhow::Result<()> {
    let token = fixture(&config, 10).await?.admin_token;
    let server = Server::start(&config, true).await?;
    let http = client::new();
    let start_rss = server.rss_mb();
    let started = Instant::now();
    let input = json!({ "format": opts.format.to_uppercase(), "scope": "ALL" });
    let query = "mutation($i: StartExportInput!) { startExport(input: $i) { id } }";
    let res = client::json(&http, graphql(&server.base, &token, query, json!({ "i": input }))).await?;
    let id = res["data"]["startExport"]["id"].as_str().ok_or_else(|| anyhow::anyhow!("{res}"))?.to_string();
    let poll = "query($id: ID!) { exportJob(id: $id) { state total processed rowCount downloadUrl error } }";
    let mut peak = start_rss;
    let job = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak = peak.max(server.rss_mb());
        let res = client::json(&http, graphql(&server.base, &token, poll, json!({ "id": id }))).await?;
        let job = res["data"]["exportJob"].clone();
        if !matches!(job["state"].as_str(), Some("QUEUED" | "RUNNING")) {
            break job;
        }
    };
    let elapsed = started.elapsed();
    let rows = job["rowCount"].as_i64().unwrap_or_default();
    println!(
        "export {} of {rows} contacts: {} in {:.2} s ({:.0} rows/s); server RSS start {start_rss} MB, peak {peak} MB (sampled every 200 ms), high-water {} MB",
        opts.format.to_uppercase(),
        job["state"].as_str().unwrap_or("?"),
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64().max(1e-9),
        server.peak_mb(),
    );
    if let Some(error) = job["error"].as_str() {
        println!("error: {error}");
    }
    Ok(())
}
