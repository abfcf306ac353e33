use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::reservation;

use super::service::{NewReservation, add, set_payment};
use crate::graphql::context::{actor, db, parse_id};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Refunded,
    Cancelled,
}

impl PaymentStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Paid => "PAID",
            Self::Refunded => "REFUNDED",
            Self::Cancelled => "CANCELLED",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "PAID" => Self::Paid,
            "REFUNDED" => Self::Refunded,
            "CANCELLED" => Self::Cancelled,
            _ => Self::Pending,
        }
    }
}

#[derive(SimpleObject)]
pub struct Reservation {
    pub id: ID,
    pub listing_id: Option<ID>,
    pub unit: Option<String>,
    pub reserved_at: DateTime<Utc>,
    /// In the currency's minor unit (cents).
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    pub payment_status: PaymentStatus,
    pub payment_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<reservation::Model> for Reservation {
    fn from(m: reservation::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            listing_id: m.listing_id.map(|l| ID(l.to_string())),
            unit: m.unit,
            reserved_at: m.reserved_at,
            amount_minor: m.amount_minor,
            currency: m.currency,
            payment_status: PaymentStatus::parse(&m.payment_status),
            payment_reference: m.payment_reference,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct ReservationInput {
    pub listing_id: Option<ID>,
    pub unit: Option<String>,
    pub reserved_at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: String,
    #[graphql(default_with = "PaymentStatus::Pending")]
    pub payment_status: PaymentStatus,
    pub payment_reference: Option<String>,
}

#[derive(Default)]
pub struct ReservationMutation;

#[Object]
impl ReservationMutation {
    /// Records a reservation on a contact the caller can see (not viewers).
    async fn add_reservation(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        input: ReservationInput,
    ) -> async_graphql::Result<Reservation> {
        let new = NewReservation {
            listing_id: input.listing_id.map(|l| parse_id(&l, "listingId")).transpose()?,
            unit: input.unit,
            reserved_at: input.reserved_at,
            amount_minor: input.amount_minor,
            currency: input.currency,
            payment_status: input.payment_status.as_str().into(),
            payment_reference: input.payment_reference,
        };
        Ok(add(db(ctx), actor(ctx)?, parse_id(&contact_id, "contactId")?, new).await?.into())
    }

    /// Moves a reservation's payment to another state.
    async fn set_reservation_payment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        payment_status: PaymentStatus,
        payment_reference: Option<String>,
    ) -> async_graphql::Result<Reservation> {
        let id = parse_id(&id, "id")?;
        Ok(set_payment(db(ctx), actor(ctx)?, id, payment_status.as_str().into(), payment_reference).await?.into())
    }
}
