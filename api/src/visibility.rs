//! Who sees which contacts, and who may move them between owners (DESIGN section 3). The role rule is
//! one table (`Reach::of`) and the assignment rule one match (`AssignRight::of`); `Visible` is the only
//! query over contacts the rest of the server can obtain, so no path can forget the rule. A contact
//! outside it is, to that actor, absent.

use entity::{contact, enums::UserRole};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, IntoCondition, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    auth::{Actor, ViewerScope},
    error::{ApiError, ApiResult},
};

/// The contacts one actor reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    Organization,
    /// The unassigned ones, and those assigned to these users.
    UnassignedOr(Vec<Uuid>),
}

impl Reach {
    /// The role table: owners and admins all of the organization's; agents theirs and the unassigned;
    /// viewers all, or the unassigned plus those of their chosen agents.
    fn of(actor: &Actor) -> Self {
        match (actor.role(), actor.viewer_scope()) {
            (UserRole::Owner | UserRole::Admin, _) | (UserRole::Viewer, ViewerScope::All) => Self::Organization,
            (UserRole::Agent, _) => Self::UnassignedOr(actor.user_id().into_iter().collect()),
            (UserRole::Viewer, ViewerScope::Agents(ids)) => Self::UnassignedOr(ids.clone()),
        }
    }

    fn includes(&self, assignee: Option<Uuid>) -> bool {
        match self {
            Self::Organization => true,
            Self::UnassignedOr(ids) => assignee.is_none_or(|a| ids.contains(&a)),
        }
    }

    fn condition(&self) -> Condition {
        let unassigned = Condition::any().add(contact::Column::AssigneeId.is_null());
        match self {
            Self::Organization => Condition::all(),
            // One id as `=`, as before, so the planner sees the same statement.
            Self::UnassignedOr(ids) if ids.len() == 1 => unassigned.add(contact::Column::AssigneeId.eq(ids[0])),
            Self::UnassignedOr(ids) => unassigned.add(contact::Column::AssigneeId.is_in(ids.clone())),
        }
    }
}

/// A query over contacts that one actor may read. Only this module builds one; callers may narrow it
/// (`filter`) but never widen it, and run it through `into_select` once narrowed.
#[derive(Clone, Debug)]
pub struct Visible {
    query: Select<contact::Entity>,
    organization_id: Uuid,
    reach: Reach,
}

impl Visible {
    /// Every contact `actor` may read.
    pub fn contacts(actor: &Actor) -> Self {
        let whole = Self::system(actor.organization_id());
        match Reach::of(actor) {
            Reach::Organization => whole,
            reach => Self { query: whole.query.filter(reach.condition()), reach, ..whole },
        }
    }

    /// One contact, if `actor` may read it.
    pub fn contact(actor: &Actor, id: Uuid) -> Self {
        Self::contacts(actor).filter(contact::Column::Id.eq(id))
    }

    /// Every contact of an organization, for the paths that act for the organization itself rather than
    /// a person: the WhatsApp webhook, job runners after their own checks, partner events.
    pub fn system(organization_id: Uuid) -> Self {
        let query = contact::Entity::find().filter(contact::Column::OrganizationId.eq(organization_id));
        Self { query, organization_id, reach: Reach::Organization }
    }

    /// Adds a condition: the result can only shrink.
    pub fn filter(self, condition: impl IntoCondition) -> Self {
        Self { query: self.query.filter(condition), ..self }
    }

    pub fn organization_id(&self) -> Uuid {
        self.organization_id
    }

    /// Whether the reach is the whole organization (no condition on the assignee).
    pub fn is_whole_organization(&self) -> bool {
        self.reach == Reach::Organization
    }

    /// The query to run, page or count.
    pub fn into_select(self) -> Select<contact::Entity> {
        self.query
    }

    /// The ids of these contacts, as a subquery.
    pub fn ids(self) -> sea_orm::sea_query::SelectStatement {
        self.query.select_only().column(contact::Column::Id).into_query()
    }

    /// A condition on a `contact_id` column of a child table: among `ids`, only the visible contacts'.
    /// For a whole-organization reach the ids alone (the child table is filtered by organization).
    pub fn owns(&self, column: impl ColumnTrait, ids: &[Uuid]) -> SimpleExpr {
        if self.is_whole_organization() {
            return column.is_in(ids.to_vec());
        }
        column.in_subquery(self.clone().filter(contact::Column::Id.is_in(ids.to_vec())).ids())
    }

    /// The ids of those of `rows` this reach includes, checked in memory: for rows a page has just read
    /// (their children then load without a subquery on contacts).
    pub fn seen(&self, rows: &[&contact::Model]) -> SeenIds {
        let ids = rows
            .iter()
            .filter(|c| c.organization_id == self.organization_id && self.reach.includes(c.assignee_id))
            .map(|c| c.id)
            .collect();
        SeenIds { organization_id: self.organization_id, ids }
    }

    /// The one contact; NOT_FOUND whether it does not exist or is out of sight.
    pub async fn one(self, db: &impl ConnectionTrait) -> ApiResult<contact::Model> {
        self.query.one(db).await?.ok_or_else(|| ApiError::not_found("Contact"))
    }
}

/// Ids of contacts one reach includes, made only by `Visible::seen`.
pub struct SeenIds {
    organization_id: Uuid,
    ids: Vec<Uuid>,
}

impl SeenIds {
    pub fn organization_id(&self) -> Uuid {
        self.organization_id
    }

    pub fn ids(&self) -> &[Uuid] {
        &self.ids
    }
}

/// Whether `actor` sees the whole organization (no condition on the assignee).
pub fn sees_whole_organization(actor: &Actor) -> bool {
    Reach::of(actor) == Reach::Organization
}

/// One contact the actor can see; NOT_FOUND whether it does not exist or is out of sight.
pub async fn find_visible(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<contact::Model> {
    Visible::contact(actor, id).one(db).await
}

/// Whether the actor can see `contact_id`, as a condition: a read of what hangs off one contact checks
/// its visibility in the same statement instead of reading the contact first.
pub fn can_see_contact(actor: &Actor, contact_id: Uuid) -> SimpleExpr {
    Expr::exists(Visible::contact(actor, contact_id).ids())
}

/// The same rule on a copy of the assignee another table keeps (segment memberships), where `unassigned`
/// stands for none if given (segment tallies keep the nil id), else null.
pub fn reach_on(actor: &Actor, assignee: impl ColumnTrait, unassigned: Option<Uuid>) -> Condition {
    let none = match unassigned {
        Some(key) => assignee.eq(key),
        None => assignee.is_null(),
    };
    match Reach::of(actor) {
        Reach::Organization => Condition::all(),
        Reach::UnassignedOr(ids) => Condition::any().add(none).add(assignee.is_in(ids)),
    }
}

/// The same rule for one assignee: where the contact row is gone (deletions seen by subscribers).
pub fn can_see(actor: &Actor, assignee: Option<Uuid>) -> bool {
    Reach::of(actor).includes(assignee)
}

pub const ASSIGN_REFUSED: &str = "Agents can only take unassigned contacts or release their own";

/// Who an actor may move contacts from and to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignRight {
    /// Owners and admins: anyone to anyone.
    Anyone,
    /// An agent: take an unassigned contact (assign it to themselves), or release their own.
    TakeOrRelease(Uuid),
    Nothing,
}

impl AssignRight {
    pub fn of(actor: &Actor) -> Self {
        match (actor.is_admin(), actor.role(), actor.user_id()) {
            (true, _, _) => Self::Anyone,
            (false, UserRole::Agent, Some(me)) => Self::TakeOrRelease(me),
            _ => Self::Nothing,
        }
    }

    /// Whether a contact assigned to `current` may move to `next`.
    pub fn allows(self, current: Option<Uuid>, next: Option<Uuid>) -> bool {
        match self {
            Self::Anyone => true,
            Self::TakeOrRelease(me) => {
                (current.is_none() && next == Some(me)) || (current == Some(me) && next.is_none())
            }
            Self::Nothing => current == next,
        }
    }

    /// Whether a move to `next` may be asked for at all (an agent: only to themselves, or to nobody);
    /// `movable_to` then says which contacts it touches.
    pub fn may_assign_to(self, next: Option<Uuid>) -> bool {
        match self {
            Self::Anyone => true,
            Self::TakeOrRelease(me) => next.is_none() || next == Some(me),
            Self::Nothing => next.is_none(),
        }
    }

    /// Which contacts a move to `next` may touch, as a condition on their current assignee (bulk
    /// moves skip the others); `None` when it may touch any.
    pub fn movable_to(self, next: Option<Uuid>) -> Option<Condition> {
        let column = contact::Column::AssigneeId;
        match self {
            Self::Anyone => None,
            Self::TakeOrRelease(me) if next == Some(me) => Some(column.is_null().into_condition()),
            Self::TakeOrRelease(me) if next.is_none() => Some(column.eq(me).into_condition()),
            Self::TakeOrRelease(_) | Self::Nothing => Some(Expr::value(false).into_condition()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_take_unassigned_contacts_or_release_their_own() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let agent = AssignRight::TakeOrRelease(me);
        assert!(agent.allows(None, Some(me)), "take an unassigned one");
        assert!(agent.allows(Some(me), None), "release one's own");
        assert!(!agent.allows(None, Some(other)), "give to someone else");
        assert!(!agent.allows(Some(other), None), "release someone else's");
        assert!(!agent.allows(Some(other), Some(me)), "take someone else's");
        assert!(AssignRight::Anyone.allows(Some(other), Some(me)));
        assert!(!AssignRight::Nothing.allows(None, Some(me)));
        assert!(agent.may_assign_to(Some(me)) && agent.may_assign_to(None) && !agent.may_assign_to(Some(other)));
        assert!(AssignRight::Anyone.movable_to(Some(other)).is_none(), "admins move any contact");
        assert!(agent.movable_to(Some(me)).is_some() && agent.movable_to(None).is_some());
    }

    #[test]
    fn a_reach_includes_the_unassigned_and_its_agents() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let reach = Reach::UnassignedOr(vec![a]);
        assert!(reach.includes(None) && reach.includes(Some(a)) && !reach.includes(Some(b)));
        assert!(Reach::Organization.includes(Some(b)));
        assert!(!Reach::UnassignedOr(Vec::new()).includes(Some(a)));
    }
}
