//! A sender's identities: the contact they belong to, claiming new ones, what they teach about a contact
//! later (its phone, `wa_id`, username), and moving them when WhatsApp reports a changed number or user id.
//! Identities never move between contacts silently: one another contact holds stays where it is.

use entity::{channel, contact, contact_identifier, enums::IdentifierKind};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit,
    auth::Actor,
    contacts::write::search_text,
    db::{begin_write, new_id, now},
    error::ApiResult,
    visibility::Visible,
};

/// One identity: its kind and value.
pub type Identity = (IdentifierKind, String);

/// The contact one of `identities` belongs to, with every stored row of those identities (its own and, rarely,
/// another contact's).
pub async fn find(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    identities: &[Identity],
) -> ApiResult<Option<(contact::Model, Vec<contact_identifier::Model>)>> {
    if identities.is_empty() {
        return Ok(None);
    }
    let mut any = Condition::any();
    for (kind, value) in identities {
        any = any.add(
            Condition::all()
                .add(contact_identifier::Column::Kind.eq(*kind))
                .add(contact_identifier::Column::Value.eq(value.as_str())),
        );
    }
    let found = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(organization_id))
        .filter(any)
        .all(txn)
        .await?;
    // Prefer the strongest identity (the order given), so a stale weak one never wins.
    let best = identities.iter().find_map(|(k, v)| found.iter().find(|f| f.kind == *k && f.value == *v));
    let Some(id) = best.map(|f| f.contact_id) else { return Ok(None) };
    let contact = Visible::system(organization_id).filter(contact::Column::Id.eq(id)).into_select().one(txn).await?;
    Ok(contact.map(|c| (c, found)))
}

/// Inserts the identities for a contact; false when any of them already belongs to someone.
pub async fn claim(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    contact_id: Uuid,
    channel_id: Option<Uuid>,
    identities: &[Identity],
) -> ApiResult<bool> {
    for (kind, value) in identities {
        let row = contact_identifier::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(organization_id),
            contact_id: Set(contact_id),
            kind: Set(*kind),
            value: Set(value.clone()),
            channel_id: Set(channel_id),
            created_at: Set(now()),
        };
        let inserted = contact_identifier::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    contact_identifier::Column::OrganizationId,
                    contact_identifier::Column::Kind,
                    contact_identifier::Column::Value,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// This contact's identities among `identities`: those already stored as its own (`known`, rows read by
/// `find`), and those it claims now.
pub async fn adopt(
    txn: &impl ConnectionTrait,
    contact: &contact::Model,
    known: &[contact_identifier::Model],
    channel_id: Option<Uuid>,
    identities: &[Identity],
) -> ApiResult<Vec<Identity>> {
    let mut mine: Vec<Identity> =
        known.iter().filter(|k| k.contact_id == contact.id).map(|k| (k.kind, k.value.clone())).collect();
    for identity in identities {
        let stored = known.iter().any(|k| k.kind == identity.0 && k.value == identity.1);
        // A contact shows one phone: a different number is not claimed as a second, hidden one.
        let other_phone =
            identity.0 == IdentifierKind::Phone && contact.phone.as_ref().is_some_and(|p| *p != identity.1);
        if !stored
            && !other_phone
            && claim(txn, contact.organization_id, contact.id, channel_id, std::slice::from_ref(identity)).await?
        {
            mine.push(identity.clone());
        }
    }
    Ok(mine)
}

/// Fills the phone and `wa_id` the contact lacks from its own identities (one first known by its WhatsApp
/// user id or username, or typed in without them), audited.
pub async fn fill_numbers(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    contact: contact::Model,
    mine: &[Identity],
) -> ApiResult<contact::Model> {
    let of = |kind: IdentifierKind| mine.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.clone());
    let phone = contact.phone.is_none().then(|| of(IdentifierKind::Phone)).flatten();
    let wa_id = contact.wa_id.is_none().then(|| of(IdentifierKind::WaId)).flatten();
    if phone.is_none() && wa_id.is_none() {
        return Ok(contact);
    }
    let mut model: contact::ActiveModel = contact.clone().into();
    if let Some(p) = &phone {
        model.phone = Set(Some(p.clone()));
        model.search_text = Set(search_text(&contact.name, contact.email.as_deref(), Some(p)));
    }
    if wa_id.is_some() {
        model.wa_id = Set(wa_id);
    }
    model.updated_at = Set(now());
    let updated = model.update(txn).await?;
    let before = json!({ "phone": contact.phone, "waId": contact.wa_id });
    let after = json!({ "phone": updated.phone, "waId": updated.wa_id });
    audit::record(txn, actor, Some(updated.id), "contact.updated", Some(before), Some(after)).await?;
    Ok(updated)
}

/// Makes `username` the contact's current one (it is an attribute, not a permanent key): the previous one is
/// replaced, a stale holder of the same name loses it, and the change is audited. False when unchanged.
pub async fn set_username(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    contact: &contact::Model,
    channel_id: Option<Uuid>,
    username: &str,
) -> ApiResult<bool> {
    let org = contact.organization_id;
    let rows = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(org))
        .filter(contact_identifier::Column::Kind.eq(IdentifierKind::Username))
        .filter(
            Condition::any()
                .add(contact_identifier::Column::ContactId.eq(contact.id))
                .add(contact_identifier::Column::Value.eq(username)),
        )
        .all(txn)
        .await?;
    let previous = rows.iter().find(|r| r.contact_id == contact.id).map(|r| r.value.clone());
    if previous.as_deref() == Some(username) {
        return Ok(false);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    contact_identifier::Entity::delete_many().filter(contact_identifier::Column::Id.is_in(ids)).exec(txn).await?;
    // Someone else held this name before: they no longer do.
    for stale in rows.iter().filter(|r| r.contact_id != contact.id) {
        let (before, after) = (json!({ "username": stale.value }), json!({ "username": null }));
        audit::record(txn, actor, Some(stale.contact_id), "contact.username_changed", Some(before), Some(after))
            .await?;
    }
    let username = (IdentifierKind::Username, username.to_string());
    if !claim(txn, org, contact.id, channel_id, std::slice::from_ref(&username)).await? {
        return Ok(false); // Claimed by a concurrent message meanwhile: it wins.
    }
    let (before, after) = (json!({ "username": previous }), json!({ "username": username.1 }));
    audit::record(txn, actor, Some(contact.id), "contact.username_changed", Some(before), Some(after)).await?;
    Ok(true)
}

/// What a status or a reply teaches about the contact a message belongs to: identities it lacked, its phone
/// and `wa_id`, its current username. `None` when nothing changed.
pub async fn learn(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    contact_id: Uuid,
    identities: &[Identity],
    username: Option<&str>,
) -> ApiResult<Option<contact::Model>> {
    let org = channel.organization_id;
    let rows = |found: Option<(contact::Model, Vec<contact_identifier::Model>)>| {
        found.map(|(_, rows)| rows).unwrap_or_default()
    };
    // Read first: most statuses name what is known already, and need no write.
    let mut wanted = identities.to_vec();
    wanted.extend(username.map(|u| (IdentifierKind::Username, u.to_string())));
    let known = rows(find(db, org, &wanted).await?);
    let held = |(k, v): &Identity| known.iter().any(|r| r.kind == *k && r.value == *v);
    // An identity another contact holds means the status speaks of that person too: its username is left
    // alone, and identities never move.
    let foreign = known.iter().any(|r| r.contact_id != contact_id && r.kind != IdentifierKind::Username);
    let username = username.filter(|_| !foreign);
    let name_known = username.is_none_or(|u| {
        known.iter().any(|r| r.kind == IdentifierKind::Username && r.value == u && r.contact_id == contact_id)
    });
    if identities.iter().all(held) && name_known {
        return Ok(None);
    }
    let txn = begin_write(db).await?;
    let Some(contact) = Visible::system(org).filter(contact::Column::Id.eq(contact_id)).into_select().one(&txn).await?
    else {
        return Ok(None);
    };
    let known = rows(find(&txn, org, identities).await?);
    let before = (contact.phone.clone(), contact.wa_id.clone());
    let mine = adopt(&txn, &contact, &known, Some(channel.id), identities).await?;
    let updated = fill_numbers(&txn, actor, contact, &mine).await?;
    let mut changed = before != (updated.phone.clone(), updated.wa_id.clone());
    if let Some(name) = username {
        changed |= set_username(&txn, actor, &updated, Some(channel.id), name).await?;
    }
    txn.commit().await?;
    Ok(changed.then_some(updated))
}

/// WhatsApp reports a changed number or user id: the contact found by any of `previous` gets each identity of
/// `current` in place of its identities of that kind (and its phone and `wa_id` follow), audited as `event`.
/// A new value another contact already holds leaves both as they are, for a person to merge.
pub async fn change(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    previous: &[Identity],
    current: &[Identity],
    event: &str,
) -> ApiResult<Option<contact::Model>> {
    let org = channel.organization_id;
    let txn = begin_write(db).await?;
    let Some((contact, _)) = find(&txn, org, previous).await? else { return Ok(None) };
    let kinds: Vec<IdentifierKind> = current.iter().map(|(k, _)| *k).collect();
    let replaced = contact_identifier::Entity::find()
        .filter(contact_identifier::Column::OrganizationId.eq(org))
        .filter(contact_identifier::Column::ContactId.eq(contact.id))
        .filter(contact_identifier::Column::Kind.is_in(kinds))
        .all(&txn)
        .await?;
    for (kind, value) in current {
        contact_identifier::Entity::delete_many()
            .filter(contact_identifier::Column::OrganizationId.eq(org))
            .filter(contact_identifier::Column::ContactId.eq(contact.id))
            .filter(contact_identifier::Column::Kind.eq(*kind))
            .exec(&txn)
            .await?;
        if !claim(&txn, org, contact.id, Some(channel.id), &[(*kind, value.clone())]).await? {
            // The new value already belongs to another contact: nothing moves; the trail says so, for a
            // person to merge the two.
            txn.rollback().await?;
            tracing::warn!(contact = %contact.id, ?kind, "a changed identity already belongs to another contact");
            let after = json!({ "field": field_name(*kind), "value": value, "event": event });
            audit::record(db, actor, Some(contact.id), "contact.identity_conflict", None, Some(after)).await?;
            return Ok(None);
        }
    }
    // A new number that is not a valid phone still retires the old one.
    let renumbered = current.iter().any(|(k, _)| *k == IdentifierKind::WaId);
    if renumbered && !current.iter().any(|(k, _)| *k == IdentifierKind::Phone) {
        contact_identifier::Entity::delete_many()
            .filter(contact_identifier::Column::OrganizationId.eq(org))
            .filter(contact_identifier::Column::ContactId.eq(contact.id))
            .filter(contact_identifier::Column::Kind.eq(IdentifierKind::Phone))
            .exec(&txn)
            .await?;
    }
    let of = |kind: IdentifierKind| current.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.clone());
    let mut model: contact::ActiveModel = contact.clone().into();
    if let Some(wa_id) = of(IdentifierKind::WaId) {
        model.wa_id = Set(Some(wa_id));
    }
    if renumbered {
        let phone = of(IdentifierKind::Phone);
        model.search_text = Set(search_text(&contact.name, contact.email.as_deref(), phone.as_deref()));
        model.phone = Set(phone);
    }
    model.updated_at = Set(now());
    let updated = model.update(&txn).await?;
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (kind, value) in current {
        let old = replaced.iter().find(|r| r.kind == *kind).map(|r| r.value.clone());
        before.insert(field_name(*kind).into(), json!(old));
        after.insert(field_name(*kind).into(), json!(value));
    }
    let (before, after) = (serde_json::Value::Object(before), serde_json::Value::Object(after));
    audit::record(&txn, actor, Some(contact.id), event, Some(before), Some(after)).await?;
    txn.commit().await?;
    Ok(Some(updated))
}

/// The contact field an identity kind is shown as, in audit entries.
fn field_name(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::Phone => "phone",
        IdentifierKind::WaId => "waId",
        IdentifierKind::WaUserId => "waUserId",
        IdentifierKind::WaParentUserId => "waParentUserId",
        IdentifierKind::Username => "username",
        IdentifierKind::TelegramId => "telegramId",
        IdentifierKind::WidgetSession => "widgetSession",
        IdentifierKind::ApiId => "apiId",
        IdentifierKind::External => "externalId",
    }
}
