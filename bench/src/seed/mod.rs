//! `bench seed`: fills a database with a realistic, deterministic data set for the benchmarks: one large
//! organization and many small ones, with agents, tags, stages, contacts with phones, conversations with
//! messages, and notes. The same seed gives the same rows, ids included; dates count back from a fixed
//! day so reruns match too.

mod contacts;
mod names;

use chrono::{DateTime, TimeZone, Utc};
use entity::{
    channel,
    enums::{ChannelKind, PlanTier, UserRole},
    organization, pipeline_stage, tag, user,
};
use futures_util::TryStreamExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Iterable,
    TransactionTrait,
};
use uuid::Uuid;

use api::{pipeline::service::DEFAULT_STAGES, validate::fold};

pub const LARGE_ORG_NAME: &str = "Seed Realty (large)";

pub struct Options {
    /// Contacts of the large organization.
    pub large: usize,
    pub small_orgs: usize,
    pub small_size: usize,
    pub conversations: usize,
    pub notes: usize,
    pub seed: u64,
}

/// The last day of the seeded period; creation and activity spread over the two years before it.
pub fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap_or_default()
}

pub const PERIOD_SECS: i64 = 730 * 86_400;

/// One seeded organization and the rows its contacts refer to.
struct Org {
    index: usize,
    id: Uuid,
    size: usize,
    stages: Vec<Uuid>,
    agents: Vec<Uuid>,
    authors: Vec<Uuid>,
    tags: Vec<Uuid>,
    channel: Uuid,
}

/// A time-ordered (version 7) UUID for a row created at `at`, its random part drawn from the seeded
/// generator: ids repeat across runs and sort by creation, as the server's own ids do.
fn uuid_at(rng: &mut fastrand::Rng, at: DateTime<Utc>) -> Uuid {
    let random: [u8; 10] = rng.u128(..).to_le_bytes()[..10].try_into().unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random).into_uuid()
}

fn uuid(rng: &mut fastrand::Rng) -> Uuid {
    uuid_at(rng, anchor() - chrono::Duration::seconds(PERIOD_SECS))
}

pub async fn run(db: &DatabaseConnection, opts: Options) -> anyhow::Result<()> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await?;
    let started = std::time::Instant::now();
    let total = opts.large + opts.small_orgs * opts.small_size;
    let odds = contacts::Odds {
        conversation: opts.conversations as f64 / total.max(1) as f64,
        note: opts.notes as f64 / total.max(1) as f64,
    };
    let mut orgs = Vec::new();
    for index in 0..=opts.small_orgs {
        let (size, agents) = if index == 0 { (opts.large, 20) } else { (opts.small_size, 3) };
        orgs.push(organization(db, opts.seed, index, size, agents).await?);
    }
    // Batches are independent (each has its own generator), so two run at once: one builds rows while
    // the other's are written. SQLite has one writer, so it takes them one at a time.
    let parallel = if api::db::is_postgres(db) { 2 } else { 1 };
    let batches: Vec<(usize, usize)> = orgs
        .iter()
        .enumerate()
        .flat_map(|(o, org)| (0..org.size.div_ceil(contacts::BATCH)).map(move |b| (o, b)))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    futures_util::stream::iter(batches.into_iter().map(Ok::<_, DbErr>))
        .try_for_each_concurrent(parallel, |(o, b)| {
            let (orgs, done) = (&orgs, &done);
            async move {
                let rows = contacts::generate(&orgs[o], b, opts.seed, odds);
                let n = rows.contacts.len();
                let txn = db.begin().await?;
                rows.insert(&txn).await?;
                txn.commit().await?;
                let so_far = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                if so_far / 100_000 != (so_far - n) / 100_000 {
                    println!("{so_far} contacts ({:.0} s)", started.elapsed().as_secs_f64());
                }
                Ok(())
            }
        })
        .await?;
    println!("analyzing tables ({:.0} s)", started.elapsed().as_secs_f64());
    // Fresh statistics for the planner; on PostgreSQL VACUUM also sets the visibility map, so
    // index-only scans (counts) skip the heap.
    db.execute_unprepared(if api::db::is_postgres(db) { "VACUUM ANALYZE" } else { "ANALYZE" }).await?;
    println!("seeded {total} contacts in {} organizations in {:.1} s", orgs.len(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The organization row, its owner, admin and agents, default stages, 50 tags and a WhatsApp channel.
async fn organization(
    db: &DatabaseConnection,
    seed: u64,
    index: usize,
    size: usize,
    agent_count: usize,
) -> anyhow::Result<Org> {
    let mut rng = fastrand::Rng::with_seed(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let at = anchor() - chrono::Duration::seconds(PERIOD_SECS);
    let id = uuid(&mut rng);
    let name = if index == 0 { LARGE_ORG_NAME.to_string() } else { format!("Seed Agency {index:03}") };
    if organization::Entity::find_by_id(id).one(db).await?.is_some() {
        anyhow::bail!("this database is already seeded with seed {seed}; seed an empty database");
    }
    let txn = db.begin().await?;
    organization::ActiveModel {
        id: Set(id),
        name: Set(name),
        plan: Set(PlanTier::Scale),
        default_country: Set("CR".into()),
        time_zone: Set(None),
        settings: Set(serde_json::json!({})),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    let mut users = vec![(UserRole::Owner, "owner".to_string()), (UserRole::Admin, "admin".to_string())];
    users.extend((1..=agent_count).map(|a| (UserRole::Agent, format!("agent{a:02}"))));
    let user_rows: Vec<_> = users
        .iter()
        .map(|(role, handle)| user::ActiveModel {
            id: Set(uuid(&mut rng)),
            organization_id: Set(id),
            email: Set(format!("{handle}@seed{index:03}.test")),
            name: Set(format!("{} {}", names::FIRST[rng.usize(..60)], names::LAST[rng.usize(..60)])),
            role: Set(*role),
            viewer_agent_ids: Set(None),
            password_hash: Set(None),
            active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .collect();
    let user_ids: Vec<Uuid> = user_rows.iter().map(|u| u.id.clone().unwrap()).collect();
    insert_all(&txn, user_rows).await?;
    let stages: Vec<_> = DEFAULT_STAGES
        .iter()
        .enumerate()
        .map(|(i, (name, color, kind))| pipeline_stage::ActiveModel {
            id: Set(uuid(&mut rng)),
            organization_id: Set(id),
            name: Set((*name).to_string()),
            color: Set((*color).to_string()),
            kind: Set(*kind),
            position: Set(i as i32),
            archived: Set(false),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .collect();
    let stage_ids = stages.iter().map(|s| s.id.clone().unwrap()).collect();
    insert_all(&txn, stages).await?;
    let tags: Vec<_> = names::tags()
        .map(|name| tag::ActiveModel {
            id: Set(uuid(&mut rng)),
            organization_id: Set(id),
            name_key: Set(fold(&name)),
            name: Set(name),
            color: Set(None),
            created_at: Set(at),
        })
        .collect();
    let tag_ids = tags.iter().map(|t| t.id.clone().unwrap()).collect();
    insert_all(&txn, tags).await?;
    let channel_id = uuid(&mut rng);
    channel::ActiveModel {
        id: Set(channel_id),
        organization_id: Set(id),
        kind: Set(ChannelKind::Whatsapp),
        name: Set("WhatsApp".into()),
        external_id: Set(Some(format!("seed-{seed}-{index}"))),
        display_phone_number: Set(Some(format!("+506 2200 {index:04}"))),
        app_secret: Set(None),
        verify_token: Set(None),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Org {
        index,
        id,
        size,
        stages: stage_ids,
        agents: user_ids[2..].to_vec(),
        authors: user_ids,
        tags: tag_ids,
        channel: channel_id,
    })
}

/// Multi-row inserts, as many rows per statement as both databases' parameter limits allow.
async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per_statement = (30_000 / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}
