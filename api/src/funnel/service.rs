//! The funnel's figures, read over the contacts the caller can see (the definitions are in `funnel`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    audit_event, contact,
    enums::{ContactSource, StageKind},
    pipeline_stage, user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    pipeline,
    visibility::Visible,
};

pub struct FunnelQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub assignee_id: Option<Uuid>,
    pub source: Option<ContactSource>,
}

pub struct StageFigures {
    pub stage: pipeline_stage::Model,
    pub current: i64,
    pub entered: i64,
    /// Of the contacts that entered this stage in the period, the share that later in the period reached a
    /// stage after it (not a lost one): between 0 and 1; `None` for closing stages or when none entered.
    pub conversion: Option<f64>,
}

const STAGE_CHANGED: &str = "contact.stage_changed";

fn stage_in(value: &Option<Value>) -> Option<Uuid> {
    value.as_ref()?.get("id")?.as_str()?.parse().ok()
}

pub async fn funnel(db: &impl ConnectionTrait, actor: &Actor, q: FunnelQuery) -> ApiResult<Vec<StageFigures>> {
    if q.from > q.to {
        return Err(ApiError::bad_input("from", "`from` is after `to`"));
    }
    let org = actor.organization_id();
    let mut base = Visible::contacts(actor);
    if let Some(agent) = q.assignee_id {
        let known = user::Entity::find_by_id(agent).filter(user::Column::OrganizationId.eq(org)).one(db).await?;
        if known.is_none() {
            return Err(ApiError::bad_input("assigneeId", "No such agent in this organization"));
        }
        base = base.filter(contact::Column::AssigneeId.eq(agent));
    }
    if let Some(source) = q.source {
        base = base.filter(contact::Column::Source.eq(source));
    }
    let stages = pipeline::service::list(db, actor, false).await?;

    let current: HashMap<Uuid, i64> = base
        .clone()
        .into_select()
        .select_only()
        .column(contact::Column::StageId)
        .column_as(Expr::from(Func::count(Expr::col(contact::Column::Id))), "n")
        .group_by(contact::Column::StageId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let changes = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(org))
        .filter(audit_event::Column::Kind.eq(STAGE_CHANGED))
        .filter(audit_event::Column::CreatedAt.between(q.from, q.to))
        .filter(audit_event::Column::ContactId.in_subquery(base.clone().ids()))
        .all(db)
        .await?;
    // Every entry into a stage in the period.
    let mut entries: Vec<Entry> =
        changes.iter().filter_map(|c| Some((c.contact_id?, stage_in(&c.after)?, c.created_at, How::Moved))).collect();

    let created = base.clone().filter(contact::Column::CreatedAt.between(q.from, q.to));
    let born: Vec<(Uuid, Uuid, DateTime<Utc>)> = created
        .clone()
        .into_select()
        .select_only()
        .column(contact::Column::Id)
        .column(contact::Column::StageId)
        .column(contact::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    let first_changes = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(org))
        .filter(audit_event::Column::Kind.eq(STAGE_CHANGED))
        .filter(audit_event::Column::ContactId.in_subquery(created.ids()))
        .order_by_asc(audit_event::Column::CreatedAt)
        .all(db)
        .await?;
    let mut initial: HashMap<Uuid, Uuid> = HashMap::new();
    for change in first_changes {
        if let (Some(contact), Some(stage)) = (change.contact_id, stage_in(&change.before)) {
            initial.entry(contact).or_insert(stage);
        }
    }
    for (contact, stage_now, at) in born {
        entries.push((contact, initial.get(&contact).copied().unwrap_or(stage_now), at, How::Born));
    }
    Ok(figures(&stages, &current, entries))
}

/// (contact, stage, when, how): an entry into a stage, by creation or by a move.
type Entry = (Uuid, Uuid, DateTime<Utc>, How);

/// How a contact entered a stage; a creation sorts before a move made in the same instant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum How {
    Born,
    Moved,
}

/// Per stage: how many entered it, and the share of them that later reached a later stage that is not
/// lost. Counted per contact, so reordered stages, skipped stages and moves backwards keep it a share.
fn figures(
    stages: &[pipeline_stage::Model],
    current: &HashMap<Uuid, i64>,
    mut entries: Vec<Entry>,
) -> Vec<StageFigures> {
    let position: HashMap<Uuid, usize> = stages.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    // Each contact's entries in time order, a creation before a move made in the same instant.
    entries.sort_by_key(|(contact, _, at, how)| (*contact, *at, *how));
    let mut entered: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    let mut converted: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for (i, (contact, stage, ..)) in entries.iter().enumerate() {
        let Some(&here) = position.get(stage) else { continue };
        entered.entry(*stage).or_default().insert(*contact);
        let onward = entries[i + 1..]
            .iter()
            .take_while(|(c, ..)| c == contact)
            .any(|(_, later, ..)| position.get(later).is_some_and(|&p| p > here && stages[p].kind != StageKind::Lost));
        if onward {
            converted.entry(*stage).or_default().insert(*contact);
        }
    }
    let count = |map: &HashMap<Uuid, HashSet<Uuid>>, id: Uuid| map.get(&id).map_or(0, |s| s.len() as i64);
    stages
        .iter()
        .map(|stage| {
            let here = count(&entered, stage.id);
            let open = stage.kind == StageKind::Open;
            StageFigures {
                stage: stage.clone(),
                current: current.get(&stage.id).copied().unwrap_or(0),
                entered: here,
                conversion: (open && here > 0).then(|| count(&converted, stage.id) as f64 / here as f64),
            }
        })
        .collect()
}
