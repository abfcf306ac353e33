//! What a previewed merge would leave on the surviving contact, read inside the merge's own transaction
//! before it is rolled back: the contact's fields alone would show none of what the duplicates bring.

use entity::{contact_property_value as value, contact_tag, conversation, message, note, property_definition, tag};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::ApiResult;

pub struct Preview {
    pub tags: Vec<tag::Model>,
    pub notes: i64,
    pub conversations: i64,
    pub messages: i64,
    /// (property key, value), in definition order.
    pub properties: Vec<(String, serde_json::Value)>,
}

pub async fn read(txn: &impl ConnectionTrait, org: Uuid, contact_id: Uuid) -> ApiResult<Preview> {
    let tag_ids: Vec<Uuid> = contact_tag::Entity::find()
        .filter(contact_tag::Column::OrganizationId.eq(org))
        .filter(contact_tag::Column::ContactId.eq(contact_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.tag_id)
        .collect();
    let tags = tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(org))
        .filter(tag::Column::Id.is_in(tag_ids))
        .order_by_asc(tag::Column::Name)
        .all(txn)
        .await?;
    let notes = note::Entity::find()
        .filter(note::Column::OrganizationId.eq(org))
        .filter(note::Column::ContactId.eq(contact_id));
    let conversations = conversation::Entity::find()
        .filter(conversation::Column::OrganizationId.eq(org))
        .filter(conversation::Column::ContactId.eq(contact_id));
    let messages = message::Entity::find()
        .filter(message::Column::OrganizationId.eq(org))
        .filter(message::Column::ContactId.eq(contact_id));
    let definitions = property_definition::Entity::find()
        .filter(property_definition::Column::OrganizationId.eq(org))
        .order_by_asc(property_definition::Column::Position)
        .all(txn)
        .await?;
    let values = value::Entity::find()
        .filter(value::Column::OrganizationId.eq(org))
        .filter(value::Column::ContactId.eq(contact_id))
        .all(txn)
        .await?;
    let properties = definitions
        .iter()
        .filter_map(|d| values.iter().find(|v| v.definition_id == d.id).map(|v| (d.key.clone(), v.value.clone())))
        .collect();
    Ok(Preview {
        tags,
        notes: notes.count(txn).await? as i64,
        conversations: conversations.count(txn).await? as i64,
        messages: messages.count(txn).await? as i64,
        properties,
    })
}
