//! The contacts list: scope, then filter and search, then a keyset page in the chosen order.

use entity::contact;
use sea_orm::ConnectionTrait;

use super::filter::{ContactFilter, apply, is_long_phone_fragment};
use crate::{
    auth::Actor,
    error::ApiResult,
    pagination::{Fetched, KeyValue, PageArgs},
    visibility::Visible,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderField {
    Name,
    CreatedAt,
    LastActivityAt,
    UserInitiated,
    BusinessInitiated,
    CancelledOutbounds,
    ReceivedNotifications,
}

impl OrderField {
    fn column(self) -> contact::Column {
        match self {
            Self::Name => contact::Column::SortName,
            Self::CreatedAt => contact::Column::CreatedAt,
            Self::LastActivityAt => contact::Column::LastActivityAt,
            Self::UserInitiated => contact::Column::UserInitiatedConversations,
            Self::BusinessInitiated => contact::Column::BusinessInitiatedConversations,
            Self::CancelledOutbounds => contact::Column::CancelledOutbounds,
            Self::ReceivedNotifications => contact::Column::ReceivedNotifications,
        }
    }

    fn key(self, c: &contact::Model) -> KeyValue {
        match self {
            Self::Name => KeyValue::Text(c.sort_name.clone()),
            Self::CreatedAt => KeyValue::Time(c.created_at),
            Self::LastActivityAt => KeyValue::Time(c.last_activity_at),
            Self::UserInitiated => KeyValue::Int(c.user_initiated_conversations.into()),
            Self::BusinessInitiated => KeyValue::Int(c.business_initiated_conversations.into()),
            Self::CancelledOutbounds => KeyValue::Int(c.cancelled_outbounds.into()),
            Self::ReceivedNotifications => KeyValue::Int(c.received_notifications.into()),
        }
    }
}

impl ListQuery {
    /// No filter and no search: for an actor who sees the whole organization, the best plan is the same
    /// for every organization and position (walk the order's index).
    pub fn is_plain(&self) -> bool {
        self.search.is_none() && self.filter == ContactFilter::default()
    }
}

pub struct ListQuery {
    pub filter: ContactFilter,
    pub search: Option<String>,
    pub order: OrderField,
    pub descending: bool,
    pub page: PageArgs,
    pub want_total: bool,
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor, q: ListQuery) -> ApiResult<Fetched<contact::Model>> {
    let list = format!("contacts:{:?}:{}", q.order, if q.descending { "desc" } else { "asc" });
    let page = q
        .page
        .resolve(&list, actor.organization_id())?
        .matching_few(is_long_phone_fragment(q.search.as_deref(), &actor.organization().default_country));
    let query = apply(db, Visible::contacts(actor), &q.filter, q.search.as_deref()).await?;
    page.fetch(db, query.into_select(), q.order.column(), contact::Column::Id, q.descending, q.want_total, |c| {
        (q.order.key(c), c.id)
    })
    .await
}
