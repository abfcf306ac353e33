//! Reading conversations and messages: always through the contact, so the contact's visibility rules.

use entity::{conversation, message};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::Actor,
    contacts::scope::{can_see_contact, find_visible},
    error::ApiResult,
    pagination::{Fetched, KeyValue, PageArgs},
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

/// Messages of one conversation, newest first; none when its contact is out of the actor's sight.
pub async fn messages(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation: &conversation::Model,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<message::Model>> {
    let page = args.resolve(&format!("messages:{}", conversation.id), actor.organization_id())?;
    let query = message::Entity::find()
        .filter(message::Column::OrganizationId.eq(conversation.organization_id))
        .filter(message::Column::ConversationId.eq(conversation.id))
        .filter(can_see_contact(actor, conversation.contact_id));
    page.fetch(db, query, message::Column::CreatedAt, message::Column::Id, true, want_total, |m| {
        (KeyValue::Time(m.created_at), m.id)
    })
    .await
}
