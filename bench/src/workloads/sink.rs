//! A collector stand-in for benchmarks: answers every OTLP/HTTP export at once and prints, every 10 s, how
//! many exports and bytes arrived, so a run with traces on pays for exporting but not for a slow collector.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{Router, body::Bytes, routing::post};

pub async fn run(port: u16) -> anyhow::Result<()> {
    let exports = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let (e, b) = (exports.clone(), bytes.clone());
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            e.fetch_add(1, Ordering::Relaxed);
            b.fetch_add(body.len() as u64, Ordering::Relaxed);
            async { ([("content-type", "application/x-protobuf")], Vec::<u8>::new()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("OTLP sink on http://127.0.0.1:{port}");
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            println!("{} exports, {} KB", exports.load(Ordering::Relaxed), bytes.load(Ordering::Relaxed) / 1024);
        }
    });
    axum::serve(listener, app).await?;
    Ok(())
}
