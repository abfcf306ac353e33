use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Uuid,
    pub listing_id: Option<Uuid>,
    pub unit: Option<String>,
    pub reserved_at: DateTimeUtc,
    /// In the currency's minor unit (cents), so sums are exact.
    pub amount_minor: i64,
    pub currency: String,
    /// PENDING, PAID, REFUNDED or CANCELLED.
    pub payment_status: String,
    pub payment_reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
