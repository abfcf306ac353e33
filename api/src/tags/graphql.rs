//! Tags as GraphQL: the `Tag` type, listing tags, and managing them.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::tag;

use super::service;
use crate::{
    graphql::context::{actor, db, parse_id},
    graphql::types::DeletePayload,
    object_fields,
};

pub struct Tag(pub tag::Model);

object_fields!(Tag(tag::Model), table TagFields {
    id "id" -> ID = |t| ID(t.id.to_string());
    name "name" -> String = |t| t.name.clone();
    /// `#rrggbb`, when one was chosen.
    color "color" -> Option<String> = |t| t.color.clone();
    created_at "createdAt" -> DateTime<Utc> = |t| t.created_at;
});

#[derive(Default)]
pub struct TagQuery;

#[Object]
impl TagQuery {
    /// The organization's tags by name.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        Ok(service::list(db(ctx), actor(ctx)?).await?.into_iter().map(Tag).collect())
    }
}

#[derive(Default)]
pub struct TagMutation;

#[Object]
impl TagMutation {
    /// Creates a tag ahead of use (admins); `addTags` also creates tags on first use.
    async fn create_tag(&self, ctx: &Context<'_>, name: String, color: Option<String>) -> async_graphql::Result<Tag> {
        Ok(Tag(service::create(db(ctx), actor(ctx)?, &name, color).await?))
    }

    /// Renames or recolours a tag (admins); contacts keep it.
    async fn update_tag(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        color: Option<String>,
    ) -> async_graphql::Result<Tag> {
        Ok(Tag(service::update(db(ctx), actor(ctx)?, parse_id(&id, "id")?, name, color).await?))
    }

    /// Deletes a tag and takes it off every contact (admins).
    async fn delete_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
