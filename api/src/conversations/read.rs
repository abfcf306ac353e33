//! Reading conversations and messages: always through the contact, so the contact's visibility rules.

use entity::{conversation, message};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::Actor,
    contacts::scope::find_visible,
    error::ApiResult,
    pagination::{KeyValue, PageArgs, PageInfoFlags},
};

/// The conversations of a contact the actor can see, most recent first.
pub async fn conversations(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
) -> ApiResult<Vec<conversation::Model>> {
    let contact = find_visible(db, actor, contact_id).await?;
    Ok(conversation::Entity::find()
        .filter(conversation::Column::OrganizationId.eq(contact.organization_id))
        .filter(conversation::Column::ContactId.eq(contact.id))
        .order_by_desc(conversation::Column::LastMessageAt)
        .order_by_desc(conversation::Column::Id)
        .all(db)
        .await?)
}

pub struct MessagePage {
    pub items: Vec<(String, message::Model)>,
    pub flags: PageInfoFlags,
    pub total: i64,
}

/// Messages of one conversation, newest first, once its contact is checked visible.
pub async fn messages(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation: &conversation::Model,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<MessagePage> {
    find_visible(db, actor, conversation.contact_id).await?;
    let page = args.resolve(&format!("messages:{}", conversation.id), actor.organization_id())?;
    let query = message::Entity::find()
        .filter(message::Column::OrganizationId.eq(conversation.organization_id))
        .filter(message::Column::ConversationId.eq(conversation.id));
    let total = if want_total { query.clone().count(db).await? as i64 } else { 0 };
    let rows = page.apply(query, message::Column::CreatedAt, message::Column::Id, true).all(db).await?;
    let (rows, flags) = page.finish(rows);
    let items = rows.into_iter().map(|m| (page.cursor(KeyValue::Time(m.created_at), m.id), m)).collect();
    Ok(MessagePage { items, flags, total })
}
