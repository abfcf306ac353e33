use sea_orm::entity::prelude::*;

/// A merge of duplicates into one contact, with what is needed to split them back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub primary_id: Uuid,
    /// The rows as they were and the rows that moved (see the merge service).
    pub record: Json,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub undone_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
