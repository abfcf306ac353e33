use entity::{enums::PlanTier, organization};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    values::{CountryCode, TimeZone},
};

pub struct OrganizationPatch {
    pub name: Option<String>,
    pub default_country: Option<String>,
    /// An IANA zone; empty: back to the default of the country.
    pub time_zone: Option<String>,
    pub plan: Option<PlanTier>,
}

/// Creates an organization; the caller adds its stages and first owner in the same transaction.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    plan: PlanTier,
    default_country: &str,
) -> ApiResult<organization::Model> {
    let name = validate_name(name)?;
    let country = String::from(CountryCode::parse("defaultCountry", default_country)?);
    let at = now();
    Ok(organization::ActiveModel {
        id: Set(new_id()),
        name: Set(name),
        plan: Set(plan),
        default_country: Set(country),
        time_zone: Set(None),
        settings: Set(serde_json::json!({})),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?)
}

/// How many contacts the actor can see: for owners and admins every contact, which is what the plan
/// counts; others must not learn how many contacts other agents hold.
pub async fn contact_count(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<i64> {
    Ok(crate::visibility::Visible::contacts(actor).into_select().count(db).await? as i64)
}

/// What the plan counts, for owners and admins.
pub struct Usage {
    pub contacts: i64,
    pub limit: Option<i64>,
    /// Contacts inbound messages created while the organization was over its limit (never refused).
    pub inbound_over_limit: i64,
}

pub async fn usage(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Usage> {
    actor.require_admin()?;
    let org = actor.organization_id();
    let contacts = crate::visibility::Visible::contacts(actor).into_select().count(db).await? as i64;
    let inbound_over_limit = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::OrganizationId.eq(org))
        .filter(entity::audit_event::Column::Kind.eq(crate::audit::OVER_PLAN_LIMIT))
        .count(db)
        .await? as i64;
    Ok(Usage { contacts, limit: actor.organization().plan.contact_limit(), inbound_over_limit })
}

/// Owners and admins rename the organization or change its default country or time zone; only owners
/// change the plan.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    patch: OrganizationPatch,
) -> ApiResult<organization::Model> {
    actor.require_admin()?;
    if patch.plan.is_some() {
        actor.require_owner()?;
    }
    let current = organization::Entity::find_by_id(actor.organization_id())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization"))?;
    let mut model: organization::ActiveModel = current.into();
    if let Some(name) = patch.name {
        model.name = Set(validate_name(&name)?);
    }
    if let Some(country) = patch.default_country {
        model.default_country = Set(CountryCode::parse("defaultCountry", &country)?.into());
    }
    if let Some(zone) = patch.time_zone {
        let zone = zone.trim();
        let set = (!zone.is_empty()).then(|| TimeZone::parse("timeZone", zone)).transpose()?;
        model.time_zone = Set(set.map(|z| z.name().to_string()));
    }
    if let Some(plan) = patch.plan {
        model.plan = Set(plan);
    }
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

fn validate_name(name: &str) -> ApiResult<String> {
    crate::validate::name("name", name)
}
