use sea_orm::entity::prelude::*;

/// Who changed what, when, with the values before and after.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    /// USER, SYSTEM or API.
    pub actor_kind: String,
    /// e.g. `contact.created`, `contact.stage_changed`.
    pub kind: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
