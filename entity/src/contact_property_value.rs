use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A contact's value for one property definition. `value` is the canonical JSON; the typed columns
/// mirror it so filters compare numbers as numbers and can use an index.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_property_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub definition_id: Uuid,
    pub value: Json,
    pub value_text: Option<String>,
    pub value_number: Option<f64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
