use sea_orm::entity::prelude::*;

use crate::enums::PropertyType;

/// A typed custom field an organization adds to its contacts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "property_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Immutable once created: chatbot flows and integrations address values by it.
    pub key: String,
    pub label: String,
    pub kind: PropertyType,
    /// For LIST: the allowed values, as a JSON array of strings.
    pub options: Json,
    pub hidden: bool,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
