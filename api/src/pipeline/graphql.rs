use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::{enums, pipeline_stage};

use super::service;
use crate::graphql::context::{actor, db};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::StageKind")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

/// A step of the sales funnel.
#[derive(SimpleObject, Clone)]
pub struct PipelineStage {
    pub id: ID,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub kind: StageKind,
    pub position: i32,
    pub archived: bool,
}

impl From<pipeline_stage::Model> for PipelineStage {
    fn from(m: pipeline_stage::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            color: m.color,
            kind: m.kind.into(),
            position: m.position,
            archived: m.archived,
        }
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
