use sea_orm::entity::prelude::*;

/// How many members a segment has with one assignee (the nil id: unassigned) in one stage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub segment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub assignee_key: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stage_id: Uuid,
    pub members: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
