use std::sync::Arc;

use async_graphql::{Context, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use super::{BusEvent, ContactEvent, ContactEventKind, EventBus};
use crate::{
    auth::Actor,
    contacts::graphql::types::Contact,
    error::ApiError,
    graphql::context::{actor, db},
    visibility::{can_see, find_visible},
};

#[derive(SimpleObject)]
pub struct ContactEventPayload {
    pub kind: ContactEventKind,
    pub contact_id: ID,
    /// The contact as it is now; null for a deletion.
    pub contact: Option<Contact>,
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
                    Ok(BusEvent::Contact(e)) => e,
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

async fn deliverable(db: &DatabaseConnection, actor: &Actor, event: ContactEvent) -> Option<ContactEventPayload> {
    let contact = match event.kind {
        ContactEventKind::Deleted => {
            if !can_see(actor, event.assignee_id) {
                return None;
            }
            None
        }
        _ => Some(Contact(find_visible(db, actor, event.contact_id).await.ok()?)),
    };
    Some(ContactEventPayload { kind: event.kind, contact_id: ID(event.contact_id.to_string()), contact, at: event.at })
}
