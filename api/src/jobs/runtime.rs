//! What a running job may use: the database, file storage, live events, the settings, and the signal
//! that wakes a server's worker when a job is queued.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{config::Config, events::EventBus, files::FileStore};

/// Cheap to clone: every part is shared.
#[derive(Clone)]
pub struct JobRuntime {
    pub db: DatabaseConnection,
    /// Reads that may lag a little (an export's pages).
    pub reads: crate::db::reads::Reads,
    pub files: FileStore,
    pub events: Arc<EventBus>,
    pub config: Arc<Config>,
    /// Woken when a job is queued, so a local worker starts at once.
    pub wakeup: Arc<Notify>,
}
