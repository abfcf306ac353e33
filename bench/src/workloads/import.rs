//! A 100,000-row xlsx import through the real HTTP upload path, timed from upload to a finished job,
//! with the process's memory sampled while the job runs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::body::Body;
use rust_xlsxwriter::Workbook;

use super::client;
use api::{app, config::Config};

pub struct Options {
    pub rows: usize,
}

pub async fn run(mut config: Config, opts: Options) -> anyhow::Result<()> {
    config.max_upload_bytes = 100 * 1024 * 1024;
    let (state, owner, _tmp) = super::setup(config).await?;
    let file = workbook(opts.rows)?;
    println!("generated {} rows, {:.1} MB xlsx", opts.rows, file.len() as f64 / 1e6);

    api::jobs::worker::spawn_worker(state.job_runtime());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });

    let peak = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn(sample_rss(peak.clone()));
    let http = client::new();
    let start = Instant::now();
    let query = "mutation($file: Upload!) { startImport(file: $file) { id } }";
    let body = multipart(query, &file);
    let request = axum::http::Request::post(format!("{base}/graphql"))
        .header("content-type", "multipart/form-data; boundary=bench-boundary")
        .header("authorization", format!("Bearer {}", owner.session.token))
        .header("apollo-require-preflight", "true")
        .body(Body::from(body))?;
    let answer = client::json(&http, request).await?;
    let id = answer["data"]["startImport"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("upload failed: {answer}"))?
        .to_string();
    let uploaded = start.elapsed();
    let job = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let q = serde_json::json!({ "query": "query($id: ID!) { importJob(id: $id) { state processed created skipped invalid error } }", "variables": { "id": id } });
        let request = axum::http::Request::post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", owner.session.token))
            .body(Body::from(q.to_string()))?;
        let job = client::json(&http, request).await?["data"]["importJob"].clone();
        if !matches!(job["state"].as_str(), Some("QUEUED" | "RUNNING")) {
            break job;
        }
    };
    let elapsed = start.elapsed();
    sampler.abort();
    println!(
        "import {} rows: {} in {:.2} s (upload {:.2} s), created {} skipped {} invalid {}, peak RSS during import {} MB",
        opts.rows,
        job["state"].as_str().unwrap_or("?"),
        elapsed.as_secs_f64(),
        uploaded.as_secs_f64(),
        job["created"],
        job["skipped"],
        job["invalid"],
        peak.load(Ordering::Relaxed) / 1024,
    );
    Ok(())
}

fn workbook(rows: usize) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    for (c, h) in ["Teléfono", "Nombre", "Correo", "Etiquetas"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, format!("+5068{}{:06}", 3 + (i / 1_000_000) % 7, i % 1_000_000))?;
        sheet.write_string(r, 1, format!("Cliente {i}"))?;
        sheet.write_string(r, 2, format!("cliente{i}@example.com"))?;
        sheet.write_string(r, 3, ["VIP", "Buyer", "Renter", ""][i % 4])?;
    }
    Ok(book.save_to_buffer()?)
}

fn multipart(query: &str, file: &[u8]) -> Vec<u8> {
    let ops = serde_json::json!({ "query": query, "variables": { "file": null } }).to_string();
    let mut body = Vec::new();
    let b = "bench-boundary";
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{ops}\r\n").as_bytes());
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n")
            .as_bytes(),
    );
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"contacts.xlsx\"\r\n\r\n").as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    body
}

/// Samples the resident memory (KiB) every 50 ms, keeping the highest.
async fn sample_rss(peak: Arc<AtomicU64>) {
    loop {
        let kb = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0);
        peak.fetch_max(kb, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
