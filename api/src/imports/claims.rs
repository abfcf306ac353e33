//! Which identities an import's rows claim: every identity of a row under one new contact id, in one
//! statement per batch, so the unique index says which rows name a contact that already exists.

use std::collections::{HashMap, HashSet};

use entity::{contact_identifier, enums::IdentifierKind};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult};
use uuid::Uuid;

use super::rows::Candidate;
use crate::{
    db::{new_id, now},
    error::ApiResult,
};

/// An identity a row claims: a contact already holding it makes the row a duplicate.
pub type Key = (IdentifierKind, String);

/// Identities of these rows the organization already has (a dry run only looks).
pub async fn known_identities(
    txn: &impl ConnectionTrait,
    org: Uuid,
    valid: &[(i64, Candidate)],
) -> ApiResult<HashSet<Key>> {
    let keys: HashSet<Key> = valid.iter().flat_map(|(_, c)| c.identities()).collect();
    let values: Vec<&str> = keys.iter().map(|(_, v)| v.as_str()).collect();
    Ok(contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(org))
        .filter(contact_identifier::Column::Value.is_in(values))
        .all(txn)
        .await?
        .into_iter()
        .map(|i| (i.kind, i.value))
        .filter(|k| keys.contains(k))
        .collect())
}

/// Claims every identity of every row new to the import with `ON CONFLICT DO NOTHING RETURNING`, a row's
/// identities under one new contact id: the unique index answers which already exist (whatever the
/// table statistics say while a big import grows it), and a webhook creating the same person meanwhile
/// cannot slip in between. Returns the identities taken before, the contact id each row claimed under,
/// and the contact id of each identity claimed.
pub async fn claim_identities(
    txn: &impl ConnectionTrait,
    org: Uuid,
    valid: &[(i64, Candidate)],
    seen: &HashSet<Key>,
) -> ApiResult<(HashSet<Key>, HashMap<i64, Uuid>, HashMap<Key, Uuid>)> {
    let mut fresh: Vec<(Key, Uuid)> = Vec::new();
    let mut submitted = HashMap::new();
    let mut batch: HashSet<Key> = HashSet::new();
    for (number, c) in valid {
        let keys = c.identities();
        // A row repeating an identity of an earlier row is left to be reported as a duplicate.
        if keys.iter().all(|k| !seen.contains(k) && !batch.contains(k)) {
            let id = new_id();
            submitted.insert(*number, id);
            for key in keys {
                batch.insert(key.clone());
                fresh.push((key, id));
            }
        }
    }
    let at = now();
    let rows = fresh.iter().map(|((kind, value), id)| contact_identifier::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org),
        contact_id: Set(*id),
        kind: Set(*kind),
        value: Set(value.clone()),
        channel_id: Set(None),
        created_at: Set(at),
    });
    let inserted = contact_identifier::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            contact_identifier::Column::OrganizationId,
            contact_identifier::Column::Kind,
            contact_identifier::Column::Value,
        ])
        .exec_with_returning_many(txn)
        .await?;
    let claimed: HashMap<Key, Uuid> = match inserted {
        TryInsertResult::Inserted(rows) => rows.into_iter().map(|r| ((r.kind, r.value), r.contact_id)).collect(),
        _ => HashMap::new(),
    };
    let taken = fresh.into_iter().map(|(k, _)| k).filter(|k| !claimed.contains_key(k)).collect();
    Ok((taken, submitted, claimed))
}
