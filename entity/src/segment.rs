use sea_orm::entity::prelude::*;

/// A saved selection of contacts, private to its creator or shared with the team.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// The name folded (case and accents): names are unique regardless of them.
    pub name_key: String,
    /// The `ContactFilter` as the client gave it (GraphQL input shape), read again at each use.
    pub filter: Json,
    pub search: Option<String>,
    /// A `ContactOrderField` value.
    pub order_field: String,
    pub order_descending: bool,
    /// PRIVATE or SHARED.
    pub visibility: String,
    /// Null for a shared segment made with an API token.
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The filter in the server's own shape, for the writes that keep memberships.
    pub selection: Option<Json>,
    /// When its memberships were complete; null: read by running the filter, no membership events.
    pub members_built_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
