use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{FunnelQuery as Query, funnel};
use crate::{
    contacts::graphql::types::ContactSource,
    graphql::context::{actor, db, parse_id},
    pipeline::graphql::PipelineStage,
};

#[derive(SimpleObject)]
pub struct FunnelStage {
    pub stage: PipelineStage,
    /// Contacts in this stage now.
    pub current: i64,
    /// Contacts that entered this stage in the period.
    pub entered: i64,
    /// Of those, the share that entered the next stage in the period (open stages lead to the next open
    /// stage, the last one to the won stage); null for closing stages or when none entered.
    pub conversion_to_next: Option<f64>,
}

#[derive(SimpleObject)]
pub struct Funnel {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub stages: Vec<FunnelStage>,
}

#[derive(Default)]
pub struct FunnelQuery;

#[Object]
impl FunnelQuery {
    /// The funnel over the contacts the caller can see, optionally one agent's or one source's.
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        assignee_id: Option<ID>,
        source: Option<ContactSource>,
    ) -> async_graphql::Result<Funnel> {
        let assignee_id = assignee_id.map(|id| parse_id(&id, "assigneeId")).transpose()?;
        let q = Query { from, to, assignee_id, source: source.map(Into::into) };
        let stages = funnel(db(ctx), actor(ctx)?, q).await?;
        let stages = stages
            .into_iter()
            .map(|s| FunnelStage {
                stage: s.stage.into(),
                current: s.current,
                entered: s.entered,
                conversion_to_next: s.conversion_to_next,
            })
            .collect();
        Ok(Funnel { from, to, stages })
    }
}
