//! Where reads that may lag a little go: a PostgreSQL streaming replica when one is attached and close
//! enough behind the primary, else the primary. Lists, counts, searches, exports, the funnel and duplicate
//! candidates read here; writes, actors, job claims and whatever a mutation answers read the primary, so a
//! client always sees its own write in the mutation's answer.
//!
//! The lag is measured, not trusted from the replica alone (a replica cut off from its primary believes
//! it is current): every tick notes the primary's WAL position, and the lag is how long ago the oldest
//! position the replica has not yet replayed was noted, so a replica that stays behind reads as behind.

use std::{
    collections::VecDeque,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// How often the replica's lag is measured.
const TICK: Duration = Duration::from_millis(250);
/// The lag recorded while the replica cannot be measured at all.
const UNKNOWN: u64 = u64::MAX;
/// Primary positions remembered at most (a minute of ticks); the oldest is always kept.
const NOTED: usize = 240;

#[derive(Clone)]
pub struct Reads {
    primary: DatabaseConnection,
    primary_lookups: DatabaseConnection,
    replica: Arc<OnceLock<Arc<Replica>>>,
}

struct Replica {
    db: DatabaseConnection,
    lookups: DatabaseConnection,
    max_lag_ms: u64,
    lag_ms: AtomicU64,
}

impl Reads {
    pub fn new(primary: DatabaseConnection, primary_lookups: DatabaseConnection) -> Self {
        Self { primary, primary_lookups, replica: Arc::new(OnceLock::new()) }
    }

    /// The replica's two pools, when one is attached (`/metrics`).
    pub fn replica_pools(&self) -> Option<(&DatabaseConnection, &DatabaseConnection)> {
        self.replica.get().map(|r| (&r.db, &r.lookups))
    }

    /// Sends lagging reads to this replica while it stays within `max_lag` of the primary.
    pub fn attach(&self, db: DatabaseConnection, lookups: DatabaseConnection, max_lag: Duration) {
        let replica = Arc::new(Replica { db, lookups, max_lag_ms: max_lag.as_millis() as u64, lag_ms: UNKNOWN.into() });
        if self.replica.set(replica.clone()).is_ok() {
            tokio::spawn(watch(self.primary.clone(), Arc::downgrade(&replica)));
        }
    }

    /// The pool for reads that may lag (planned with their values).
    pub fn db(&self) -> &DatabaseConnection {
        self.current().map_or(&self.primary, |r| &r.db)
    }

    /// The same, for statements planned once (`db::connect_lookups`).
    pub fn lookups(&self) -> &DatabaseConnection {
        self.current().map_or(&self.primary_lookups, |r| &r.lookups)
    }

    /// How far behind the replica is, when one is attached and measured.
    pub fn lag(&self) -> Option<Duration> {
        let ms = self.replica.get()?.lag_ms.load(Ordering::Relaxed);
        (ms != UNKNOWN).then(|| Duration::from_millis(ms))
    }

    /// Whether reads go to the replica now.
    pub fn on_replica(&self) -> bool {
        self.current().is_some()
    }

    fn current(&self) -> Option<&Replica> {
        self.replica.get().map(|r| &**r).filter(|r| r.lag_ms.load(Ordering::Relaxed) <= r.max_lag_ms)
    }
}

async fn watch(primary: DatabaseConnection, replica: Weak<Replica>) {
    let mut noted: VecDeque<(String, Instant)> = VecDeque::new();
    let mut was_down = false;
    loop {
        tokio::time::sleep(TICK).await;
        let Some(replica) = replica.upgrade() else { return };
        // A measurement stuck behind a busy pool must not leave an old "caught up" in place.
        let measured = tokio::time::timeout(TICK * 4, measure(&primary, &replica.db, &mut noted)).await;
        let lag = match measured {
            Ok(Ok(lag)) => {
                was_down = false;
                lag
            }
            failed => {
                if !was_down {
                    let error = failed.map_or_else(|_| "no answer within a second".to_owned(), |e| format!("{e:?}"));
                    tracing::warn!(error, "read replica cannot be measured; reading from the primary");
                }
                was_down = true;
                UNKNOWN
            }
        };
        replica.lag_ms.store(lag, Ordering::Relaxed);
    }
}

/// The lag in milliseconds: how long ago the oldest primary position the replica has not yet replayed was
/// noted. Each tick notes the primary's position; positions the replica has replayed are forgotten.
async fn measure(
    primary: &DatabaseConnection,
    replica: &DatabaseConnection,
    noted: &mut VecDeque<(String, Instant)>,
) -> Result<u64, sea_orm::DbErr> {
    noted.push_back((text(primary, "SELECT pg_current_wal_lsn()::text", Vec::new()).await?, Instant::now()));
    if noted.len() > NOTED {
        // Keep the oldest: it is what the lag is measured from.
        noted.remove(1);
    }
    let replayed = text(replica, "SELECT pg_last_wal_replay_lsn()::text", Vec::new()).await?;
    while let Some((lsn, _)) = noted.front() {
        let sql = "SELECT (pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) >= 0)::text";
        if text(replica, sql, vec![replayed.clone().into(), lsn.clone().into()]).await? != "true" {
            break;
        }
        noted.pop_front();
    }
    Ok(noted.front().map_or(0, |(_, at)| at.elapsed().as_millis() as u64))
}

async fn text(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Result<String, sea_orm::DbErr> {
    let row = db.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    row.ok_or_else(|| sea_orm::DbErr::RecordNotFound("no row".into()))?.try_get_by_index(0)
}
