use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{enums, organization};

use super::service::{self, OrganizationPatch};
use crate::graphql::context::{actor, db};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::PlanTier")]
pub enum Plan {
    Free,
    Starter,
    Growth,
    Scale,
}

/// The caller's organization.
pub struct Organization(pub organization::Model);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn plan(&self) -> Plan {
        self.0.plan.into()
    }

    /// Country used to read phone numbers written without a country code (ISO 3166 alpha-2).
    async fn default_country(&self) -> &str {
        &self.0.default_country
    }

    /// The IANA time zone dates alone are read in (filters, funnel periods) and export dates are written
    /// in: the one set, else the default of the country.
    async fn time_zone(&self) -> &'static str {
        crate::values::TimeZone::of(&self.0).name()
    }

    /// The most contacts the plan allows; null is unlimited.
    async fn contact_limit(&self) -> Option<i64> {
        self.0.plan.contact_limit()
    }

    /// Contacts the organization holds now (what the plan counts) for owners and admins; for agents and
    /// viewers, the contacts they can see.
    async fn contact_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(service::contact_count(db(ctx), actor(ctx)?).await?)
    }

    /// What the plan counts (owners and admins): contacts, the limit, and the overflow inbound messages
    /// caused (they are never refused for the limit).
    async fn usage(&self, ctx: &Context<'_>) -> async_graphql::Result<PlanUsage> {
        let u = service::usage(db(ctx), actor(ctx)?).await?;
        Ok(PlanUsage {
            contacts: u.contacts,
            limit: u.limit,
            over_limit: u.limit.map_or(0, |l| (u.contacts - l).max(0)),
            inbound_over_limit: u.inbound_over_limit,
        })
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(async_graphql::SimpleObject)]
pub struct PlanUsage {
    /// Every contact of the organization.
    pub contacts: i64,
    /// The most contacts the plan allows; null is unlimited.
    pub limit: Option<i64>,
    /// How many contacts the organization holds beyond the limit.
    pub over_limit: i64,
    /// Contacts created by inbound messages while the organization was over its limit (inbound messages
    /// are never refused for the plan).
    pub inbound_over_limit: i64,
}

#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub name: Option<String>,
    pub default_country: Option<String>,
    /// An IANA time zone such as `America/Costa_Rica`; an empty string goes back to the country's default.
    pub time_zone: Option<String>,
    /// Owners only.
    pub plan: Option<Plan>,
}

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// The organization the caller acts in, with its plan and usage.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Organization> {
        Ok(Organization(actor(ctx)?.organization().clone()))
    }
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Renames the organization, changes its default country, or (owners) its plan.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> async_graphql::Result<Organization> {
        let patch = OrganizationPatch {
            name: input.name,
            default_country: input.default_country,
            time_zone: input.time_zone,
            plan: input.plan.map(Into::into),
        };
        Ok(Organization(service::update(db(ctx), actor(ctx)?, patch).await?))
    }
}
