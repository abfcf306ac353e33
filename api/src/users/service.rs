use entity::{enums::UserRole, organization, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    auth::{Actor, JwtKeys, hash_password, verify_password},
    db::{new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    validate,
    values::Email,
};

pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub password: Option<String>,
    /// Viewers only: `None` sees all contacts.
    pub viewer_agent_ids: Option<Vec<Uuid>>,
}

#[derive(Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<UserRole>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// `Some(None)`: the viewer sees all contacts; `Some(Some(ids))`: unassigned plus these agents'.
    pub viewer_agent_ids: Option<Option<Vec<Uuid>>>,
}

pub struct Session {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: user::Model,
    pub organization: organization::Model,
}

/// Every member of the organization, by name: the SPA needs them to show and pick assignees.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.eq(actor.organization_id()))
        .order_by_asc(user::Column::Name)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// Owners and admins add agents and viewers; only owners add owners and admins.
pub async fn create(db: &impl ConnectionTrait, actor: &Actor, input: NewUser) -> ApiResult<user::Model> {
    actor.require_admin()?;
    if input.role.is_admin() {
        actor.require_owner()?;
    }
    insert(db, actor.organization_id(), input).await
}

/// Inserts a user without permission checks: for `bootstrap` and for `create` after its checks.
pub(crate) async fn insert(db: &impl ConnectionTrait, organization_id: Uuid, input: NewUser) -> ApiResult<user::Model> {
    let email = String::from(Email::parse("email", &input.email)?);
    let name = validate::name("name", &input.name)?;
    let password_hash = match input.password {
        Some(pw) => {
            validate_password(&pw)?;
            Some(hash_password(pw).await?)
        }
        None => None,
    };
    let viewer_agent_ids = viewer_scope(db, organization_id, input.role, input.viewer_agent_ids).await?;
    let at = now();
    user::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(organization_id),
        email: Set(email),
        name: Set(name),
        role: Set(input.role),
        viewer_agent_ids: Set(viewer_agent_ids),
        password_hash: Set(password_hash),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(|e| conflict_on_unique(e, "email", "A user with this email already exists"))
}

/// Changes a member. Admins manage agents and viewers; owners manage everyone. The last active owner
/// cannot be demoted or deactivated, so an organization is never left without one.
pub async fn update(db: &impl ConnectionTrait, actor: &Actor, id: Uuid, patch: UserPatch) -> ApiResult<user::Model> {
    actor.require_admin()?;
    let target = user::Entity::find_by_id(id)
        .filter(user::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    if target.role.is_admin() || patch.role.is_some_and(UserRole::is_admin) {
        actor.require_owner()?;
    }
    let loses_owner = target.role == UserRole::Owner
        && target.active
        && (patch.active == Some(false) || patch.role.is_some_and(|r| r != UserRole::Owner));
    if loses_owner && active_owner_count(db, actor.organization_id()).await? <= 1 {
        return Err(ApiError::bad_input("role", "The organization must keep at least one active owner"));
    }

    let role = patch.role.unwrap_or(target.role);
    let mut model: user::ActiveModel = target.clone().into();
    if let Some(name) = patch.name {
        model.name = Set(validate::name("name", &name)?);
    }
    if let Some(active) = patch.active {
        model.active = Set(active);
    }
    if let Some(password) = patch.password {
        validate_password(&password)?;
        model.password_hash = Set(Some(hash_password(password).await?));
    }
    let scope = match patch.viewer_agent_ids {
        Some(ids) => ids,
        None => target.viewer_agent_ids.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok()),
    };
    model.viewer_agent_ids = Set(viewer_scope(db, actor.organization_id(), role, scope).await?);
    model.role = Set(role);
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

/// Checks email and password; answers the same error whether the email or the password is wrong.
pub async fn login(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    email: &str,
    password: &str,
    organization_id: Option<Uuid>,
) -> ApiResult<Session> {
    let candidates = active_by_email(db, email, organization_id, 20).await?;
    let mut matched = Vec::new();
    if candidates.is_empty() {
        verify_password(password.to_string(), None).await?;
    }
    for user in candidates {
        if verify_password(password.to_string(), user.password_hash.clone()).await? {
            matched.push(user);
        }
    }
    let user = match matched.len() {
        0 => return Err(ApiError::Unauthenticated("Wrong email or password".into())),
        1 => matched.remove(0),
        _ => {
            return Err(ApiError::bad_input(
                "organizationId",
                "This email belongs to several organizations: say which one",
            ));
        }
    };
    session_for(db, keys, user).await
}

/// A token for an existing active user, for the command line.
pub async fn token_for_email(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    email: &str,
    organization_id: Option<Uuid>,
) -> ApiResult<Session> {
    let mut users = active_by_email(db, email, organization_id, 2).await?;
    match users.len() {
        0 => Err(ApiError::not_found("Active user with this email")),
        1 => session_for(db, keys, users.remove(0)).await,
        _ => Err(ApiError::bad_input("organization", "Several organizations have this email: pass --organization")),
    }
}

/// Active users with this email (in one organization when given), oldest first.
async fn active_by_email(
    db: &impl ConnectionTrait,
    email: &str,
    organization_id: Option<Uuid>,
    limit: u64,
) -> ApiResult<Vec<user::Model>> {
    let mut query = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .filter(user::Column::Active.eq(true));
    if let Some(org) = organization_id {
        query = query.filter(user::Column::OrganizationId.eq(org));
    }
    Ok(query.order_by_asc(user::Column::CreatedAt).limit(limit).all(db).await?)
}

pub async fn session_for(db: &impl ConnectionTrait, keys: &JwtKeys, user: user::Model) -> ApiResult<Session> {
    let organization = organization::Entity::find_by_id(user.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization"))?;
    let (token, expires_at) = keys.issue(user.id, organization.id)?;
    Ok(Session { token, expires_at, user, organization })
}

async fn active_owner_count(db: &impl ConnectionTrait, organization_id: Uuid) -> ApiResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.eq(organization_id))
        .filter(user::Column::Role.eq(UserRole::Owner))
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await?)
}

/// Validates a viewer's agent list (agents of this organization) and stores it as JSON; other roles
/// have no scope.
async fn viewer_scope(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    role: UserRole,
    ids: Option<Vec<Uuid>>,
) -> ApiResult<Option<serde_json::Value>> {
    let Some(mut ids) = ids.filter(|_| role == UserRole::Viewer) else {
        return Ok(None);
    };
    ids.sort();
    ids.dedup();
    let found = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(organization_id))
        .filter(user::Column::Id.is_in(ids.clone()))
        .filter(user::Column::Role.eq(UserRole::Agent))
        .count(db)
        .await?;
    if found as usize != ids.len() {
        return Err(ApiError::bad_input("viewerAgentIds", "Every id must be an agent of this organization"));
    }
    Ok(Some(serde_json::json!(ids)))
}

fn validate_password(raw: &str) -> ApiResult<()> {
    let len = raw.chars().count();
    if !(8..=128).contains(&len) {
        return Err(ApiError::bad_input("password", "Password must be 8 to 128 characters"));
    }
    Ok(())
}
