use entity::{enums::StageKind, pipeline_stage};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    validate,
};

/// The funnel every new organization starts with.
pub const DEFAULT_STAGES: [(&str, &str, StageKind); 5] = [
    ("New", "#3b82f6", StageKind::Open),
    ("Qualified", "#8b5cf6", StageKind::Open),
    ("Visit scheduled", "#f59e0b", StageKind::Open),
    ("Closed - Won", "#22c55e", StageKind::Won),
    ("Closed - Lost", "#ef4444", StageKind::Lost),
];

pub async fn create_default_stages(db: &impl ConnectionTrait, organization_id: Uuid) -> ApiResult<()> {
    let at = now();
    let rows = DEFAULT_STAGES.iter().enumerate().map(|(i, (name, color, kind))| pipeline_stage::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(organization_id),
        name: Set((*name).to_string()),
        color: Set((*color).to_string()),
        kind: Set(*kind),
        position: Set(i as i32),
        archived: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    });
    pipeline_stage::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// The organization's stages in funnel order; archived ones only when asked.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    include_archived: bool,
) -> ApiResult<Vec<pipeline_stage::Model>> {
    let mut query =
        pipeline_stage::Entity::find().filter(pipeline_stage::Column::OrganizationId.eq(actor.organization_id()));
    if !include_archived {
        query = query.filter(pipeline_stage::Column::Archived.eq(false));
    }
    Ok(query.order_by_asc(pipeline_stage::Column::Position).order_by_asc(pipeline_stage::Column::Id).all(db).await?)
}

/// A stage of the organization that is not archived: what a contact may be moved to.
pub async fn find_active(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> ApiResult<pipeline_stage::Model> {
    find(db, organization_id, id)
        .await?
        .filter(|s| !s.archived)
        .ok_or_else(|| ApiError::bad_input("statusId", "Unknown or archived pipeline stage"))
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<pipeline_stage::Model>> {
    Ok(pipeline_stage::Entity::find_by_id(id)
        .filter(pipeline_stage::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?)
}

/// Where new contacts start: the first stage of the funnel that is not archived.
pub async fn first_stage(db: &impl ConnectionTrait, organization_id: Uuid) -> ApiResult<pipeline_stage::Model> {
    pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::OrganizationId.eq(organization_id))
        .filter(pipeline_stage::Column::Archived.eq(false))
        .order_by_asc(pipeline_stage::Column::Position)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input("statusId", "The organization has no active pipeline stage"))
}

pub struct StageInput {
    pub name: Option<String>,
    pub color: Option<String>,
    pub kind: Option<StageKind>,
    pub archived: Option<bool>,
}

/// Adds a stage at the end of the funnel (admins).
pub async fn create(db: &impl ConnectionTrait, actor: &Actor, input: StageInput) -> ApiResult<pipeline_stage::Model> {
    actor.require_admin()?;
    let name = validate::name("name", input.name.as_deref().unwrap_or_default())?;
    let color = crate::tags::service::validate_color(input.color.as_deref().unwrap_or("#64748b"))?;
    let stages = list(db, actor, true).await?;
    unique_name(&stages, &name, None)?;
    let position = stages.iter().map(|s| s.position + 1).max().unwrap_or(0);
    let at = now();
    Ok(pipeline_stage::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        name: Set(name),
        color: Set(color),
        kind: Set(input.kind.unwrap_or(StageKind::Open)),
        position: Set(position),
        archived: Set(input.archived.unwrap_or(false)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?)
}

/// Two stages of one organization (archived ones included) never share a name, whatever its case.
fn unique_name(stages: &[pipeline_stage::Model], name: &str, except: Option<Uuid>) -> ApiResult<()> {
    let key = name.to_lowercase();
    match stages.iter().find(|s| Some(s.id) != except && s.name.to_lowercase() == key) {
        Some(taken) => Err(ApiError::conflict("name", format!("A stage is already named `{}`", taken.name))),
        None => Ok(()),
    }
}

/// Renames, recolours, re-kinds or archives a stage (admins). Contacts in an archived stage keep it.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    input: StageInput,
) -> ApiResult<pipeline_stage::Model> {
    actor.require_admin()?;
    let current = find(db, actor.organization_id(), id).await?.ok_or_else(|| ApiError::not_found("Pipeline stage"))?;
    let mut model: pipeline_stage::ActiveModel = current.into();
    if let Some(name) = input.name {
        let name = validate::name("name", &name)?;
        unique_name(&list(db, actor, true).await?, &name, Some(id))?;
        model.name = Set(name);
    }
    if let Some(color) = input.color {
        model.color = Set(crate::tags::service::validate_color(&color)?);
    }
    if let Some(kind) = input.kind {
        model.kind = Set(kind);
    }
    if let Some(archived) = input.archived {
        model.archived = Set(archived);
    }
    model.updated_at = Set(now());
    let updated = model.update(db).await?;
    if list(db, actor, false).await?.is_empty() {
        return Err(ApiError::bad_input("archived", "Keep at least one active stage"));
    }
    Ok(updated)
}

/// Puts the stages in the given order (admins); the list must name every stage once.
pub async fn reorder<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    ids: Vec<Uuid>,
) -> ApiResult<Vec<pipeline_stage::Model>> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let stages = list(&txn, actor, true).await?;
    let mut given = ids.clone();
    given.sort();
    given.dedup();
    let mut all: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    all.sort();
    if given != all || ids.len() != all.len() {
        return Err(ApiError::bad_input("ids", "List every stage of the organization exactly once"));
    }
    for (position, id) in ids.iter().enumerate() {
        pipeline_stage::Entity::update_many()
            .col_expr(pipeline_stage::Column::Position, sea_orm::sea_query::Expr::value(position as i32))
            .filter(pipeline_stage::Column::OrganizationId.eq(actor.organization_id()))
            .filter(pipeline_stage::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    let stages = list(&txn, actor, true).await?;
    txn.commit().await?;
    Ok(stages)
}
