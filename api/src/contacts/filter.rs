//! `ContactFilter` and `search`, turned into conditions on an already-scoped contact query.

use chrono::{DateTime, Utc};
use entity::{
    consent, contact, contact_property_value as value, contact_tag,
    enums::{ContactSource, PropertyType},
    property_definition, segment_member, verification,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, LikeExpr, SelectStatement},
};
use uuid::Uuid;

use super::search;
pub use super::search::{is_long_phone_fragment, search_pattern};
use crate::{
    error::{ApiError, ApiResult},
    properties::values::{self, Typed},
    validate::fold,
    visibility::Visible,
};

#[derive(Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContactFilter {
    pub stage_ids: Option<Vec<Uuid>>,
    /// Contacts with any of these tags.
    pub tag_ids: Option<Vec<Uuid>>,
    pub assignee_ids: Option<Vec<Uuid>>,
    /// true: only unassigned contacts (or, with `assignee_ids`, those agents' plus unassigned).
    pub unassigned: Option<bool>,
    pub sources: Option<Vec<ContactSource>>,
    pub listing_ids: Option<Vec<Uuid>>,
    /// NOT_STARTED, PENDING, APPROVED or DECLINED; a contact with no verification is NOT_STARTED.
    pub verification_status: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub last_activity_from: Option<DateTime<Utc>>,
    pub last_activity_to: Option<DateTime<Utc>>,
    /// true: the 24-hour customer-service window is open (a message from the contact in the last 24
    /// hours), so the team may still message freely; false: it is closed or never opened.
    #[serde(default)]
    pub messaging_window_open: Option<bool>,
    /// OPTED_IN: opted in on some channel and out on none; OPTED_OUT: opted out on some channel;
    /// UNKNOWN: no consent recorded.
    #[serde(default)]
    pub consent: Option<String>,
    /// false: contacts known only by another identity than a phone.
    #[serde(default)]
    pub has_phone: Option<bool>,
    pub properties: Vec<PropertyCondition>,
    /// Members of this kept segment (its memberships, not its filter): the server's own, never a client's.
    #[serde(skip)]
    pub in_segment: Option<InSegment>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InSegment {
    pub id: Uuid,
    /// The members the reader sees, when they are few (by the segment's tallies): fetched by key and sorted,
    /// where a semi-join would walk every contact the reader sees in the page's order hoping to meet them.
    pub few: Option<Vec<Uuid>>,
}

#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PropertyCondition {
    pub key: String,
    pub op: PropertyOp,
    pub value: Option<serde_json::Value>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum PropertyOp {
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

/// Narrows `query` (already scoped to what its reader sees) by the filter and the search text.
pub async fn apply(
    db: &impl ConnectionTrait,
    mut query: Visible,
    filter: &ContactFilter,
    search: Option<&str>,
) -> ApiResult<Visible> {
    let org = query.organization_id();
    if let Some(segment) = &filter.in_segment {
        query = query.filter(match &segment.few {
            Some(ids) => contact::Column::Id.is_in(ids.clone()),
            None => {
                let members = segment_member::Entity::find()
                    .select_only()
                    .column(segment_member::Column::ContactId)
                    .filter(segment_member::Column::OrganizationId.eq(org))
                    .filter(segment_member::Column::SegmentId.eq(segment.id));
                contact::Column::Id.in_subquery(members.into_query())
            }
        });
    }
    if let Some(ids) = &filter.stage_ids {
        query = query.filter(contact::Column::StageId.is_in(ids.clone()));
    }
    if let Some(ids) = &filter.tag_ids {
        query = query.filter(contact::Column::Id.in_subquery(tagged(org, ids, filter)));
    }
    query = query.filter(assignee_condition(filter));
    if let Some(sources) = &filter.sources {
        query = query.filter(contact::Column::Source.is_in(sources.clone()));
    }
    if let Some(ids) = &filter.listing_ids {
        query = query.filter(contact::Column::SourceListingId.is_in(ids.clone()));
    }
    if let Some(status) = &filter.verification_status {
        query = query.filter(verification_condition(org, status)?);
    }
    let ranges = [
        (contact::Column::CreatedAt, filter.created_from, filter.created_to),
        (contact::Column::LastActivityAt, filter.last_activity_from, filter.last_activity_to),
    ];
    for (column, from, to) in ranges {
        if let Some(from) = from {
            query = query.filter(column.gte(from));
        }
        if let Some(to) = to {
            query = query.filter(column.lte(to));
        }
    }
    if let Some(open) = filter.messaging_window_open {
        let since = crate::db::now() - crate::conversations::WINDOW;
        let inbound = contact::Column::LastInboundAt;
        query = query.filter(if open {
            Condition::all().add(inbound.gt(since))
        } else {
            Condition::any().add(inbound.is_null()).add(inbound.lte(since))
        });
    }
    if let Some(has) = filter.has_phone {
        query = query.filter(if has { contact::Column::Phone.is_not_null() } else { contact::Column::Phone.is_null() });
    }
    if let Some(status) = &filter.consent {
        query = query.filter(consent_condition(org, status)?);
    }
    for condition in &filter.properties {
        query = query.filter(property_condition(db, org, condition).await?);
    }
    if let Some(condition) = search::condition(db, &query, search).await? {
        query = query.filter(condition);
    }
    Ok(query)
}

fn assignee_condition(filter: &ContactFilter) -> Condition {
    match (&filter.assignee_ids, filter.unassigned) {
        (Some(ids), Some(true)) => Condition::any()
            .add(contact::Column::AssigneeId.is_in(ids.clone()))
            .add(contact::Column::AssigneeId.is_null()),
        (Some(ids), _) => Condition::all().add(contact::Column::AssigneeId.is_in(ids.clone())),
        (None, Some(true)) => Condition::all().add(contact::Column::AssigneeId.is_null()),
        (None, Some(false)) => Condition::all().add(contact::Column::AssigneeId.is_not_null()),
        (None, None) => Condition::all(),
    }
}

fn verification_condition(org: Uuid, status: &str) -> ApiResult<Condition> {
    const STATUSES: [&str; 4] = ["NOT_STARTED", "PENDING", "APPROVED", "DECLINED"];
    if !STATUSES.contains(&status) {
        return Err(ApiError::bad_input("verificationStatus", "Unknown verification status"));
    }
    let with_status = |statuses: Vec<&str>| -> SelectStatement {
        verification::Entity::find()
            .select_only()
            .column(verification::Column::ContactId)
            .filter(verification::Column::OrganizationId.eq(org))
            .filter(verification::Column::Status.is_in(statuses))
            .into_query()
    };
    Ok(if status == "NOT_STARTED" {
        // No verification row at all also means not started.
        Condition::all().add(contact::Column::Id.not_in_subquery(with_status(vec!["PENDING", "APPROVED", "DECLINED"])))
    } else {
        Condition::all().add(contact::Column::Id.in_subquery(with_status(vec![status])))
    })
}

fn consent_condition(org: Uuid, status: &str) -> ApiResult<Condition> {
    let with = |status: &str| -> SelectStatement {
        consent::Entity::find()
            .select_only()
            .column(consent::Column::ContactId)
            .filter(consent::Column::OrganizationId.eq(org))
            .filter(consent::Column::Status.eq(status))
            .into_query()
    };
    let any = || {
        consent::Entity::find()
            .select_only()
            .column(consent::Column::ContactId)
            .filter(consent::Column::OrganizationId.eq(org))
            .into_query()
    };
    Ok(match status {
        "OPTED_IN" => Condition::all()
            .add(contact::Column::Id.in_subquery(with("OPTED_IN")))
            .add(contact::Column::Id.not_in_subquery(with("OPTED_OUT"))),
        "OPTED_OUT" => Condition::all().add(contact::Column::Id.in_subquery(with("OPTED_OUT"))),
        "UNKNOWN" => Condition::all().add(contact::Column::Id.not_in_subquery(any())),
        _ => return Err(ApiError::bad_input("consent", "Consent is OPTED_IN, OPTED_OUT or UNKNOWN")),
    })
}

/// The contacts with any of `tags`. Each tag link carries a copy of its contact's creation time (filled
/// by the database, see migration 000011), so a filter that also narrows by creation date finds the tag's
/// contacts of that window in one range of the links' index instead of joining every contact of the tag.
/// The same conditions still apply to the contacts themselves.
fn tagged(org: Uuid, tags: &[Uuid], filter: &ContactFilter) -> SelectStatement {
    let mut links = contact_tag::Entity::find()
        .select_only()
        .column(contact_tag::Column::ContactId)
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::TagId.is_in(tags.to_vec()));
    let created = || Expr::col((contact_tag::Entity, Alias::new("contact_created_at")));
    if let Some(from) = filter.created_from {
        links = links.filter(created().gte(from));
    }
    if let Some(to) = filter.created_to {
        links = links.filter(created().lte(to));
    }
    links.into_query()
}

async fn property_condition(db: &impl ConnectionTrait, org: Uuid, cond: &PropertyCondition) -> ApiResult<Condition> {
    let field = "properties";
    let definition = property_definition::Entity::find()
        .filter(property_definition::Column::OrganizationId.eq(org))
        .filter(property_definition::Column::Key.eq(cond.key.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, format!("Unknown property `{}`", cond.key)))?;
    let rows = || {
        value::Entity::find()
            .select_only()
            .column(value::Column::ContactId)
            .filter(value::Column::OrganizationId.eq(org))
            .filter(value::Column::DefinitionId.eq(definition.id))
    };
    let operand = || -> ApiResult<Typed> {
        let raw = cond.value.as_ref().ok_or_else(|| ApiError::bad_input(field, "This condition needs a value"))?;
        values::typed(&definition, raw).map_err(|e| ApiError::bad_input(field, e))
    };
    let ordered = |cmp: fn(Typed) -> Condition| -> ApiResult<Condition> {
        match definition.kind {
            PropertyType::Number | PropertyType::Date => Ok(cmp(operand()?)),
            _ => Err(ApiError::bad_input(field, "Only NUMBER and DATE properties compare with LT, LTE, GT, GTE")),
        }
    };
    let matching = |c: Condition| Condition::all().add(contact::Column::Id.in_subquery(rows().filter(c).into_query()));
    Ok(match cond.op {
        PropertyOp::IsSet => Condition::all().add(contact::Column::Id.in_subquery(rows().into_query())),
        PropertyOp::IsNotSet => Condition::all().add(contact::Column::Id.not_in_subquery(rows().into_query())),
        PropertyOp::Eq => matching(operand()?.equals()),
        // "Not equal" includes contacts that have no value for the property.
        PropertyOp::Neq => {
            Condition::all().add(contact::Column::Id.not_in_subquery(rows().filter(operand()?.equals()).into_query()))
        }
        PropertyOp::Lt => matching(ordered(Typed::less)?),
        PropertyOp::Lte => matching(ordered(Typed::at_most)?),
        PropertyOp::Gt => matching(ordered(Typed::greater)?),
        PropertyOp::Gte => matching(ordered(Typed::at_least)?),
        PropertyOp::In => {
            let list = cond
                .value
                .as_ref()
                .and_then(|v| v.as_array())
                .ok_or_else(|| ApiError::bad_input(field, "IN needs a list"))?;
            let mut any = Condition::any();
            for item in list.iter().take(100) {
                any = any.add(values::typed(&definition, item).map_err(|e| ApiError::bad_input(field, e))?.equals());
            }
            matching(any)
        }
        PropertyOp::Contains => match definition.kind {
            PropertyType::Text | PropertyType::Email | PropertyType::List => {
                let needle = cond
                    .value
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| ApiError::bad_input(field, "CONTAINS needs text"))?;
                let escaped = fold(needle).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                matching(
                    Condition::all()
                        .add(value::Column::ValueText.like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))),
                )
            }
            _ => {
                return Err(ApiError::bad_input(field, "CONTAINS applies to TEXT, EMAIL and LIST properties"));
            }
        },
    })
}
