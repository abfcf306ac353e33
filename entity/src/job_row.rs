use sea_orm::entity::prelude::*;

/// What happened to one input row of an import: CREATED, DUPLICATE, INVALID or LIMIT (and, in a dry
/// run, WOULD_CREATE).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_rows")]
pub struct Model {
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    /// 1-based data row (the header is row 0).
    #[sea_orm(primary_key, auto_increment = false)]
    pub row: i64,
    pub outcome: String,
    pub reason: Option<String>,
    pub contact_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
