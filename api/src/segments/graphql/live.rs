//! Membership events as a subscription: contacts entering and leaving the segments a caller may see,
//! only the contacts the caller may see, in the order the writes made them.

use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
};

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::{contact, segment};
use futures_util::{Stream, stream};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::super::service;
use crate::{
    auth::Actor,
    contacts::graphql::types::Contact,
    error::ApiError,
    events::{BusEvent, EventBus, MembershipBatch},
    graphql::context::{actor, db, parse_id},
    visibility::Visible,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MembershipChange {
    Entered,
    Left,
}

#[derive(SimpleObject)]
pub struct SegmentMembershipEvent {
    pub segment_id: ID,
    pub contact_id: ID,
    pub change: MembershipChange,
    /// The contact as it is now (always set; nullable for clients that may drop it later).
    pub contact: Option<Contact>,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct SegmentSubscription;

#[Subscription]
impl SegmentSubscription {
    /// Contacts entering and leaving segments: the one named, or every segment the caller may see. Only
    /// contacts the caller may see after the change; access is checked again for every event.
    /// Segments whose filter depends on the clock alone (the 24-hour window) raise none.
    async fn segment_membership_events(
        &self,
        ctx: &Context<'_>,
        segment_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = SegmentMembershipEvent> + use<>> {
        let actor = actor(ctx)?.clone();
        let db = db(ctx).clone();
        let only = match segment_id {
            Some(id) => Some(service::find(&db, &actor, parse_id(&id, "segmentId")?, "segmentId").await?.id),
            None => None,
        };
        let bus = ctx.data::<Arc<EventBus>>().map_err(|_| ApiError::internal("event bus missing"))?.clone();
        let follower = Follower { rx: bus.subscribe(), actor, db, only, ready: VecDeque::new() };
        Ok(stream::unfold(follower, |mut f| async move {
            loop {
                if let Some(event) = f.ready.pop_front() {
                    return Some((event, f));
                }
                let batch = match f.rx.recv().await {
                    Ok(BusEvent::Memberships(batch)) => batch,
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                };
                if batch.organization_id != f.actor.organization_id() {
                    continue;
                }
                let Ok(actor) = f.actor.refresh(&f.db).await else { return None };
                f.actor = actor;
                f.ready = deliverable(&f.db, &f.actor, f.only, batch).await.unwrap_or_default();
            }
        }))
    }
}

struct Follower {
    rx: tokio::sync::broadcast::Receiver<BusEvent>,
    actor: Actor,
    db: DatabaseConnection,
    only: Option<Uuid>,
    ready: VecDeque<SegmentMembershipEvent>,
}

/// The batch's changes this subscriber may hear of: segments they may see (read again, so a segment made
/// private or deleted stops at once) and contacts they may see after the change.
async fn deliverable(
    db: &DatabaseConnection,
    actor: &Actor,
    only: Option<Uuid>,
    batch: MembershipBatch,
) -> Result<VecDeque<SegmentMembershipEvent>, ApiError> {
    let wanted: Vec<Uuid> =
        batch.changes.iter().map(|c| c.segment_id).filter(|s| only.is_none_or(|o| o == *s)).collect();
    if wanted.is_empty() {
        return Ok(VecDeque::new());
    }
    let seen_segments: HashSet<Uuid> = segment::Entity::find()
        .select_only()
        .column(segment::Column::Id)
        .filter(segment::Column::OrganizationId.eq(actor.organization_id()))
        .filter(segment::Column::Id.is_in(wanted))
        .filter(service::visible_to(actor))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = batch.changes.iter().map(|c| c.contact_id).collect();
    let contacts: Vec<contact::Model> =
        Visible::contacts(actor).filter(contact::Column::Id.is_in(ids)).into_select().all(db).await?;
    Ok(batch
        .changes
        .into_iter()
        .filter(|c| seen_segments.contains(&c.segment_id))
        .filter_map(|c| {
            // Only contacts the caller sees now: one handed to someone else since is out of their sight.
            let now = contacts.iter().find(|m| m.id == c.contact_id).cloned()?;
            Some(SegmentMembershipEvent {
                segment_id: ID(c.segment_id.to_string()),
                contact_id: ID(c.contact_id.to_string()),
                change: if c.entered { MembershipChange::Entered } else { MembershipChange::Left },
                contact: Some(Contact(now)),
                at: batch.at,
            })
        })
        .collect())
}
