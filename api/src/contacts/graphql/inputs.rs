use async_graphql::{Enum, ID, InputObject, Json, MaybeUndefined};

use super::types::ContactSource;
use crate::{
    contacts::{
        filter::{ContactFilter as Filter, PropertyCondition as Condition, PropertyOp},
        list::OrderField,
        service::{ContactPatch, NewContact},
    },
    error::{ApiError, ApiResult},
    graphql::{context::parse_id, types::MomentInput},
    values::{CountryCode, Email, Phone, TimeZone},
    verifications::graphql::VerificationStatus,
};

#[derive(InputObject)]
pub struct PropertyInput {
    pub key: String,
    /// Of the property's type: text, number, boolean, `YYYY-MM-DD`, email, or one of a LIST's options.
    /// null clears the value.
    pub value: Json<serde_json::Value>,
}

#[derive(InputObject)]
pub struct CreateContactInput {
    pub name: String,
    /// With country code, or national in the organization's default country.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Default MANUAL.
    pub source: Option<ContactSource>,
    pub source_listing_id: Option<ID>,
    /// Default: an agent's new contact is the agent's own; `null` leaves it unassigned.
    pub assignee_id: MaybeUndefined<ID>,
    /// Default: the first stage of the funnel.
    pub status_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub properties: Option<Vec<PropertyInput>>,
}

/// Every field optional; an explicit null clears phone, email, listing or assignee.
#[derive(InputObject)]
pub struct UpdateContactInput {
    pub name: Option<String>,
    pub phone: MaybeUndefined<String>,
    pub email: MaybeUndefined<String>,
    pub source: Option<ContactSource>,
    pub source_listing_id: MaybeUndefined<ID>,
    /// null unassigns.
    pub assignee_id: MaybeUndefined<ID>,
    pub status_id: Option<ID>,
    /// Replaces the contact's tags.
    pub tags: Option<Vec<String>>,
    pub properties: Option<Vec<PropertyInput>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PropertyOperator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    IsSet,
    IsNotSet,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConsentFilter {
    OptedIn,
    OptedOut,
    Unknown,
}

/// A test on a custom property: EQ/NEQ/IN on any type, LT/LTE/GT/GTE on NUMBER and DATE, CONTAINS on
/// text. NEQ and IS_NOT_SET include contacts without a value.
#[derive(InputObject)]
pub struct PropertyCondition {
    pub key: String,
    pub op: PropertyOperator,
    pub value: Option<Json<serde_json::Value>>,
}

/// All conditions must hold; within a list, any value matches. Dates are inclusive.
#[derive(InputObject, Default)]
pub struct ContactFilter {
    pub status_ids: Option<Vec<ID>>,
    pub tag_ids: Option<Vec<ID>>,
    pub assignee_ids: Option<Vec<ID>>,
    pub unassigned: Option<bool>,
    pub sources: Option<Vec<ContactSource>>,
    pub listing_ids: Option<Vec<ID>>,
    pub verification_status: Option<VerificationStatus>,
    /// Dates alone are whole days in the organization's time zone.
    pub created_from: Option<MomentInput>,
    pub created_to: Option<MomentInput>,
    pub last_activity_from: Option<MomentInput>,
    pub last_activity_to: Option<MomentInput>,
    /// true: contacts whose 24-hour customer-service window is open (they wrote in the last 24 hours);
    /// false: the rest.
    pub messaging_window_open: Option<bool>,
    /// true: contacts with a phone number; false: those known only by another identity (a WhatsApp user id
    /// or username, a Telegram id, a widget session).
    pub has_phone: Option<bool>,
    /// OPTED_IN (on some channel, out on none), OPTED_OUT (on some channel) or UNKNOWN (nothing recorded).
    pub consent: Option<ConsentFilter>,
    pub properties: Option<Vec<PropertyCondition>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ContactOrderField {
    Name,
    CreatedAt,
    LastActivityAt,
    UserInitiated,
    BusinessInitiated,
    CancelledOutbounds,
    ReceivedNotifications,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

#[derive(InputObject)]
pub struct ContactOrder {
    pub field: ContactOrderField,
    pub direction: OrderDirection,
}

fn ids(list: Option<Vec<ID>>, field: &str) -> Result<Option<Vec<uuid::Uuid>>, ApiError> {
    list.map(|l| l.iter().take(1000).map(|id| parse_id(id, field)).collect()).transpose()
}

fn maybe_id(value: MaybeUndefined<ID>, field: &str) -> Result<Option<Option<uuid::Uuid>>, ApiError> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(parse_id(&id, field)?)),
    })
}

fn properties(list: Option<Vec<PropertyInput>>) -> Vec<(String, serde_json::Value)> {
    list.unwrap_or_default().into_iter().map(|p| (p.key, p.value.0)).collect()
}

/// A phone typed in a form: blank means none; otherwise read in the organization's country. A malformed
/// one travels as its error, which the service reports after the checks that came first before.
fn typed_phone(raw: Option<String>, country: &CountryCode) -> Option<ApiResult<Phone>> {
    raw.filter(|p| !p.trim().is_empty()).map(|p| Phone::parse("phone", &p, country))
}

fn typed_email(raw: Option<String>) -> Option<ApiResult<Email>> {
    raw.filter(|e| !e.trim().is_empty()).map(|e| Email::parse("email", &e))
}

impl CreateContactInput {
    pub fn into_domain(self, country: &CountryCode) -> Result<NewContact, ApiError> {
        Ok(NewContact {
            name: self.name,
            phone: typed_phone(self.phone, country),
            email: typed_email(self.email),
            source: self.source.map(Into::into),
            source_listing_id: self.source_listing_id.map(|id| parse_id(&id, "sourceListingId")).transpose()?,
            assignee_id: maybe_id(self.assignee_id, "assigneeId")?,
            stage_id: self.status_id.map(|id| parse_id(&id, "statusId")).transpose()?,
            tags: self.tags.unwrap_or_default(),
            properties: properties(self.properties),
        })
    }
}

impl UpdateContactInput {
    pub fn into_domain(self, country: &CountryCode) -> Result<ContactPatch, ApiError> {
        let (phone, email): (Option<Option<String>>, Option<Option<String>>) = (self.phone.into(), self.email.into());
        Ok(ContactPatch {
            name: self.name,
            phone: phone.map(|p| typed_phone(p, country)),
            email: email.map(typed_email),
            source: self.source.map(Into::into),
            source_listing_id: maybe_id(self.source_listing_id, "sourceListingId")?,
            assignee_id: maybe_id(self.assignee_id, "assigneeId")?,
            stage_id: self.status_id.map(|id| parse_id(&id, "statusId")).transpose()?,
            tags: self.tags,
            properties: properties(self.properties),
        })
    }
}

impl ContactFilter {
    /// The filter, dates read in `zone` (the organization's).
    pub fn into_domain(self, zone: &TimeZone) -> Result<Filter, ApiError> {
        let op = |o: PropertyOperator| match o {
            PropertyOperator::Eq => PropertyOp::Eq,
            PropertyOperator::Neq => PropertyOp::Neq,
            PropertyOperator::Lt => PropertyOp::Lt,
            PropertyOperator::Lte => PropertyOp::Lte,
            PropertyOperator::Gt => PropertyOp::Gt,
            PropertyOperator::Gte => PropertyOp::Gte,
            PropertyOperator::In => PropertyOp::In,
            PropertyOperator::Contains => PropertyOp::Contains,
            PropertyOperator::IsSet => PropertyOp::IsSet,
            PropertyOperator::IsNotSet => PropertyOp::IsNotSet,
        };
        let conditions = self.properties.unwrap_or_default();
        if conditions.len() > 20 {
            return Err(ApiError::bad_input("properties", "At most 20 property conditions"));
        }
        Ok(Filter {
            stage_ids: ids(self.status_ids, "statusIds")?,
            tag_ids: ids(self.tag_ids, "tagIds")?,
            assignee_ids: ids(self.assignee_ids, "assigneeIds")?,
            unassigned: self.unassigned,
            sources: self.sources.map(|s| s.into_iter().map(Into::into).collect()),
            listing_ids: ids(self.listing_ids, "listingIds")?,
            verification_status: self.verification_status.map(|v| v.as_stored().to_string()),
            created_from: self.created_from.map(|m| m.0.from(zone)),
            created_to: self.created_to.map(|m| m.0.to(zone)),
            last_activity_from: self.last_activity_from.map(|m| m.0.from(zone)),
            last_activity_to: self.last_activity_to.map(|m| m.0.to(zone)),
            messaging_window_open: self.messaging_window_open,
            in_segment: None,
            has_phone: self.has_phone,
            consent: self.consent.map(|c| {
                match c {
                    ConsentFilter::OptedIn => "OPTED_IN",
                    ConsentFilter::OptedOut => "OPTED_OUT",
                    ConsentFilter::Unknown => "UNKNOWN",
                }
                .to_string()
            }),
            properties: conditions
                .into_iter()
                .map(|c| Condition { key: c.key.trim().to_lowercase(), op: op(c.op), value: c.value.map(|v| v.0) })
                .collect(),
        })
    }
}

impl ContactOrder {
    pub fn into_domain(self) -> (OrderField, bool) {
        let field = match self.field {
            ContactOrderField::Name => OrderField::Name,
            ContactOrderField::CreatedAt => OrderField::CreatedAt,
            ContactOrderField::LastActivityAt => OrderField::LastActivityAt,
            ContactOrderField::UserInitiated => OrderField::UserInitiated,
            ContactOrderField::BusinessInitiated => OrderField::BusinessInitiated,
            ContactOrderField::CancelledOutbounds => OrderField::CancelledOutbounds,
            ContactOrderField::ReceivedNotifications => OrderField::ReceivedNotifications,
        };
        (field, self.direction == OrderDirection::Desc)
    }
}
