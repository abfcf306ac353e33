use sea_orm::entity::prelude::*;

use crate::enums::{JobKind, JobState};

/// A background job (import, export, bulk action), claimed from the database by any server instance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: JobKind,
    pub state: JobState,
    pub created_by: Option<Uuid>,
    /// What the job was asked to do (mapping, filter, format, ...).
    pub params: Json,
    pub input_file: Option<String>,
    pub result_file: Option<String>,
    pub total: i64,
    pub processed: i64,
    pub created_count: i64,
    pub updated_count: i64,
    pub skipped: i64,
    pub invalid: i64,
    /// Where a resumed job picks up, written in the same transaction as each batch.
    pub checkpoint: i64,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The W3C trace context of the request that queued it, when that request was traced.
    pub traceparent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
