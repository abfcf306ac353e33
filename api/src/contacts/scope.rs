//! Who sees which contacts (DESIGN section 3). `visible` is the only way services read contacts: a
//! contact outside it is, to that actor, absent.

use entity::{contact, enums::UserRole};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    auth::{Actor, ViewerScope},
    error::{ApiError, ApiResult},
};

/// The contacts `actor` may read: owners and admins all of the organization's; agents theirs and the
/// unassigned; viewers all, or the unassigned plus those of their chosen agents.
pub fn visible(actor: &Actor) -> Select<contact::Entity> {
    let query = contact::Entity::find().filter(contact::Column::OrganizationId.eq(actor.organization_id()));
    let unassigned = contact::Column::AssigneeId.is_null();
    match (actor.role(), actor.viewer_scope()) {
        (UserRole::Owner | UserRole::Admin, _) | (UserRole::Viewer, ViewerScope::All) => query,
        (UserRole::Agent, _) => {
            let mine = match actor.user_id() {
                Some(id) => contact::Column::AssigneeId.eq(id),
                None => contact::Column::AssigneeId.is_null(),
            };
            query.filter(Condition::any().add(unassigned).add(mine))
        }
        (UserRole::Viewer, ViewerScope::Agents(ids)) => {
            query.filter(Condition::any().add(unassigned).add(contact::Column::AssigneeId.is_in(ids.clone())))
        }
    }
}

/// Whether `visible` is the whole organization for this actor (no condition on the assignee).
pub fn sees_all(actor: &Actor) -> bool {
    matches!(
        (actor.role(), actor.viewer_scope()),
        (UserRole::Owner | UserRole::Admin, _) | (UserRole::Viewer, ViewerScope::All)
    )
}

/// The same rule as `visible`, for one assignee: used where the contact row is gone (deletions).
pub fn can_see(actor: &Actor, assignee: Option<Uuid>) -> bool {
    match (actor.role(), actor.viewer_scope()) {
        (UserRole::Owner | UserRole::Admin, _) | (UserRole::Viewer, ViewerScope::All) => true,
        (UserRole::Agent, _) => assignee.is_none() || assignee == actor.user_id(),
        (UserRole::Viewer, ViewerScope::Agents(ids)) => assignee.is_none_or(|a| ids.contains(&a)),
    }
}

/// Whether the actor can see `contact_id`, as a condition: a read of what hangs off one contact checks its
/// visibility in the same statement instead of reading the contact first.
pub fn can_see_contact(actor: &Actor, contact_id: Uuid) -> Expr {
    let contact = visible(actor).select_only().column(contact::Column::Id).filter(contact::Column::Id.eq(contact_id));
    Expr::exists(contact.into_query())
}

/// One contact the actor can see; NOT_FOUND whether it does not exist or is out of sight.
pub async fn find_visible(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<contact::Model> {
    visible(actor).filter(contact::Column::Id.eq(id)).one(db).await?.ok_or_else(|| ApiError::not_found("Contact"))
}
