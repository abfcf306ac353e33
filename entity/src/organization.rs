use sea_orm::entity::prelude::*;

use crate::enums::PlanTier;

/// A tenant: every other table carries its id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub plan: PlanTier,
    /// ISO 3166 alpha-2 region used to read national phone numbers, e.g. "CR".
    pub default_country: String,
    /// IANA time zone for dates given without a time; null: the default of `default_country`.
    pub time_zone: Option<String>,
    pub settings: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::catalog_version::Entity> for Entity {
    fn to() -> RelationDef {
        super::catalog_version::Relation::Organization.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
