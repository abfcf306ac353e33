//! The contacts list: scope, then filter and search, then a keyset page in the chosen order.

use entity::contact;
use sea_orm::{ConnectionTrait, PaginatorTrait};

use super::{
    filter::{ContactFilter, apply},
    scope::visible,
};
use crate::{
    auth::Actor,
    error::ApiResult,
    pagination::{KeyValue, PageArgs, PageInfoFlags},
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

pub struct ListQuery {
    pub filter: ContactFilter,
    pub search: Option<String>,
    pub order: OrderField,
    pub descending: bool,
    pub page: PageArgs,
    pub want_total: bool,
}

pub struct ContactPage {
    pub items: Vec<(String, contact::Model)>,
    pub flags: PageInfoFlags,
    pub total: i64,
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor, q: ListQuery) -> ApiResult<ContactPage> {
    let list = format!("contacts:{:?}:{}", q.order, if q.descending { "desc" } else { "asc" });
    let page = q.page.resolve(&list, actor.organization_id())?;
    let query = apply(db, actor, visible(actor), &q.filter, q.search.as_deref()).await?;
    let total = if q.want_total { query.clone().count(db).await? as i64 } else { 0 };
    let rows = page.apply(query, q.order.column(), contact::Column::Id, q.descending).all(db).await?;
    let (rows, flags) = page.finish(rows);
    let items = rows.into_iter().map(|c| (page.cursor(q.order.key(&c), c.id), c)).collect();
    Ok(ContactPage { items, flags, total })
}
