//! A bulk tag-add over every contact of a large organization, selected by filter, through the real
//! endpoint: timed from the request to the finished job.

use std::time::{Duration, Instant};

use axum::body::Body;
use entity::contact;
use sea_orm::EntityTrait;

use super::client;
use api::{app, config::Config, contacts::write::NewRow, db::new_id};

pub struct Options {
    pub contacts: usize,
}

pub async fn run(config: Config, opts: Options) -> anyhow::Result<()> {
    let (state, owner, _tmp) = super::setup(config).await?;
    let org = owner.organization.id;
    let stage = api::pipeline::service::first_stage(&state.db, org).await?;
    let seeded = Instant::now();
    for start in (0..opts.contacts).step_by(1000) {
        let rows = (start..(start + 1000).min(opts.contacts)).map(|i| {
            NewRow {
                id: new_id(),
                organization_id: org,
                name: format!("Lead {i}"),
                name_edited_manually: false,
                phone: Some(format!("+5068{}{:06}", 3 + (i / 1_000_000) % 7, i % 1_000_000)),
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
        contact::Entity::insert_many(rows).exec_without_returning(&state.db).await?;
    }
    println!("seeded {} contacts in {:.1} s", opts.contacts, seeded.elapsed().as_secs_f64());

    api::jobs::worker::spawn_worker(state.job_runtime());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let http = client::new();
    let call = |query: serde_json::Value| {
        axum::http::Request::post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", owner.session.token))
            .body(Body::from(query.to_string()))
    };
    let start = Instant::now();
    let q = serde_json::json!({ "query": "mutation { bulkUpdateContacts(selection: { filter: {} }, patch: { addTags: [\"Campaign\"] }) { matched job { id } } }" });
    let answer = client::json(&http, call(q)?).await?;
    let id = answer["data"]["bulkUpdateContacts"]["job"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no job: {answer}"))?
        .to_string();
    let job = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let q = serde_json::json!({ "query": "query($id: ID!) { job(id: $id) { state processed updated error } }", "variables": { "id": id } });
        let job = client::json(&http, call(q)?).await?["data"]["job"].clone();
        if !matches!(job["state"].as_str(), Some("QUEUED" | "RUNNING")) {
            break job;
        }
    };
    println!(
        "bulk tag-add over {} contacts by filter: {} in {:.2} s, updated {}, peak RSS {} MB",
        answer["data"]["bulkUpdateContacts"]["matched"],
        job["state"].as_str().unwrap_or("?"),
        start.elapsed().as_secs_f64(),
        job["updated"],
        super::peak_rss_mb(),
    );
    Ok(())
}
