//! Segments: saved selections of contacts. Anyone may keep private segments; admins manage the shared ones
//! the whole team sees. A segment holds its filter as the client gave it, so reading one always applies
//! today's meaning of it under the reader's own visibility: an agent opening a shared segment sees, and
//! counts, only the contacts that agent may see.

use entity::{listing, pipeline_stage, property_definition, segment, segment_member, tag, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    contacts::filter::ContactFilter,
    db::{new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    validate::fold,
    visibility::Visible,
};

pub const MAX_NAME_CHARS: usize = 80;
/// Shared segments of an organization, and private ones of a person: each is counted when the list is read.
/// Apart, so no one's private collection can stop the admins from sharing.
pub const MAX_SHARED: u64 = 200;
pub const MAX_PRIVATE: u64 = 100;

pub use super::{PRIVATE, SHARED};

/// What a segment selects, ready to store: the filter in the client's shape, and the same read for checks.
pub struct Definition {
    pub filter_input: serde_json::Value,
    pub filter: ContactFilter,
    pub search: Option<String>,
    pub order_field: String,
    pub order_descending: bool,
}

pub struct NewSegment {
    pub name: String,
    pub definition: Definition,
    pub visibility: &'static str,
}

#[derive(Default)]
pub struct SegmentPatch {
    pub name: Option<String>,
    pub definition: Option<Definition>,
    pub visibility: Option<&'static str>,
}

/// A part of a segment's filter that names something that no longer exists.
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn name(raw: &str) -> ApiResult<(String, String)> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_input("name", format!("A segment's name is 1 to {MAX_NAME_CHARS} characters")));
    }
    let key = fold(&name);
    Ok((name, key))
}

/// The organization's shared segments and the caller's own private ones, by name.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<segment::Model>> {
    Ok(segment::Entity::find()
        .filter(segment::Column::OrganizationId.eq(actor.organization_id()))
        .filter(visible_to(actor))
        .order_by_asc(segment::Column::NameKey)
        .order_by_asc(segment::Column::Id)
        .all(db)
        .await?)
}

pub fn visible_to(actor: &Actor) -> Condition {
    let mine = actor
        .user_id()
        .map(|id| Condition::all().add(segment::Column::Visibility.eq(PRIVATE)).add(segment::Column::CreatedBy.eq(id)));
    let mut any = Condition::any().add(segment::Column::Visibility.eq(SHARED));
    if let Some(mine) = mine {
        any = any.add(mine);
    }
    any
}

/// A segment the caller may see; another person's private segment or another organization's is not found.
pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid, field: &str) -> ApiResult<segment::Model> {
    segment::Entity::find_by_id(id)
        .filter(segment::Column::OrganizationId.eq(actor.organization_id()))
        .filter(visible_to(actor))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Segment not found ({field})")))
}

/// Shared segments are the admins'; a private one is its creator's alone.
fn may_manage(actor: &Actor, visibility: &str, created_by: Option<Uuid>) -> ApiResult<()> {
    if visibility == SHARED {
        return actor.require_admin();
    }
    match actor.user_id() {
        Some(id) if created_by == Some(id) => Ok(()),
        Some(_) => Err(ApiError::forbidden()),
        None => {
            Err(ApiError::bad_input("visibility", "A private segment belongs to a person: API tokens keep shared ones"))
        }
    }
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewSegment) -> ApiResult<segment::Model> {
    may_manage(actor, input.visibility, actor.user_id())?;
    within_limit(db, actor, input.visibility).await?;
    let (name, key) = name(&input.name)?;
    let at = now();
    let d = input.definition;
    check(db, actor, &d).await?;
    let model = segment::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        name: Set(name),
        name_key: Set(key),
        filter: Set(d.filter_input),
        search: Set(d.search),
        order_field: Set(d.order_field),
        order_descending: Set(d.order_descending),
        visibility: Set(input.visibility.to_string()),
        created_by: Set(actor.user_id()),
        created_at: Set(at),
        updated_at: Set(at),
        selection: Set(None),
        members_built_at: Set(None),
    };
    let txn = db.begin().await?;
    // Writes of the organization wait while the members are built, so none is missed.
    super::members::hold(&txn, actor.organization_id(), true).await?;
    let model = model
        .insert(&txn)
        .await
        .map_err(|e| conflict_on_unique(e, "name", "A segment with this name already exists"))?;
    let model = keep(&txn, model, &d.filter).await?;
    txn.commit().await?;
    Ok(model)
}

/// Stores the selection in the server's own shape and builds the segment's memberships from it.
pub async fn keep(
    txn: &impl ConnectionTrait,
    model: segment::Model,
    filter: &ContactFilter,
) -> ApiResult<segment::Model> {
    let kept = super::members::build(txn, &model, filter).await?;
    let mut model: segment::ActiveModel = model.into();
    model.selection = Set(Some(serde_json::to_value(filter).map_err(ApiError::internal)?));
    model.members_built_at = Set(kept.then(now));
    Ok(model.update(txn).await?)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    patch: SegmentPatch,
) -> ApiResult<segment::Model> {
    let current = find(db, actor, id, "id").await?;
    may_manage(actor, &current.visibility, current.created_by)?;
    if let Some(visibility) = patch.visibility {
        // Sharing a private segment or taking a shared one back are the admins' and its creator's at once.
        may_manage(actor, visibility, current.created_by)?;
    }
    if let Some(visibility) = patch.visibility.filter(|v| *v != current.visibility) {
        within_limit(db, actor, visibility).await?;
    }
    let mut model: segment::ActiveModel = current.into();
    if let Some(raw) = patch.name {
        let (name, key) = name(&raw)?;
        model.name = Set(name);
        model.name_key = Set(key);
    }
    let mut selection = None;
    if let Some(d) = patch.definition {
        check(db, actor, &d).await?;
        model.filter = Set(d.filter_input);
        model.search = Set(d.search);
        model.order_field = Set(d.order_field);
        model.order_descending = Set(d.order_descending);
        selection = Some(d.filter);
    }
    if let Some(visibility) = patch.visibility {
        model.visibility = Set(visibility.to_string());
    }
    model.updated_at = Set(now());
    let txn = db.begin().await?;
    if selection.is_some() {
        super::members::hold(&txn, actor.organization_id(), true).await?;
    }
    let mut model = model
        .update(&txn)
        .await
        .map_err(|e| conflict_on_unique(e, "name", "A segment with this name already exists"))?;
    if let Some(filter) = selection {
        model = keep(&txn, model, &filter).await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// Counts are soft limits: two creations at the same moment may pass one over.
async fn within_limit(db: &impl ConnectionTrait, actor: &Actor, visibility: &str) -> ApiResult<()> {
    let mut held = segment::Entity::find()
        .filter(segment::Column::OrganizationId.eq(actor.organization_id()))
        .filter(segment::Column::Visibility.eq(visibility));
    let max = if visibility == SHARED { MAX_SHARED } else { MAX_PRIVATE };
    if visibility == PRIVATE {
        held = held.filter(segment::Column::CreatedBy.eq(actor.user_id()));
    }
    if held.count(db).await? >= max {
        let whose = if visibility == SHARED { "An organization keeps" } else { "A person keeps" };
        return Err(ApiError::LimitExceeded(format!("{whose} at most {max} {} segments", visibility.to_lowercase())));
    }
    Ok(())
}

/// The selection reads as the contacts list would read it (property conditions against their definitions),
/// so a segment cannot be saved that fails every time it is opened.
async fn check(db: &impl ConnectionTrait, actor: &Actor, d: &Definition) -> ApiResult<()> {
    crate::contacts::filter::apply(db, Visible::contacts(actor), &d.filter, d.search.as_deref())
        .await
        .map(|_| ())
        .map_err(|e| match e {
            ApiError::BadInput { field, message } => ApiError::BadInput { field: format!("filter.{field}"), message },
            other => other,
        })
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let current = find(db, actor, id, "id").await?;
    may_manage(actor, &current.visibility, current.created_by)?;
    let txn = db.begin().await?;
    super::members::hold(&txn, actor.organization_id(), true).await?;
    super::tally::forget_segment(&txn, actor.organization_id(), id).await?;
    segment_member::Entity::delete_many()
        .filter(segment_member::Column::OrganizationId.eq(actor.organization_id()))
        .filter(segment_member::Column::SegmentId.eq(id))
        .exec(&txn)
        .await?;
    segment::Entity::delete_many()
        .filter(segment::Column::OrganizationId.eq(actor.organization_id()))
        .filter(segment::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// What the filter names that no longer exists in the organization: reported on the segment, never dropped
/// from it (a tag deleted by mistake and made again under the same id is not possible, but a reader must
/// learn why a segment shrank).
pub async fn problems(db: &impl ConnectionTrait, org: Uuid, filter: &ContactFilter) -> ApiResult<Vec<Problem>> {
    let mut found = Vec::new();
    if let Some(ids) = &filter.stage_ids {
        let known = existing::<pipeline_stage::Entity, _>(
            db,
            org,
            ids,
            pipeline_stage::Column::Id,
            pipeline_stage::Column::OrganizationId,
        )
        .await?;
        missing(&mut found, "statusIds", "stage", ids, &known);
    }
    if let Some(ids) = &filter.tag_ids {
        let known = existing::<tag::Entity, _>(db, org, ids, tag::Column::Id, tag::Column::OrganizationId).await?;
        missing(&mut found, "tagIds", "tag", ids, &known);
    }
    if let Some(ids) = &filter.assignee_ids {
        let known = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::OrganizationId.eq(org))
            .filter(user::Column::Id.is_in(ids.clone()))
            .filter(user::Column::Active.eq(true))
            .into_tuple::<Uuid>()
            .all(db)
            .await?;
        missing(&mut found, "assigneeIds", "active member", ids, &known);
    }
    if let Some(ids) = &filter.listing_ids {
        let known =
            existing::<listing::Entity, _>(db, org, ids, listing::Column::Id, listing::Column::OrganizationId).await?;
        missing(&mut found, "listingIds", "listing", ids, &known);
    }
    for condition in &filter.properties {
        let known = property_definition::Entity::find()
            .filter(property_definition::Column::OrganizationId.eq(org))
            .filter(property_definition::Column::Key.eq(condition.key.as_str()))
            .count(db)
            .await?;
        if known == 0 {
            found.push(Problem {
                field: "properties",
                message: format!("The property `{}` no longer exists", condition.key),
            });
        }
    }
    Ok(found)
}

async fn existing<E, C>(
    db: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
    id: C,
    organization: C,
) -> ApiResult<Vec<Uuid>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(organization.eq(org))
        .filter(id.is_in(ids.to_vec()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

fn missing(found: &mut Vec<Problem>, field: &'static str, what: &str, wanted: &[Uuid], known: &[Uuid]) {
    for id in wanted.iter().filter(|id| !known.contains(id)) {
        found.push(Problem { field, message: format!("The {what} {id} no longer exists") });
    }
}
