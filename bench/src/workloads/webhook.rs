//! Signed WhatsApp webhook deliveries: each carries one text message from one of `senders` numbers, so
//! the run mixes first messages (new contacts) with repeat senders.

use std::{sync::Arc, time::Instant};

use axum::body::Body;
use tokio::sync::Semaphore;

use super::{Report, client};
use api::{
    app,
    channels::service::{ChannelInput, create},
    config::Config,
    inbound_webhooks::signature,
};

const NUMBER_ID: &str = "900000000000001";
const SECRET: &str = "bench-app-secret";

pub struct Options {
    pub messages: usize,
    pub concurrency: usize,
    pub senders: usize,
}

pub async fn run(config: Config, opts: Options) -> anyhow::Result<Report> {
    let (state, org, _tmp) = super::setup(config).await?;
    let db = state.db.clone();
    let actor = api::auth::Actor::system(org.organization.clone());
    let channel = ChannelInput {
        kind: Some(entity::enums::ChannelKind::Whatsapp),
        name: Some("Bench".into()),
        external_id: Some(format!("{NUMBER_ID}{}", &uuid::Uuid::new_v4().simple().to_string()[..6])),
        display_phone_number: None,
        app_secret: Some(SECRET.into()),
        verify_token: Some("bench".into()),
        active: None,
    };
    let channel = create(&db, &actor, channel).await?;
    let number_id = channel.external_id.unwrap_or_default();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/whatsapp", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });

    let http = client::new();
    let gate = Arc::new(Semaphore::new(opts.concurrency));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(opts.messages);
    for i in 0..opts.messages {
        let permit = gate.clone().acquire_owned().await?;
        let body = delivery(&number_id, i, opts.senders);
        let request = axum::http::Request::post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature::sign(SECRET, body.as_bytes()))
            .body(Body::from(body))?;
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let out = client::timed(&http, request).await;
            drop(permit);
            out
        }));
    }
    let mut latencies = Vec::with_capacity(opts.messages);
    let mut errors = 0;
    for t in tasks {
        let (latency, ok) = t.await?;
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    let elapsed = start.elapsed();
    Ok(Report { name: format!("webhook c={}", opts.concurrency), requests: opts.messages, errors, elapsed, latencies })
}

fn delivery(number_id: &str, i: usize, senders: usize) -> String {
    let from = format!("5068{:07}", i % senders.max(1));
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550000000", "phone_number_id": number_id },
            "contacts": [{ "profile": { "name": format!("Sender {}", i % senders.max(1)) }, "wa_id": from }],
            "messages": [{ "from": from, "id": format!("wamid.bench.{i}.{}", uuid::Uuid::new_v4().simple()),
                           "timestamp": (1_760_000_000 + i).to_string(), "type": "text", "text": { "body": "Is it still available?" } }]
        }}]}]
    })
    .to_string()
}
