//! The `Actor`: the user a request acts as, in one organization, with the role and scope read from the
//! database. Built only here; jobs and webhooks use `Actor::system`.

use entity::{catalog_version, enums::UserRole, organization, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{api_token::Grant, jwt::Claims};
use crate::error::{ApiError, ApiResult};

/// Which contacts a viewer may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewerScope {
    All,
    /// Unassigned contacts plus those assigned to these agents.
    Agents(Vec<Uuid>),
}

#[derive(Clone, Debug)]
pub struct Actor {
    user: Option<user::Model>,
    organization: organization::Model,
    role: UserRole,
    viewer_scope: ViewerScope,
    /// Set when an integration acts through an API token.
    token_id: Option<Uuid>,
    /// The organization's catalog version read with the actor (see `catalog`); none for actors built
    /// without it (jobs, subscriptions), which read stages and members from the database.
    catalog_version: Option<i64>,
}

impl Actor {
    /// Loads the actor a token names; fails if the user or organization is gone or the user is inactive.
    /// One query: it runs before every request.
    pub async fn load(db: &impl ConnectionTrait, claims: &Claims) -> ApiResult<Self> {
        let denied = || ApiError::Unauthenticated("Invalid or expired token".into());
        let (user, organization, catalog) = user::Entity::find_by_id(claims.sub)
            .filter(user::Column::OrganizationId.eq(claims.org))
            .filter(user::Column::Active.eq(true))
            .find_also_related(organization::Entity)
            .find_also(organization::Entity, catalog_version::Entity)
            .one(db)
            .await?
            .ok_or_else(denied)?;
        let actor = Self::for_user(user, organization.ok_or_else(denied)?);
        Ok(actor.at_catalog_version(catalog.map_or(0, |c| c.version)))
    }

    /// The same actor read again from the database: for long-lived subscriptions, so a deactivated or
    /// demoted user stops receiving what they may no longer see.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> ApiResult<Self> {
        let organization = organization::Entity::find_by_id(self.organization.id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::Unauthenticated("Organization gone".into()))?;
        if let Some(token_id) = self.token_id {
            return Ok(Self::integration(super::api_token::by_id(db, token_id).await?));
        }
        let Some(user) = &self.user else { return Ok(Self::system(organization)) };
        let user = user::Entity::find_by_id(user.id)
            .one(db)
            .await?
            .filter(|u| u.active && u.organization_id == organization.id)
            .ok_or_else(|| ApiError::Unauthenticated("User no longer active".into()))?;
        Ok(Self::for_user(user, organization))
    }

    pub(crate) fn for_user(user: user::Model, organization: organization::Model) -> Self {
        let viewer_scope = match &user.viewer_agent_ids {
            Some(ids) => ViewerScope::Agents(serde_json::from_value(ids.clone()).unwrap_or_default()),
            None => ViewerScope::All,
        };
        Self { role: user.role, user: Some(user), organization, viewer_scope, token_id: None, catalog_version: None }
    }

    pub(crate) fn at_catalog_version(self, version: i64) -> Self {
        Self { catalog_version: Some(version), ..self }
    }

    /// The same actor without the user's password hash, for keeping in memory (nothing reads it from here).
    pub(super) fn without_password_hash(self) -> Self {
        let user = self.user.map(|u| user::Model { password_hash: None, ..u });
        Self { user, ..self }
    }

    pub fn catalog_version(&self) -> Option<i64> {
        self.catalog_version
    }

    /// The organization itself acting: webhooks, jobs and the CLI. It has an owner's rights there.
    pub fn system(organization: organization::Model) -> Self {
        let (role, viewer_scope) = (UserRole::Owner, ViewerScope::All);
        Self { user: None, organization, role, viewer_scope, token_id: None, catalog_version: None }
    }

    /// An integration acting through an API token: the organization itself, with the token's role.
    pub(crate) fn integration(grant: Grant) -> Self {
        let (role, token_id, viewer_scope) = (grant.token.role, Some(grant.token.id), ViewerScope::All);
        let catalog_version = Some(grant.catalog_version);
        Self { user: None, organization: grant.organization, role, viewer_scope, token_id, catalog_version }
    }

    pub fn token_id(&self) -> Option<Uuid> {
        self.token_id
    }

    /// Who to count requests against: the user, the API token, or the organization.
    pub fn rate_key(&self) -> String {
        match (self.user_id(), self.token_id) {
            (Some(user), _) => user.to_string(),
            (None, Some(token)) => format!("token:{token}"),
            (None, None) => format!("org:{}", self.organization_id()),
        }
    }

    /// `USER`, `API_TOKEN` or `SYSTEM`, as the audit trail records it.
    pub fn kind(&self) -> &'static str {
        match (self.user.is_some(), self.token_id.is_some()) {
            (true, _) => "USER",
            (false, true) => "API_TOKEN",
            (false, false) => "SYSTEM",
        }
    }

    pub fn organization_id(&self) -> Uuid {
        self.organization.id
    }

    pub fn organization(&self) -> &organization::Model {
        &self.organization
    }

    /// The acting user; `None` for the system actor.
    pub fn user(&self) -> Option<&user::Model> {
        self.user.as_ref()
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.user.as_ref().map(|u| u.id)
    }

    pub fn role(&self) -> UserRole {
        self.role
    }

    pub fn viewer_scope(&self) -> &ViewerScope {
        &self.viewer_scope
    }

    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    pub fn require_owner(&self) -> ApiResult<()> {
        if self.role == UserRole::Owner { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    /// Agents and admins write; viewers only read.
    pub fn require_writer(&self) -> ApiResult<()> {
        if self.role == UserRole::Viewer { Err(ApiError::forbidden()) } else { Ok(()) }
    }
}
