//! `bench queries`: the read workloads users feel most, against the seeded large organization
//! (`bench seed`), through a server started as a separate process so its memory is measured alone.
//!
//! Q1 an agent's first 50 visible contacts by last activity, with tags and assignee; Q2 an admin's
//! search (a name fragment matching about a tenth, one matching one name in sixty, one matching
//! nothing, five phone digits, and an exact user id or username), first 20; Q3 a tag and a stage created in a 30-day window, first 50
//! with the exact total; Q4 one contact with tags, notes, its conversation and the last 20 messages; Q5 an
//! agent's list of the shared segments with their counts; Q6 an agent's first page of one segment; W1 an
//! admin renames a contact (a write, which keeps every segment's memberships).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{body::Body, http::Request};
use entity::{
    contact, contact_identifier, conversation,
    enums::{IdentifierKind, UserRole},
    organization, pipeline_stage, tag, user,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{
    ceiling,
    client::{self, graphql},
    load,
    server::Server,
    status_mb,
};
use api::{
    auth::JwtKeys,
    config::Config,
    db::{DbOptions, connect},
};

use crate::seed::{LARGE_ORG_NAME, PERIOD_SECS, anchor};

pub struct Options {
    pub concurrency: usize,
    pub seconds: u64,
    /// Run only the workloads whose name starts with one of these (Q1, Q2, ...); all when empty.
    pub only: Vec<String>,
    /// After each server run, the same queries as hand-written SQL (`ceiling`), with the ratio.
    pub ceiling: bool,
    /// Server processes on the one database, the workers spread across them.
    pub servers: usize,
    /// Kept shared segments in the organization (`segments::ensure`).
    pub segments: usize,
}

const Q1: &str = "{ contacts(first: 50, orderBy: {field: LAST_ACTIVITY_AT, direction: DESC}) { edges { node { id name phone lastActivityAt status { name } tags { name } assignee { name } } } } }";
const Q2: &str =
    "query($s: String!) { contacts(first: 20, search: $s) { edges { node { id name phone email lastActivityAt } } } }";
const Q3: &str = "query($f: ContactFilter!) { contacts(first: 50, filter: $f) { totalCount edges { node { id name phone createdAt tags { name } } } } }";
const Q5: &str = "{ segments { id name count { value exact } } }";
const Q6: &str = "query($id: ID!) { segment(id: $id) { contacts(first: 50) { edges { node { id name phone lastActivityAt status { name } tags { name } assignee { name } } } } } }";
const Q4: &str = "query($id: ID!) { contact(id: $id) { id name phone status { name } tags { name } assignee { name } notes(first: 20) { edges { node { body createdAt author { name } } } } conversations { id lastMessageAt messages(first: 20) { edges { node { direction body status createdAt } } } } } }";

/// What the workloads draw from: tokens, tag and stage ids, contacts with conversations, phone digits.
pub(super) struct Fixture {
    organization_id: Uuid,
    agent_ids: Vec<Uuid>,
    agent_tokens: Vec<String>,
    pub(super) admin_token: String,
    tags: Vec<Uuid>,
    stages: Vec<Uuid>,
    with_conversation: Vec<Uuid>,
    phone_fragments: Vec<String>,
    /// Exact identities to search for: business-scoped user ids and `@usernames`.
    identities: Vec<String>,
    /// Shared segments of the organization (`segments::ensure`).
    segments: Vec<Uuid>,
}

pub(super) async fn fixture(config: &Config, segments: usize) -> anyhow::Result<Fixture> {
    let db = connect(DbOptions::from_config(config)).await?;
    // A database seeded by an earlier version takes this one's migrations before its segments are made.
    <migration::Migrator as migration::MigratorTrait>::up(&db, None).await?;
    let Some(org) = organization::Entity::find().filter(organization::Column::Name.eq(LARGE_ORG_NAME)).one(&db).await?
    else {
        anyhow::bail!("no seeded organization here: run `bench seed` against this DATABASE_URL first");
    };
    let secret = config.jwt_secret()?;
    let keys = JwtKeys::new(&secret.bytes, &config.jwt_issuer, &config.jwt_audience, config.token_ttl_minutes);
    let users = user::Entity::find().filter(user::Column::OrganizationId.eq(org.id)).all(&db).await?;
    let mut agent_tokens = Vec::new();
    let mut agent_ids = Vec::new();
    let mut admin_token = None;
    for u in users {
        let (role, id) = (u.role, u.id);
        let token = api::users::service::session_for(&db, &keys, u).await?.token;
        match role {
            UserRole::Agent => {
                agent_tokens.push(token);
                agent_ids.push(id);
            }
            UserRole::Admin => admin_token = Some(token),
            _ => {}
        }
    }
    let tags = tag::Entity::find().filter(tag::Column::OrganizationId.eq(org.id)).all(&db).await?;
    let stages =
        pipeline_stage::Entity::find().filter(pipeline_stage::Column::OrganizationId.eq(org.id)).all(&db).await?;
    let with_conversation = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::ContactId)
        .filter(conversation::Column::OrganizationId.eq(org.id))
        .order_by_asc(conversation::Column::Id)
        .limit(2_000)
        .into_tuple()
        .all(&db)
        .await?;
    let phones: Vec<Option<String>> = contact::Entity::find()
        .select_only()
        .column(contact::Column::Phone)
        .filter(contact::Column::OrganizationId.eq(org.id))
        .order_by_asc(contact::Column::Id)
        .limit(500)
        .into_tuple()
        .all(&db)
        .await?;
    let mut identities = Vec::new();
    for kind in [IdentifierKind::WaUserId, IdentifierKind::Username] {
        let values: Vec<String> = contact_identifier::Entity::find()
            .select_only()
            .column(contact_identifier::Column::Value)
            .filter(contact_identifier::Column::OrganizationId.eq(org.id))
            .filter(contact_identifier::Column::Kind.eq(kind))
            .order_by_asc(contact_identifier::Column::Id)
            .limit(500)
            .into_tuple()
            .all(&db)
            .await?;
        let at = if kind == IdentifierKind::Username { "@" } else { "" };
        identities.extend(values.into_iter().map(|v| format!("{at}{v}")));
    }
    if identities.is_empty() {
        anyhow::bail!("the seeded organization has no identities to search: seed again with this version");
    }
    let tag_ids: Vec<Uuid> = tags.iter().map(|t| t.id).collect();
    let stage_ids: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    let segments = super::segments::ensure(&db, org.id, &tag_ids, &stage_ids, segments).await?;
    // Five digits from the subscriber part of a real number (after +5068).
    let phone_fragments = phones.into_iter().flatten().filter_map(|p| p.get(6..11).map(str::to_owned)).collect();
    Ok(Fixture {
        organization_id: org.id,
        agent_ids,
        agent_tokens,
        admin_token: admin_token.ok_or_else(|| anyhow::anyhow!("the seeded organization has no admin"))?,
        tags: tag_ids,
        stages: stage_ids,
        with_conversation,
        phone_fragments,
        identities,
        segments,
    })
}

type Build = Box<dyn Fn(usize, usize) -> Request<Body> + Send + Sync>;

/// Each worker sends its requests to one of `bases` (worker `w` to `bases[w % n]`), spreading the load.
fn workloads(bases: &[String], f: Fixture) -> Vec<(String, Build)> {
    let f = Arc::new(f);
    let mut list: Vec<(String, Build)> = Vec::new();
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q0 baseline: me (auth + HTTP)".into(),
        Box::new(move |_, w| {
            let b = &b[w % b.len()];
            graphql(b, &fx.agent_tokens[w % fx.agent_tokens.len()], "{ me { role user { id } } }", json!({}))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q1 agent first 50 by activity".into(),
        Box::new(move |_, w| graphql(&b[w % b.len()], &fx.agent_tokens[w % fx.agent_tokens.len()], Q1, json!({}))),
    ));
    for (label, fragment) in
        [("Q2 search 'mari' (~10%)", "mari"), ("Q2 search 'xime' (~2%)", "xime"), ("Q2 search 'zqxj' (none)", "zqxj")]
    {
        let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
        list.push((
            label.into(),
            Box::new(move |_, w| graphql(&b[w % b.len()], &fx.admin_token, Q2, json!({ "s": fragment }))),
        ));
    }
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q2 search 5 phone digits".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let s = &fx.phone_fragments[i % fx.phone_fragments.len()];
            graphql(b, &fx.admin_token, Q2, json!({ "s": s }))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q2 search exact identity".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let s = &fx.identities[i % fx.identities.len()];
            graphql(b, &fx.admin_token, Q2, json!({ "s": s }))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q3 tag+stage+30 days, total".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let to = anchor() - chrono::Duration::days(30 * (i % 23) as i64);
            let from = to - chrono::Duration::days(30);
            debug_assert!((anchor() - from).num_seconds() <= PERIOD_SECS);
            let filter = json!({
                "tagIds": [fx.tags[i % fx.tags.len()]],
                "statusIds": [fx.stages[i % fx.stages.len()]],
                "createdFrom": from.to_rfc3339(),
                "createdTo": to.to_rfc3339(),
            });
            graphql(b, &fx.admin_token, Q3, json!({ "f": filter }))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q5 an agent's segments with counts".into(),
        Box::new(move |_, w| graphql(&b[w % b.len()], &fx.agent_tokens[w % fx.agent_tokens.len()], Q5, json!({}))),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "Q6 an agent's segment, first 50".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let id = fx.segments[i % fx.segments.len()];
            graphql(b, &fx.agent_tokens[w % fx.agent_tokens.len()], Q6, json!({ "id": id }))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f.clone());
    list.push((
        "W1 an admin renames a contact".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let id = fx.with_conversation[(i * 7 + w) % fx.with_conversation.len()];
            let q = "mutation($id: ID!, $n: String!) { updateContact(id: $id, input: { name: $n }) { id } }";
            graphql(b, &fx.admin_token, q, json!({ "id": id, "n": format!("Bench name {}", i % 1000) }))
        }),
    ));
    let (b, fx) = (Arc::new(bases.to_vec()), f);
    list.push((
        "Q4 contact with messages".into(),
        Box::new(move |i, w| {
            let b = &b[w % b.len()];
            let id = fx.with_conversation[i % fx.with_conversation.len()];
            graphql(b, &fx.admin_token, Q4, json!({ "id": id }))
        }),
    ));
    list
}

/// Checks that the statement twin answers the same rows, in the same order, as the server, on three requests.
async fn same_rows(
    http: &client::HttpClient,
    build: &Build,
    sql: &sea_orm::DatabaseConnection,
    twin: &ceiling::SqlBuild,
    name: &str,
) -> anyhow::Result<()> {
    for i in 0..3 {
        let res = http.request(build(i, 0)).await?;
        let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&body)?;
        let served: Vec<String> = match answer["data"]["contact"]["id"].as_str() {
            Some(id) => vec![id.to_string()],
            None => answer["data"]["contacts"]["edges"]
                .as_array()
                .map(|e| e.iter().filter_map(|e| e["node"]["id"].as_str().map(String::from)).collect())
                .unwrap_or_default(),
        };
        let written: Vec<String> = ceiling::ids(sql, twin(i, 0)).await?.iter().map(Uuid::to_string).collect();
        anyhow::ensure!(
            served == written,
            "{name}: the SQL answers other rows than the server ({served:?} vs {written:?})"
        );
    }
    Ok(())
}

pub async fn run(config: Config, opts: Options) -> anyhow::Result<()> {
    let fixture = fixture(&config, opts.segments).await?;
    anyhow::ensure!(
        !fixture.agent_tokens.is_empty()
            && !fixture.with_conversation.is_empty()
            && !fixture.phone_fragments.is_empty(),
        "the seeded organization lacks agents, conversations or phones"
    );
    let mut servers = Vec::new();
    for _ in 0..opts.servers.max(1) {
        let server = Server::start(&config, false).await?;
        println!("server pid {} at {}, RSS {} MB after start", server.child.id(), server.base, server.rss_mb());
        servers.push(server);
    }
    let server = &servers[0];
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let http = client::new();
    let peak = Arc::new(AtomicU64::new(0));
    let pid = server.child.id().to_string();
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(status_mb(&pid, "VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let twins = if opts.ceiling {
        anyhow::ensure!(config.database_url.starts_with("postgres"), "the ceiling is written for PostgreSQL");
        ceiling::twins(ceiling::Inputs {
            organization_id: fixture.organization_id,
            agent_ids: fixture.agent_ids.clone(),
            tags: fixture.tags.clone(),
            stages: fixture.stages.clone(),
            with_conversation: fixture.with_conversation.clone(),
            phone_fragments: fixture.phone_fragments.clone(),
            identities: fixture.identities.clone(),
        })
    } else {
        Vec::new()
    };
    // A plain pool of as many connections as workers, that waits as long as a statement takes, with the
    // server's one session setting: custom plans (a generic plan of these statements reads far too much).
    let mut pool = sea_orm::ConnectOptions::new(config.database_url.clone());
    pool.max_connections(opts.concurrency as u32).acquire_timeout(Duration::from_secs(60)).sqlx_logging(false);
    pool.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
    let sql = sea_orm::Database::connect(pool).await?;
    let pids: Vec<String> = servers.iter().map(|s| s.child.id().to_string()).collect();
    let servers_cpu = || pids.iter().map(|p| ceiling::cpu_seconds(p)).sum::<f64>();
    for (name, build) in workloads(&bases, fixture) {
        if !opts.only.is_empty() && !opts.only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        // A short warm-up so the first figures do not measure cold caches and connection setup.
        let warm = Arc::new(build);
        let w = warm.clone();
        load::drive(&http, opts.concurrency, Duration::from_secs(2), move |i, k| w(i, k)).await;
        peak.store(server.rss_mb(), Ordering::Relaxed);
        let b = warm.clone();
        let cpu = (servers_cpu(), ceiling::postgres_cpu_seconds());
        let outcome =
            load::drive(&http, opts.concurrency, Duration::from_secs(opts.seconds), move |i, k| b(i, k)).await;
        let used = (servers_cpu() - cpu.0, ceiling::postgres_cpu_seconds() - cpu.1);
        let report = outcome.report(format!("{name} c={}", opts.concurrency));
        report.print_with_memory(peak.load(Ordering::Relaxed));
        let Some((_, twin)) = twins.iter().find(|(n, _)| *n == name) else { continue };
        let server_rps = report.requests as f64 / report.elapsed.as_secs_f64().max(1e-9);
        let per = |seconds: f64, n: usize| seconds * 1000.0 / n.max(1) as f64;
        println!(
            "  CPU per request: server {:.3} ms, PostgreSQL {:.3} ms",
            per(used.0, report.requests),
            per(used.1, report.requests)
        );
        same_rows(&http, &warm, &sql, twin, &name).await?;
        ceiling::drive(&sql, opts.concurrency, Duration::from_secs(1), twin.clone(), String::new()).await;
        let pg = ceiling::postgres_cpu_seconds();
        let floor = ceiling::drive(
            &sql,
            opts.concurrency,
            Duration::from_secs(opts.seconds),
            twin.clone(),
            format!("  SQL ceiling c={}", opts.concurrency),
        )
        .await;
        let pg_used = ceiling::postgres_cpu_seconds() - pg;
        floor.print_with_memory(0);
        let sql_rps = floor.requests as f64 / floor.elapsed.as_secs_f64().max(1e-9);
        println!(
            "  ratio server/SQL {:.2}; PostgreSQL CPU per SQL request {:.3} ms",
            server_rps / sql_rps.max(1e-9),
            per(pg_used, floor.requests)
        );
    }
    sampler.abort();
    println!("server peak RSS over the run {} MB", server.peak_mb());
    Ok(())
}
