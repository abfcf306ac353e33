use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums, user};

use super::service::{self, NewUser, UserPatch};
use crate::{
    error::ApiError,
    graphql::context::{actor, db, jwt, parse_id},
    object_fields,
    organizations::graphql::Organization,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::UserRole")]
pub enum Role {
    Owner,
    Admin,
    Agent,
    Viewer,
}

/// A member of the organization.
pub struct User(pub user::Model);

object_fields!(User(user::Model), table UserFields {
    id "id" -> ID = |u| ID(u.id.to_string());
    email "email" -> String = |u| u.email.clone();
    name "name" -> String = |u| u.name.clone();
    role "role" -> Role = |u| u.role.into();
    /// Deactivated users cannot log in, and their tokens stop working at once.
    active "active" -> bool = |u| u.active;
    /// For viewers: the agents whose contacts they see (plus unassigned ones); null means all contacts.
    viewer_agent_ids => {
        async fn viewer_agent_ids(&self) -> Option<Vec<ID>> {
            let ids: Vec<uuid::Uuid> = serde_json::from_value(self.0.viewer_agent_ids.clone()?).ok()?;
            Some(ids.into_iter().map(|id| ID(id.to_string())).collect())
        }
    };
    created_at "createdAt" -> DateTime<Utc> = |u| u.created_at;
});

/// The caller, with the organization and role it acts in.
pub struct Me {
    user: Option<user::Model>,
    organization: entity::organization::Model,
    role: enums::UserRole,
}

#[Object]
impl Me {
    /// The user behind the token (null for an integration acting as the organization).
    async fn user(&self) -> Option<User> {
        self.user.clone().map(User)
    }

    async fn organization(&self) -> Organization {
        Organization(self.organization.clone())
    }

    async fn role(&self) -> Role {
        self.role.into()
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A bearer token for the `Authorization` header.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub organization: Organization,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
    /// Viewers only: limit them to unassigned contacts plus these agents'. Omit to let them see all.
    pub viewer_agent_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// false deactivates the user: they cannot log in and their tokens stop working.
    pub active: Option<bool>,
    pub password: Option<String>,
    /// Viewers only: null lets them see all contacts; a list limits them to these agents' and unassigned.
    pub viewer_agent_ids: MaybeUndefined<Vec<ID>>,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller: user, organization and role.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let actor = actor(ctx)?;
        Ok(Me { user: actor.user().cloned(), organization: actor.organization().clone(), role: actor.role() })
    }

    /// Every member of the organization, by name.
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        Ok(service::list(db(ctx), actor(ctx)?).await?.into_iter().map(User).collect())
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Exchanges email and password for a token. `organizationId` is needed only when the email
    /// belongs to several organizations.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AuthPayload> {
        let org = organization_id.map(|id| parse_id(&id, "organizationId")).transpose()?;
        let session = service::login(db(ctx), jwt(ctx), &email, &password, org).await?;
        Ok(AuthPayload {
            token: session.token,
            expires_at: session.expires_at,
            user: User(session.user),
            organization: Organization(session.organization),
        })
    }

    /// Adds a member (owners and admins; only owners add owners and admins).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<User> {
        let viewer_agent_ids = input.viewer_agent_ids.map(|ids| parse_ids(&ids)).transpose()?;
        let new = NewUser {
            email: input.email,
            name: input.name,
            role: input.role.into(),
            password: input.password,
            viewer_agent_ids,
        };
        Ok(User(service::create(db(ctx), actor(ctx)?, new).await?))
    }

    /// Changes a member's name, role, password, viewer scope, or deactivates them.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> async_graphql::Result<User> {
        let id = parse_id(&id, "id")?;
        let viewer_agent_ids = match input.viewer_agent_ids {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(ids) => Some(Some(parse_ids(&ids)?)),
        };
        let patch = UserPatch {
            name: input.name,
            role: input.role.map(Into::into),
            active: input.active,
            password: input.password,
            viewer_agent_ids,
        };
        Ok(User(service::update(db(ctx), actor(ctx)?, id, patch).await?))
    }
}

fn parse_ids(ids: &[ID]) -> Result<Vec<uuid::Uuid>, ApiError> {
    ids.iter().map(|id| parse_id(id, "viewerAgentIds")).collect()
}
