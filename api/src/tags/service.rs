//! Tags: creating, renaming and deleting them (admins), and adding or removing them on a contact.

use entity::{contact, contact_tag, tag};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    visibility::find_visible,
};

pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_TAGS_PER_CALL: usize = 50;

/// A tag name trimmed with inner spaces collapsed, and its case-free key.
pub fn normalize(raw: &str) -> ApiResult<(String, String)> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_TAG_CHARS {
        return Err(ApiError::bad_input("tags", format!("A tag is 1 to {MAX_TAG_CHARS} characters")));
    }
    let key = name.to_lowercase();
    Ok((name, key))
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<tag::Model>> {
    Ok(tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(actor.organization_id()))
        .order_by_asc(tag::Column::NameKey)
        .all(db)
        .await?)
}

/// The tags with these names, creating the missing ones; safe when two requests create one at once.
pub async fn ensure(db: &impl ConnectionTrait, organization_id: Uuid, names: &[String]) -> ApiResult<Vec<tag::Model>> {
    if names.len() > MAX_TAGS_PER_CALL {
        return Err(ApiError::bad_input("tags", format!("At most {MAX_TAGS_PER_CALL} tags at once")));
    }
    let mut wanted: Vec<(String, String)> = Vec::new();
    for raw in names {
        let (name, key) = normalize(raw)?;
        if !wanted.iter().any(|(_, k)| *k == key) {
            wanted.push((name, key));
        }
    }
    if wanted.is_empty() {
        return Ok(vec![]);
    }
    let at = now();
    let rows = wanted.iter().map(|(name, key)| tag::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(organization_id),
        name: Set(name.clone()),
        name_key: Set(key.clone()),
        color: Set(None),
        created_at: Set(at),
    });
    tag::Entity::insert_many(rows)
        .on_conflict(OnConflict::columns([tag::Column::OrganizationId, tag::Column::NameKey]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let keys: Vec<String> = wanted.into_iter().map(|(_, k)| k).collect();
    Ok(tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(organization_id))
        .filter(tag::Column::NameKey.is_in(keys))
        .all(db)
        .await?)
}

/// Links tags to a contact (already checked visible); returns the names newly added.
pub async fn link(db: &impl ConnectionTrait, contact: &contact::Model, tags: &[tag::Model]) -> ApiResult<Vec<String>> {
    let existing = linked_ids(db, contact).await?;
    let new: Vec<&tag::Model> = tags.iter().filter(|t| !existing.contains(&t.id)).collect();
    if new.is_empty() {
        return Ok(vec![]);
    }
    let at = now();
    let rows = new.iter().map(|t| contact_tag::ActiveModel {
        organization_id: Set(contact.organization_id),
        contact_id: Set(contact.id),
        tag_id: Set(t.id),
        created_at: Set(at),
    });
    contact_tag::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                contact_tag::Column::OrganizationId,
                contact_tag::Column::ContactId,
                contact_tag::Column::TagId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(new.iter().map(|t| t.name.clone()).collect())
}

/// Unlinks tags from a contact; returns the names removed.
pub async fn unlink(
    db: &impl ConnectionTrait,
    contact: &contact::Model,
    tags: &[tag::Model],
) -> ApiResult<Vec<String>> {
    let existing = linked_ids(db, contact).await?;
    let gone: Vec<&tag::Model> = tags.iter().filter(|t| existing.contains(&t.id)).collect();
    if gone.is_empty() {
        return Ok(vec![]);
    }
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_tag::Column::ContactId.eq(contact.id))
        .filter(contact_tag::Column::TagId.is_in(gone.iter().map(|t| t.id)))
        .exec(db)
        .await?;
    Ok(gone.iter().map(|t| t.name.clone()).collect())
}

async fn linked_ids(db: &impl ConnectionTrait, contact: &contact::Model) -> ApiResult<Vec<Uuid>> {
    Ok(contact_tag::Entity::find()
        .filter(contact_tag::Column::OrganizationId.eq(contact.organization_id))
        .filter(contact_tag::Column::ContactId.eq(contact.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect())
}

/// `addTags(contactId, names)`: creates tags on first use; writers on contacts they can see.
pub async fn add_to_contact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    contact_id: Uuid,
    names: &[String],
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    let tags = ensure(&txn, actor.organization_id(), names).await?;
    let added = link(&txn, &contact, &tags).await?;
    if !added.is_empty() {
        audit::record(&txn, actor, Some(contact.id), "contact.tags_added", None, Some(serde_json::json!(added)))
            .await?;
    }
    txn.commit().await?;
    Ok(contact)
}

/// `removeTags(contactId, names)`: unknown names are ignored.
pub async fn remove_from_contact<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    contact_id: Uuid,
    names: &[String],
) -> ApiResult<contact::Model> {
    actor.require_writer()?;
    let txn = begin_write(db).await?;
    let contact = find_visible(&txn, actor, contact_id).await?;
    let keys = names.iter().map(|n| normalize(n).map(|(_, k)| k)).collect::<ApiResult<Vec<_>>>()?;
    let tags = tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(actor.organization_id()))
        .filter(tag::Column::NameKey.is_in(keys))
        .all(&txn)
        .await?;
    let removed = unlink(&txn, &contact, &tags).await?;
    if !removed.is_empty() {
        audit::record(&txn, actor, Some(contact.id), "contact.tags_removed", Some(serde_json::json!(removed)), None)
            .await?;
    }
    txn.commit().await?;
    Ok(contact)
}

pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
    color: Option<String>,
) -> ApiResult<tag::Model> {
    actor.require_admin()?;
    let (name, key) = normalize(name).map_err(|_| ApiError::bad_input("name", "A tag is 1 to 50 characters"))?;
    let color = color.map(|c| validate_color(&c)).transpose()?;
    tag::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        name: Set(name),
        name_key: Set(key),
        color: Set(color),
        created_at: Set(now()),
    }
    .insert(db)
    .await
    .map_err(|e| conflict_on_unique(e, "name", "A tag with this name already exists"))
}

/// Renames or recolours a tag (admins); every contact keeps it.
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    name: Option<String>,
    color: Option<String>,
) -> ApiResult<tag::Model> {
    actor.require_admin()?;
    let current = find(db, actor, id).await?;
    let mut model: tag::ActiveModel = current.into();
    if let Some(name) = name {
        let (name, key) = normalize(&name).map_err(|_| ApiError::bad_input("name", "A tag is 1 to 50 characters"))?;
        model.name = Set(name);
        model.name_key = Set(key);
    }
    if let Some(color) = color {
        model.color = Set(Some(validate_color(&color)?));
    }
    model.update(db).await.map_err(|e| conflict_on_unique(e, "name", "A tag with this name already exists"))
}

/// Deletes a tag and removes it from every contact (admins).
pub async fn delete<C: ConnectionTrait + TransactionTrait>(db: &C, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let tag = find(&txn, actor, id).await?;
    let tagged: Vec<Uuid> = contact_tag::Entity::find()
        .select_only()
        .column(contact_tag::Column::ContactId)
        .filter(contact_tag::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_tag::Column::TagId.eq(tag.id))
        .into_tuple()
        .all(&txn)
        .await?;
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::OrganizationId.eq(actor.organization_id()))
        .filter(contact_tag::Column::TagId.eq(tag.id))
        .exec(&txn)
        .await?;
    tag::Entity::delete_by_id(tag.id).exec(&txn).await?;
    // Segments on the tag let its contacts go (a deleted tag matches nothing).
    crate::segments::members::refresh(&txn, actor.organization_id(), &tagged).await?;
    txn.commit().await?;
    Ok(())
}

async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<tag::Model> {
    tag::Entity::find_by_id(id)
        .filter(tag::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Tag"))
}

/// `#rrggbb`.
pub fn validate_color(raw: &str) -> ApiResult<String> {
    let c = raw.trim().to_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok { Ok(c) } else { Err(ApiError::bad_input("color", "Use a colour like #22c55e")) }
}
