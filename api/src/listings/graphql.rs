use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::listing;

use super::service::{self, ListingInput};
use crate::{
    connection,
    graphql::{
        context::{actor, db, parse_id},
        types::DeletePayload,
    },
    pagination::{PageArgs, wants_total},
};

/// A real-estate property contacts ask about.
pub struct Listing(pub listing::Model);

#[Object]
impl Listing {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(ListingConnection, ListingEdge, Listing);

#[derive(InputObject)]
pub struct CreateListingInput {
    pub title: String,
    /// Default: made from the title.
    pub slug: Option<String>,
    pub url: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateListingInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub url: Option<String>,
}

#[derive(Default)]
pub struct ListingQuery;

#[Object]
impl ListingQuery {
    /// The organization's listings, newest first.
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn listings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListingConnection> {
        let page =
            service::list(db(ctx), actor(ctx)?, PageArgs { first, after, last, before }, wants_total(ctx)).await?;
        let items = page.items.into_iter().map(|(c, l)| (c, Listing(l))).collect();
        Ok(ListingConnection::new(items, page.flags, page.total))
    }
}

#[derive(Default)]
pub struct ListingMutation;

#[Object]
impl ListingMutation {
    /// Adds a listing (admins).
    async fn create_listing(&self, ctx: &Context<'_>, input: CreateListingInput) -> async_graphql::Result<Listing> {
        let input = ListingInput { title: Some(input.title), slug: input.slug, url: input.url };
        Ok(Listing(service::create(db(ctx), actor(ctx)?, input).await?))
    }

    /// Changes a listing (admins).
    async fn update_listing(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateListingInput,
    ) -> async_graphql::Result<Listing> {
        let input = ListingInput { title: input.title, slug: input.slug, url: input.url };
        Ok(Listing(service::update(db(ctx), actor(ctx)?, parse_id(&id, "id")?, input).await?))
    }

    /// Deletes a listing (admins); the contacts and reservations that named it keep the rest.
    async fn delete_listing(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
