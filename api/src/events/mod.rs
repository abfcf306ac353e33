//! Live contact events. Each instance keeps a broadcast channel for its subscribers; on PostgreSQL an
//! event is published with NOTIFY and every instance (this one included) relays what it hears with
//! LISTEN, so a change made through any server reaches subscribers on all of them.

pub mod graphql;

use std::sync::Arc;

use async_graphql::{Context, Enum};
use chrono::{DateTime, Utc};
use entity::contact;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{
    db::{Heard, is_postgres, now},
    error::ApiResult,
};

const PG_CHANNEL: &str = "contact_events";

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum ContactEventKind {
    Created,
    Updated,
    Deleted,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContactEvent {
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    pub kind: ContactEventKind,
    /// Who the contact was assigned to, so a deletion can still be shown only to those who saw it.
    pub assignee_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Many contacts changed or deleted by one bulk action, each with who it was assigned to (for deletions).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContactBatch {
    pub organization_id: Uuid,
    pub kind: ContactEventKind,
    pub contacts: Vec<(Uuid, Option<Uuid>)>,
    pub at: DateTime<Utc>,
}

/// Contacts per live batch event: a NOTIFY payload holds under 8,000 bytes.
const BATCH: usize = 60;

/// Progress of a background job; subscribers read the job itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobEvent {
    pub organization_id: Uuid,
    pub job_id: Uuid,
}

/// A contact entering or leaving a segment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Membership {
    pub segment_id: Uuid,
    pub contact_id: Uuid,
    /// Who the contact is assigned to after the change: who may hear of it.
    pub assignee_id: Option<Uuid>,
    pub entered: bool,
}

/// Membership changes of one write, in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MembershipBatch {
    pub organization_id: Uuid,
    pub changes: Vec<Membership>,
    pub at: DateTime<Utc>,
}

/// Membership changes per live event: about 170 bytes each, under NOTIFY's 8,000.
const MEMBERSHIPS: usize = 40;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BusEvent {
    Contact(ContactEvent),
    Contacts(ContactBatch),
    Job(JobEvent),
    Memberships(MembershipBatch),
}

pub struct EventBus {
    local: broadcast::Sender<BusEvent>,
    /// Set on PostgreSQL: events travel through NOTIFY.
    notify: Option<DatabaseConnection>,
}

/// The NOTIFY that carries `event` to every server's LISTEN (PostgreSQL only).
fn notify(event: &BusEvent) -> Statement {
    let payload = serde_json::to_string(event).unwrap_or_default();
    Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [PG_CHANNEL.into(), payload.into()],
    )
}

/// SQLite's buses in this process share one channel, so a write can announce from inside its transaction
/// without a handle on the bus (subscribers keep to their organization).
fn embedded() -> broadcast::Sender<BusEvent> {
    static EMBEDDED: std::sync::OnceLock<broadcast::Sender<BusEvent>> = std::sync::OnceLock::new();
    EMBEDDED.get_or_init(|| broadcast::channel(1024).0).clone()
}

/// SQLite's announcements from inside a transaction, held until the writer is likely done: SQLite has no
/// transactional NOTIFY, and a subscriber reading before the commit would see the contact as it was. A
/// thread of its own, so it outlives any one runtime, keeps them in order.
fn embedded_later() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<(std::time::Instant, BusEvent)>> {
    type Later = std::sync::Mutex<std::sync::mpsc::Sender<(std::time::Instant, BusEvent)>>;
    static LATER: std::sync::OnceLock<Later> = std::sync::OnceLock::new();
    LATER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<(std::time::Instant, BusEvent)>();
        let bus = embedded();
        std::thread::spawn(move || {
            for (due, event) in rx {
                std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
                let _ = bus.send(event);
            }
        });
        std::sync::Mutex::new(tx)
    })
}

/// How long SQLite's announcements wait for their write to commit.
const EMBEDDED_DELAY: std::time::Duration = std::time::Duration::from_millis(150);

/// Announces membership changes from inside the write's transaction. On PostgreSQL NOTIFY is transactional:
/// subscribers hear of them when the write commits and never if it rolls back. SQLite's embedded bus hears
/// them 150 ms later, in order (one process, one writer: a rollback there is a failed request its caller saw).
pub async fn announce_in(db: &impl ConnectionTrait, organization_id: Uuid, changes: Vec<Membership>) -> ApiResult<()> {
    for chunk in changes.chunks(MEMBERSHIPS) {
        let event = BusEvent::Memberships(MembershipBatch { organization_id, changes: chunk.to_vec(), at: now() });
        if !is_postgres(db) {
            let due = std::time::Instant::now() + EMBEDDED_DELAY;
            if let Ok(later) = embedded_later().lock() {
                let _ = later.send((due, event));
            }
            continue;
        }
        db.execute_raw(notify(&event)).await?;
    }
    Ok(())
}

impl EventBus {
    /// A bus for this database; on PostgreSQL it also starts relaying NOTIFY from `listen_url`.
    pub fn new(db: &DatabaseConnection, listen_url: &str) -> Arc<Self> {
        let postgres = is_postgres(db);
        let local = if postgres { broadcast::channel(1024).0 } else { embedded() };
        let bus = Arc::new(Self { local, notify: postgres.then(|| db.clone()) });
        if postgres {
            tokio::spawn(relay(Arc::downgrade(&bus), listen_url.to_string()));
        }
        bus
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.local.subscribe()
    }

    pub async fn job(&self, job: &entity::job::Model) {
        self.send(BusEvent::Job(JobEvent { organization_id: job.organization_id, job_id: job.id })).await;
    }

    pub async fn send(&self, event: BusEvent) {
        let Some(db) = &self.notify else {
            let _ = self.local.send(event);
            return;
        };
        if let Err(err) = db.execute_raw(notify(&event)).await {
            tracing::warn!(error = %err, "could not publish a contact event; delivering locally only");
            let _ = self.local.send(event);
        }
    }

    pub async fn contact(&self, kind: ContactEventKind, contact: &contact::Model) {
        self.send(BusEvent::Contact(ContactEvent {
            organization_id: contact.organization_id,
            contact_id: contact.id,
            kind,
            assignee_id: contact.assignee_id,
            at: now(),
        }))
        .await;
    }
}

impl EventBus {
    /// Announces a bulk change: one event per `BATCH` contacts rather than one per contact.
    pub async fn contacts(&self, organization_id: Uuid, kind: ContactEventKind, contacts: &[(Uuid, Option<Uuid>)]) {
        for chunk in contacts.chunks(BATCH) {
            let batch = ContactBatch { organization_id, kind, contacts: chunk.to_vec(), at: now() };
            self.send(BusEvent::Contacts(batch)).await;
        }
    }
}

/// Relays NOTIFY payloads to this instance's subscribers until the bus is gone.
async fn relay(bus: std::sync::Weak<EventBus>, url: String) {
    crate::db::listen(&url, PG_CHANNEL, |heard| {
        let Some(bus) = bus.upgrade() else { return false };
        if let Heard::Payload(payload) = heard
            && let Ok(event) = serde_json::from_str::<BusEvent>(payload)
        {
            let _ = bus.local.send(event);
        }
        true
    })
    .await
}

/// Publishes an event about `contact` from a resolver.
pub async fn publish(ctx: &Context<'_>, kind: ContactEventKind, contact: &contact::Model) {
    if let Some(bus) = ctx.data_opt::<Arc<EventBus>>() {
        bus.contact(kind, contact).await;
    }
}
