use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{FunnelQuery as Query, funnel};
use crate::{
    contacts::graphql::types::ContactSource,
    graphql::{
        context::{actor, parse_id, reads, zone},
        types::MomentInput,
    },
    pipeline::graphql::PipelineStage,
};

#[derive(SimpleObject)]
pub struct FunnelStage {
    pub stage: PipelineStage,
    /// Contacts in this stage now.
    pub current: i64,
    /// Contacts that entered this stage in the period.
    pub entered: i64,
    /// Of the contacts that entered this stage in the period, the share (0 to 1) that later in the period
    /// reached any stage after it in the pipeline's current order, other than a lost stage; each contact
    /// counts once, whatever stages it skipped or however it moved back. Null for closing stages or when
    /// none entered.
    pub conversion: Option<f64>,
    #[graphql(deprecation = "Use `conversion`: the same share, under the name of what it measures.")]
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
    /// The funnel over the contacts the caller can see, optionally one agent's or one source's. `from` and
    /// `to` may be dates alone: whole days in the organization's time zone.
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        from: MomentInput,
        to: MomentInput,
        assignee_id: Option<ID>,
        source: Option<ContactSource>,
    ) -> async_graphql::Result<Funnel> {
        let assignee_id = assignee_id.map(|id| parse_id(&id, "assigneeId")).transpose()?;
        // A period of dates runs from the first day's start to the last day's end, where the organization is.
        let zone = zone(ctx)?;
        let (from, to) = (from.0.from(&zone), to.0.to(&zone));
        let q = Query { from, to, assignee_id, source: source.map(Into::into) };
        let stages = funnel(reads(ctx).db(), actor(ctx)?, q).await?;
        let stages = stages
            .into_iter()
            .map(|s| FunnelStage {
                stage: s.stage.into(),
                current: s.current,
                entered: s.entered,
                conversion: s.conversion,
                conversion_to_next: s.conversion,
            })
            .collect();
        Ok(Funnel { from, to, stages })
    }
}
