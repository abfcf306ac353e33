//! Reading messages: always through the contact, in the same statement, so the contact's visibility rules.

use entity::{conversation, message};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    auth::Actor,
    error::ApiResult,
    pagination::{Fetched, KeyValue, PageArgs},
    visibility::can_see_contact,
};

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
