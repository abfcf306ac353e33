use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::{AuditQuery, list};
use crate::{
    connection,
    graphql::context::{actor, db, loaders, parse_id},
    pagination::{PageArgs, wants_total},
    users::graphql::User,
};

/// One change: `kind` says what (`contact.created`, `contact.stage_changed`, ...).
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> &str {
        &self.0.kind
    }

    async fn contact_id(&self) -> Option<ID> {
        self.0.contact_id.map(|id| ID(id.to_string()))
    }

    /// USER, or SYSTEM for webhooks, imports and other automatic changes.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }

    /// The user who made the change, when a user did.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.actor_user_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(AuditEventConnection, AuditEventEdge, AuditEvent);

/// Narrows the audit trail; dates are inclusive.
#[derive(async_graphql::InputObject, Default)]
pub struct AuditFilter {
    pub actor_id: Option<ID>,
    pub kinds: Option<Vec<String>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQueryRoot;

#[Object]
impl AuditQueryRoot {
    /// Changes newest first: of one contact, or (admins) of the whole organization; filterable by
    /// actor, kind and period.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        contact_id: Option<ID>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<AuditEventConnection> {
        let contact_id = contact_id.map(|id| parse_id(&id, "contactId")).transpose()?;
        let f = filter.unwrap_or_default();
        let q = AuditQuery {
            contact_id,
            actor_id: f.actor_id.map(|id| parse_id(&id, "filter.actorId")).transpose()?,
            kinds: f.kinds,
            from: f.from,
            to: f.to,
            page: PageArgs { first, after, last, before },
            want_total: wants_total(ctx),
        };
        let page = list(db(ctx), actor(ctx)?, q).await?;
        let items = page.items.into_iter().map(|(c, e)| (c, AuditEvent(e))).collect();
        Ok(AuditEventConnection::new(items, page.flags, page.total))
    }
}
