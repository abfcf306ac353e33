//! Tallies: how many members a kept segment has per assignee and stage, moved by the same writes that move
//! the members. A write adds its differences with one upsert whose rows come in key order, so two writes
//! that touch the same tallies take their row locks in the same order; only writes that move someone in
//! or out (or between assignees or stages) touch a tally at all.

use std::collections::BTreeMap;

use entity::{segment_member, segment_tally};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query},
};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// (segment, assignee or nil, stage) → members added (negative: removed).
pub type Deltas = BTreeMap<(Uuid, Uuid, Uuid), i64>;

pub fn add(deltas: &mut Deltas, segment: Uuid, assignee: Option<Uuid>, stage: Uuid, by: i64) {
    *deltas.entry((segment, assignee.unwrap_or_else(Uuid::nil), stage)).or_default() += by;
}

pub async fn apply(db: &impl ConnectionTrait, org: Uuid, deltas: Deltas) -> ApiResult<()> {
    let rows: Vec<segment_tally::ActiveModel> = deltas
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((segment, assignee, stage), n)| segment_tally::ActiveModel {
            segment_id: Set(segment),
            organization_id: Set(org),
            assignee_key: Set(assignee),
            stage_id: Set(stage),
            members: Set(n),
        })
        .collect();
    let members = || Expr::col((segment_tally::Entity, segment_tally::Column::Members));
    let excluded = Expr::col((Alias::new("excluded"), segment_tally::Column::Members));
    let on_key = OnConflict::columns([
        segment_tally::Column::SegmentId,
        segment_tally::Column::OrganizationId,
        segment_tally::Column::AssigneeKey,
        segment_tally::Column::StageId,
    ])
    .value(segment_tally::Column::Members, members().add(excluded))
    .to_owned();
    for chunk in rows.chunks(1000) {
        segment_tally::Entity::insert_many(chunk.to_vec())
            .on_conflict(on_key.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Counts a segment's tallies again from its members (after they were built).
pub async fn rebuild(db: &impl ConnectionTrait, org: Uuid, segment: Uuid) -> ApiResult<()> {
    forget_segment(db, org, segment).await?;
    let counted = segment_member::Entity::find()
        .select_only()
        .column(segment_member::Column::SegmentId)
        .column(segment_member::Column::OrganizationId)
        .column_as(
            Expr::from(Func::coalesce([Expr::col(segment_member::Column::AssigneeId), Expr::val(Uuid::nil())])),
            "assignee_key",
        )
        .column(segment_member::Column::StageId)
        .column_as(Expr::from(Func::count(Expr::col(segment_member::Column::ContactId))), "members")
        .filter(segment_member::Column::OrganizationId.eq(org))
        .filter(segment_member::Column::SegmentId.eq(segment))
        .group_by(segment_member::Column::SegmentId)
        .group_by(segment_member::Column::OrganizationId)
        .group_by(segment_member::Column::AssigneeId)
        .group_by(segment_member::Column::StageId)
        .into_query();
    let insert = Query::insert()
        .into_table(segment_tally::Entity)
        .columns([
            segment_tally::Column::SegmentId,
            segment_tally::Column::OrganizationId,
            segment_tally::Column::AssigneeKey,
            segment_tally::Column::StageId,
            segment_tally::Column::Members,
        ])
        .select_from(counted)
        .map_err(ApiError::internal)?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

pub async fn forget_segment(db: &impl ConnectionTrait, org: Uuid, segment: Uuid) -> ApiResult<()> {
    segment_tally::Entity::delete_many()
        .filter(segment_tally::Column::OrganizationId.eq(org))
        .filter(segment_tally::Column::SegmentId.eq(segment))
        .exec(db)
        .await?;
    Ok(())
}
