use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token;

use super::service;
use crate::{
    graphql::context::{actor, db, loaders, parse_id},
    users::graphql::{Role, User},
};

/// An integration's token, without its secret.
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The token's first characters, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.created_by else { return Ok(None) };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Updated at most once a minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The secret: use it as `Authorization: Bearer <token>`. It is shown only this once.
    pub token: String,
    pub api_token: ApiToken,
}

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// The organization's API tokens, newest first (owners and admins).
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        Ok(service::list(db(ctx), actor(ctx)?).await?.into_iter().map(ApiToken).collect())
    }
}

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    /// A long-lived token for an integration, acting as the organization with `role` (not OWNER).
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        role: Role,
    ) -> async_graphql::Result<CreatedApiToken> {
        let (row, token) = service::create(db(ctx), actor(ctx)?, &name, role.into()).await?;
        Ok(CreatedApiToken { token, api_token: ApiToken(row) })
    }

    /// Revokes a token; requests with it fail from now on.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiToken> {
        Ok(ApiToken(service::revoke(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?))
    }
}
