use entity::{conversation, note};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult},
    pagination::{Fetched, KeyValue, PageArgs},
    validate,
    visibility::{can_see_contact, find_visible},
};

pub const MAX_NOTE_CHARS: usize = 10_000;

/// Notes on a contact the actor can see, newest first; none when it cannot.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<note::Model>> {
    let page = args.resolve(&format!("notes:{contact_id}"), actor.organization_id())?;
    let query = note::Entity::find()
        .filter(note::Column::OrganizationId.eq(actor.organization_id()))
        .filter(note::Column::ContactId.eq(contact_id))
        .filter(can_see_contact(actor, contact_id));
    page.fetch(db, query, note::Column::CreatedAt, note::Column::Id, true, want_total, |n| {
        (KeyValue::Time(n.created_at), n.id)
    })
    .await
}

/// Adds a note to a contact the actor can see and write, optionally tied to one of its conversations.
pub async fn add(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contact_id: Uuid,
    conversation_id: Option<Uuid>,
    body: &str,
) -> ApiResult<note::Model> {
    actor.require_writer()?;
    let body = validate::text("body", body, MAX_NOTE_CHARS)?;
    let contact = find_visible(db, actor, contact_id).await?;
    if let Some(cid) = conversation_id {
        let found = conversation::Entity::find_by_id(cid)
            .filter(conversation::Column::OrganizationId.eq(actor.organization_id()))
            .filter(conversation::Column::ContactId.eq(contact.id))
            .one(db)
            .await?;
        if found.is_none() {
            return Err(ApiError::bad_input("conversationId", "Not a conversation of this contact"));
        }
    }
    let at = now();
    Ok(note::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        contact_id: Set(contact.id),
        conversation_id: Set(conversation_id),
        author_id: Set(actor.user_id()),
        body: Set(body),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?)
}

/// Authors edit their own notes; admins any. The note's contact must be visible to the actor.
pub async fn edit(db: &impl ConnectionTrait, actor: &Actor, id: Uuid, body: &str) -> ApiResult<note::Model> {
    let current = editable(db, actor, id).await?;
    let body = validate::text("body", body, MAX_NOTE_CHARS)?;
    let mut model: note::ActiveModel = current.into();
    model.body = Set(body);
    model.updated_at = Set(now());
    Ok(model.update(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let current = editable(db, actor, id).await?;
    note::Entity::delete_by_id(current.id).exec(db).await?;
    Ok(())
}

async fn editable(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<note::Model> {
    actor.require_writer()?;
    let current = note::Entity::find_by_id(id)
        .filter(note::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Note"))?;
    // A note on a contact out of sight does not exist for this actor.
    find_visible(db, actor, current.contact_id).await.map_err(|_| ApiError::not_found("Note"))?;
    if !actor.is_admin() && current.author_id != actor.user_id() {
        return Err(ApiError::Forbidden("Only the author or an admin can change this note".into()));
    }
    Ok(current)
}
