use entity::{enums::StageKind, pipeline_stage};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::ApiResult,
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
    let rows = DEFAULT_STAGES
        .iter()
        .enumerate()
        .map(|(i, (name, color, kind))| pipeline_stage::ActiveModel {
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
    Ok(query
        .order_by_asc(pipeline_stage::Column::Position)
        .order_by_asc(pipeline_stage::Column::Id)
        .all(db)
        .await?)
}
