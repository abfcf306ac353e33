//! The tags of a page of contacts, read at once: loaders, partner events and data exports use it, below
//! the rules of `service` (which records audit events and partner events itself).

use std::collections::HashMap;

use entity::{contact_tag, tag};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, sea_query::SimpleExpr};
use uuid::Uuid;

use crate::visibility::{SeenIds, Visible};

/// The tags of each of these contacts that `scope` reaches, by name key; every id has an entry.
pub async fn of_contacts(
    db: &impl ConnectionTrait,
    scope: &Visible,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tag::Model>>, sea_orm::DbErr> {
    read(db, scope.organization_id(), scope.owns(contact_tag::Column::ContactId, ids), ids).await
}

/// The tags of contacts already checked in memory (`Visible::seen`).
pub async fn of_seen(
    db: &impl ConnectionTrait,
    seen: &SeenIds,
) -> Result<HashMap<Uuid, Vec<tag::Model>>, sea_orm::DbErr> {
    read(db, seen.organization_id(), contact_tag::Column::ContactId.is_in(seen.ids().to_vec()), seen.ids()).await
}

async fn read(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    contacts: SimpleExpr,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tag::Model>>, sea_orm::DbErr> {
    let of_link =
        contact_tag::Entity::belongs_to(tag::Entity).from(contact_tag::Column::TagId).to(tag::Column::Id).into();
    let rows = contact_tag::Entity::find()
        .filter(contact_tag::Column::OrganizationId.eq(organization_id))
        .filter(contacts)
        .join(JoinType::InnerJoin, of_link)
        .filter(tag::Column::OrganizationId.eq(organization_id))
        .select_also(tag::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, Vec<tag::Model>> = ids.iter().map(|k| (*k, Vec::new())).collect();
    for (link, tag) in rows {
        if let (Some(list), Some(tag)) = (out.get_mut(&link.contact_id), tag) {
            list.push(tag);
        }
    }
    // Byte order, the same on both databases whatever PostgreSQL's collation.
    for list in out.values_mut() {
        list.sort_by(|a, b| a.name_key.cmp(&b.name_key));
    }
    Ok(out)
}
