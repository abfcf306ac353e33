//! A contact's identity verification as GraphQL: the `Verification` type, its status, and setting it.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::verification;

use super::service::{VerificationInput as Domain, set};
use crate::graphql::context::{actor, db, parse_id};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VerificationStatus {
    NotStarted,
    Pending,
    Approved,
    Declined,
}

impl VerificationStatus {
    /// As stored on the verification row and compared by the contacts filter.
    pub fn as_stored(self) -> &'static str {
        match self {
            Self::NotStarted => "NOT_STARTED",
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Declined => "DECLINED",
        }
    }
}

#[derive(SimpleObject)]
pub struct Verification {
    pub status: VerificationStatus,
    pub link: Option<String>,
    pub document_type: Option<String>,
    /// ISO 3166 alpha-2.
    pub issuing_country: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<verification::Model> for Verification {
    fn from(m: verification::Model) -> Self {
        let status = match m.status.as_str() {
            "APPROVED" => VerificationStatus::Approved,
            "DECLINED" => VerificationStatus::Declined,
            _ => VerificationStatus::Pending,
        };
        Self {
            status,
            link: m.link,
            document_type: m.document_type,
            issuing_country: m.issuing_country,
            verified_at: m.verified_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct VerificationInput {
    /// PENDING, APPROVED or DECLINED.
    pub status: VerificationStatus,
    pub link: Option<String>,
    pub document_type: Option<String>,
    pub issuing_country: Option<String>,
    /// Defaults to now when the status is APPROVED.
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct VerificationResultInput {
    pub contact_id: ID,
    /// The verification service's id for this result: the same result twice changes nothing.
    pub external_id: String,
    #[graphql(flatten)]
    pub result: VerificationInput,
}

fn domain(input: VerificationInput, external_id: Option<String>) -> Domain {
    Domain {
        status: input.status.as_stored().into(),
        link: input.link,
        document_type: input.document_type,
        issuing_country: input.issuing_country,
        verified_at: input.verified_at,
        external_id,
    }
}

#[derive(Default)]
pub struct VerificationMutation;

#[Object]
impl VerificationMutation {
    /// Sets a contact's verification (admins, and agents on contacts they can see).
    async fn set_verification(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        input: VerificationInput,
    ) -> async_graphql::Result<Verification> {
        let id = parse_id(&contact_id, "contactId")?;
        Ok(set(db(ctx), actor(ctx)?, id, domain(input, None)).await?.into())
    }

    /// A verification service reports a result (with an API token).
    async fn record_verification_result(
        &self,
        ctx: &Context<'_>,
        input: VerificationResultInput,
    ) -> async_graphql::Result<Verification> {
        let id = parse_id(&input.contact_id, "contactId")?;
        Ok(set(db(ctx), actor(ctx)?, id, domain(input.result, Some(input.external_id))).await?.into())
    }
}
