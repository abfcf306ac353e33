use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::{enums, pipeline_stage};

use super::service;
use crate::{
    graphql::context::{actor, db, parse_id},
    object_fields,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::StageKind")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

#[derive(Clone)]
pub struct PipelineStage(pub pipeline_stage::Model);

object_fields!(
    /// A step of the sales funnel.
    PipelineStage(pipeline_stage::Model), table StageFields {
    id "id" -> ID = |s| ID(s.id.to_string());
    name "name" -> String = |s| s.name.clone();
    /// `#rrggbb`.
    color "color" -> String = |s| s.color.clone();
    kind "kind" -> StageKind = |s| s.kind.into();
    position "position" -> i32 = |s| s.position;
    archived "archived" -> bool = |s| s.archived;
});

impl From<pipeline_stage::Model> for PipelineStage {
    fn from(m: pipeline_stage::Model) -> Self {
        Self(m)
    }
}

#[derive(Default)]
pub struct PipelineQuery;

#[Object]
impl PipelineQuery {
    /// The organization's funnel stages in order.
    async fn pipeline_stages(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_archived: bool,
    ) -> async_graphql::Result<Vec<PipelineStage>> {
        let stages = service::list(db(ctx), actor(ctx)?, include_archived).await?;
        Ok(stages.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject)]
pub struct PipelineStageInput {
    pub name: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
    pub kind: Option<StageKind>,
    pub archived: Option<bool>,
}

impl From<PipelineStageInput> for service::StageInput {
    fn from(i: PipelineStageInput) -> Self {
        Self { name: i.name, color: i.color, kind: i.kind.map(Into::into), archived: i.archived }
    }
}

#[derive(Default)]
pub struct PipelineMutation;

#[Object]
impl PipelineMutation {
    /// Adds a stage at the end of the funnel (admins).
    async fn create_pipeline_stage(
        &self,
        ctx: &Context<'_>,
        input: PipelineStageInput,
    ) -> async_graphql::Result<PipelineStage> {
        Ok(service::create(db(ctx), actor(ctx)?, input.into()).await?.into())
    }

    /// Renames, recolours or archives a stage (admins).
    async fn update_pipeline_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PipelineStageInput,
    ) -> async_graphql::Result<PipelineStage> {
        Ok(service::update(db(ctx), actor(ctx)?, parse_id(&id, "id")?, input.into()).await?.into())
    }

    /// Puts the stages in this order (admins); list every stage once.
    async fn reorder_pipeline_stages(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<PipelineStage>> {
        let ids = ids.iter().map(|id| parse_id(id, "ids")).collect::<Result<Vec<_>, _>>()?;
        Ok(service::reorder(db(ctx), actor(ctx)?, ids).await?.into_iter().map(Into::into).collect())
    }
}
