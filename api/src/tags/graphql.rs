use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::tag;

use super::service;
use crate::{
    graphql::context::{actor, db, parse_id},
    graphql::types::DeletePayload,
};

pub struct Tag(pub tag::Model);

#[Object]
impl Tag {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// `#rrggbb`, when one was chosen.
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

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
