use async_graphql::{Context, ID, Object};

use super::{
    inputs::{ContactFilter, ContactOrder},
    page::ContactConnection,
    types::Contact,
};
use crate::{
    contacts::list::{ListQuery, OrderField, list},
    error::absent_as_none,
    graphql::context::{actor, db, lookups, parse_id, reads, zone},
    pagination::{PageArgs, wants_total},
    visibility::{find_visible, sees_whole_organization},
};

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    /// One contact, or null when it does not exist or the caller cannot see it.
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Contact>> {
        let id = parse_id(&id, "id")?;
        Ok(absent_as_none(find_visible(lookups(ctx), actor(ctx)?, id).await)?.map(Contact))
    }

    /// The contact holding this id in another system (set with `setExternalId`), if the caller can see it.
    async fn contact_by_external_id(
        &self,
        ctx: &Context<'_>,
        system: String,
        external_id: String,
    ) -> async_graphql::Result<Option<Contact>> {
        let found = crate::contacts::identifiers::find_external(db(ctx), actor(ctx)?, &system, &external_id).await?;
        Ok(found.map(Contact))
    }

    /// The contacts the caller can see. `search` matches name (ignoring case and accents), email and
    /// phone digits. Default order: most recent activity first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        search: Option<String>,
        filter: Option<ContactFilter>,
        order_by: Option<ContactOrder>,
    ) -> async_graphql::Result<ContactConnection> {
        let (order, descending) = order_by.map(ContactOrder::into_domain).unwrap_or((OrderField::LastActivityAt, true));
        let q = ListQuery {
            filter: filter.unwrap_or_default().into_domain(&zone(ctx)?)?,
            search,
            order,
            descending,
            page: PageArgs { first, after, last, before },
            want_total: wants_total(ctx),
        };
        connection(ctx, q).await
    }
}

/// A page of the caller's contacts as a connection: the contacts list's and a segment's.
pub async fn connection(ctx: &Context<'_>, q: ListQuery) -> async_graphql::Result<ContactConnection> {
    // Planning a filtered page for its values matters (skewed tags, dates, an agent's share of the
    // contacts); a plain page of the whole organization plans alike for all, and re-planning it each
    // time had cost more than running it.
    let actor = actor(ctx)?;
    let reads = reads(ctx);
    let pool = if q.is_plain() && sees_whole_organization(actor) { reads.lookups() } else { reads.db() };
    let page = list(pool, actor, q).await?;
    let items = page.items.into_iter().map(|(c, m)| (c, Contact(m))).collect();
    Ok(ContactConnection::new(items, page.flags, page.total))
}
