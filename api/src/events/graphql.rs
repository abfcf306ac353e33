use std::sync::Arc;

use async_graphql::{Context, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::contact;
use futures_util::{Stream, stream};
use sea_orm::{ColumnTrait, DatabaseConnection};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{BusEvent, ContactBatch, ContactEventKind, EventBus};
use crate::{
    auth::Actor,
    contacts::graphql::types::Contact,
    error::ApiError,
    graphql::context::{actor, db},
    visibility::{Visible, can_see},
};

/// One change, or one bulk action's change to many contacts (`contactIds`, up to 60 per event), only the
/// contacts the subscriber may see.
#[derive(SimpleObject)]
pub struct ContactEventPayload {
    pub kind: ContactEventKind,
    /// The (first) contact the event is about.
    pub contact_id: ID,
    /// The contact as it is now; null for a deletion.
    pub contact: Option<Contact>,
    /// Every contact the event is about: one for a single change, many for a bulk action.
    pub contact_ids: Vec<ID>,
    /// Those contacts as they are now; empty for a deletion.
    pub contacts: Vec<Contact>,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ContactSubscription;

#[Subscription]
impl ContactSubscription {
    /// Contacts created, updated and deleted in the organization, only those the caller may see. The
    /// caller's access is checked again for every event, so a deactivated user stops receiving them.
    async fn contact_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = ContactEventPayload> + use<>> {
        let actor = actor(ctx)?.clone();
        let db = db(ctx).clone();
        let bus = ctx.data::<Arc<EventBus>>().map_err(|_| ApiError::internal("event bus missing"))?.clone();
        let rx = bus.subscribe();
        Ok(stream::unfold((rx, actor, db), |(mut rx, actor, db)| async move {
            loop {
                let event = match rx.recv().await {
                    Ok(BusEvent::Contact(e)) => ContactBatch {
                        organization_id: e.organization_id,
                        kind: e.kind,
                        contacts: vec![(e.contact_id, e.assignee_id)],
                        at: e.at,
                    },
                    Ok(BusEvent::Contacts(batch)) => batch,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                };
                if event.organization_id != actor.organization_id() {
                    continue;
                }
                let Ok(actor) = actor.refresh(&db).await else { return None };
                if let Some(payload) = deliverable(&db, &actor, event).await {
                    return Some((payload, (rx, actor, db)));
                }
            }
        }))
    }
}

/// The event as this subscriber may see it: deletions of contacts they saw, changes of contacts they see
/// now; nothing when none is left.
async fn deliverable(db: &DatabaseConnection, actor: &Actor, event: ContactBatch) -> Option<ContactEventPayload> {
    let (ids, contacts) = match event.kind {
        ContactEventKind::Deleted => {
            let seen = event.contacts.iter().filter(|(_, assignee)| can_see(actor, *assignee));
            (seen.map(|(id, _)| *id).collect::<Vec<_>>(), Vec::new())
        }
        _ => {
            let ids: Vec<Uuid> = event.contacts.iter().map(|(id, _)| *id).collect();
            let visible = Visible::contacts(actor).filter(contact::Column::Id.is_in(ids.clone()));
            let mut found: std::collections::HashMap<Uuid, contact::Model> =
                visible.into_select().all(db).await.ok()?.into_iter().map(|c| (c.id, c)).collect();
            // In the event's order.
            let found: Vec<_> = ids.iter().filter_map(|id| found.remove(id)).collect();
            (found.iter().map(|c| c.id).collect(), found)
        }
    };
    let first = *ids.first()?;
    Some(ContactEventPayload {
        kind: event.kind,
        contact_id: ID(first.to_string()),
        contact: contacts.first().cloned().map(Contact),
        contact_ids: ids.iter().map(|id| ID(id.to_string())).collect(),
        contacts: contacts.into_iter().map(Contact).collect(),
        at: event.at,
    })
}
