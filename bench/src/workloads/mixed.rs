//! A mixed load of reads and writes at high concurrency for a fixed time: lists, searches, contact
//! creation and edits, and signed webhook deliveries. Prints throughput, latency, how many answers were
//! errors (429 and 503 counted apart, as deliberate), and memory before, at peak and after the run.

use std::time::Duration;

use axum::body::Body;
use entity::contact;
use sea_orm::EntityTrait;

use super::{client, load, server::Server};
use api::{config::Config, contacts::write::NewRow, db::new_id, inbound_webhooks::signature};

pub struct Options {
    pub concurrency: usize,
    pub seconds: u64,
    /// Runs of the load one after another, each followed by 90 s idle: growth from one round to the next
    /// would be a leak, the same level after each a plateau.
    pub rounds: usize,
    /// Server processes on the one database, each worker sending to one of them.
    pub servers: usize,
}

const SECRET: &str = "bench-app-secret";

pub async fn run(config: Config, opts: Options) -> anyhow::Result<()> {
    let (state, owner, _tmp) = super::setup(config).await?;
    let org = owner.organization.id;
    let stage = api::pipeline::service::first_stage(&state.db, org).await?;
    let rows = (0..2_000).map(|i| {
        NewRow {
            id: new_id(),
            organization_id: org,
            name: format!("Seed {i}"),
            name_edited_manually: false,
            phone: Some(format!("+50683{i:06}")),
            wa_id: None,
            email: None,
            stage_id: stage.id,
            source: entity::enums::ContactSource::Import,
            source_listing_id: None,
            assignee_id: None,
            last_activity_at: api::db::now(),
        }
        .into_active_model()
    });
    for chunk in rows.collect::<Vec<_>>().chunks(500) {
        contact::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await?;
    }
    let actor = api::auth::Actor::system(owner.organization.clone());
    let number = format!("9{}", &uuid::Uuid::new_v4().as_u128().to_string()[..12]);
    let channel = api::channels::service::ChannelInput {
        kind: Some(entity::enums::ChannelKind::Whatsapp),
        name: Some("Load".into()),
        external_id: Some(number.clone()),
        display_phone_number: None,
        app_secret: Some(SECRET.into()),
        verify_token: Some("load".into()),
        active: None,
    };
    api::channels::service::create(&state.db, &actor, channel).await?;

    // The server runs as a child process, so the memory figures are its own and not the load generator's.
    let mut servers = Vec::new();
    for _ in 0..opts.servers.max(1) {
        servers.push(Server::start(&state.config, false).await?);
    }
    let server = &servers[0];
    let bases: std::sync::Arc<Vec<String>> = std::sync::Arc::new(servers.iter().map(|s| s.base.clone()).collect());
    let token = owner.session.token.clone();
    let start_rss = server.rss_mb();
    println!(
        "{} server(s); the first's RSS at start {start_rss} MB (anonymous {} MB)",
        servers.len(),
        server.anonymous_mb()
    );
    // Requests numbered from `first`, so every run's new phones and message ids are new.
    let drive = |concurrency: usize, seconds: u64, first: usize| {
        let (bases, token, number) = (bases.clone(), token.clone(), number.clone());
        async move {
            let http = client::new();
            load::drive(&http, concurrency, Duration::from_secs(seconds), move |i, w| {
                build(first + i, w, &bases[w % bases.len()], &token, &number)
            })
            .await
        }
    };
    // A few seconds of each request kind at concurrency 1 fills what a server builds once on first use
    // (lazily loaded tables, prepared statements, code paged in), so growth after the rounds is measured
    // against a server that has served, not one that never has.
    drive(1, 3, 9_000_000).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let warm_rss = server.rss_mb();
    println!("server RSS after warm-up {warm_rss} MB (anonymous {} MB)", server.anonymous_mb());
    for round in 1..=opts.rounds {
        let outcome = drive(opts.concurrency, opts.seconds, (round - 1) * 1_000_000).await;
        let (rate_limited, shed) = (outcome.rate_limited, outcome.shed);
        outcome.report(format!("mixed c={} round {round}", opts.concurrency)).print_with_memory(server.peak_mb());
        tokio::time::sleep(Duration::from_secs(5)).await;
        let after_5 = server.rss_mb();
        // Idle pooled connections close after 30 s (the pool checks every 30 s) and the allocator returns
        // their memory in the background.
        tokio::time::sleep(Duration::from_secs(85)).await;
        println!(
            "round {round}: 429: {rate_limited}  503: {shed}  server RSS start {start_rss} MB, warm {warm_rss} MB, peak so far {} MB, \
             5 s after {after_5} MB, 90 s after {} MB (anonymous {} MB)",
            server.peak_mb(),
            server.rss_mb(),
            server.anonymous_mb()
        );
    }
    Ok(())
}

/// The i-th request: half lists, then searches, creations, edits and webhook deliveries.
fn build(i: usize, worker: usize, base: &str, token: &str, number: &str) -> axum::http::Request<Body> {
    let graphql = |query: String| {
        axum::http::Request::post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(query))
            .unwrap_or_default()
    };
    match i % 10 {
        0..=4 => graphql(serde_json::json!({ "query": "{ contacts(first: 50) { totalCount edges { node { id name phone status { name } tags { name } assignee { name } } } } }" }).to_string()),
        5 | 6 => graphql(serde_json::json!({ "query": "query($s: String) { contacts(first: 20, search: $s) { edges { node { id name } } } }", "variables": { "s": format!("seed {}", i % 97) } }).to_string()),
        7 => graphql(serde_json::json!({ "query": "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }", "variables": { "i": { "name": format!("Load {i}"), "phone": format!("+5067{:07}", i % 10_000_000) } } }).to_string()),
        8 => graphql(serde_json::json!({ "query": "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }", "variables": { "i": { "name": format!("Tagged {i}"), "tags": ["load", format!("w{}", worker % 10)] } } }).to_string()),
        _ => {
            let from = format!("5068{:07}", i % 500);
            let body = serde_json::json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp", "metadata": { "display_phone_number": "1", "phone_number_id": number },
                "contacts": [{ "profile": { "name": "Load sender" }, "wa_id": from }],
                "messages": [{ "from": from, "id": format!("wamid.load.{i}"), "timestamp": "1760000000", "type": "text", "text": { "body": "hi" } }] } }] }] }).to_string();
            axum::http::Request::post(format!("{base}/webhooks/whatsapp"))
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature::sign(SECRET, body.as_bytes()))
                .body(Body::from(body))
                .unwrap_or_default()
        }
    }
}
