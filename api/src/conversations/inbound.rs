//! An inbound message, from the WhatsApp webhook or a partner: find or create its contact by identity,
//! then store the message once in the contact's conversation on that channel.

use chrono::{DateTime, Utc};
use entity::{
    channel, contact, contact_identifier,
    enums::{ContactSource, IdentifierKind, MessageDirection},
    message,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, sea_query::OnConflict,
};
use serde_json::Value;
use uuid::Uuid;

use super::window;
use crate::{
    audit,
    auth::Actor,
    contacts::write::{NewRow, search_text},
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    pipeline, validate,
    values::Phone,
    visibility::Visible,
};

pub struct InboundMessage {
    /// Every identity the sender is known by here (WA_ID, WA_USER_ID, PHONE, ...), strongest first.
    pub identities: Vec<(IdentifierKind, String)>,
    /// E.164, when the sender's number is known.
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub profile_name: Option<String>,
    pub source: ContactSource,
    pub listing_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub kind: String,
    pub body: Option<String>,
    pub payload: Option<Value>,
    pub sent_at: DateTime<Utc>,
}

pub struct Recorded {
    pub contact: contact::Model,
    pub created: bool,
    /// `None` when this message was already stored (a redelivery).
    pub message: Option<message::Model>,
}

/// Records one inbound message on `channel`, acting as its organization (`actor`, the system actor).
/// Never refused for the plan's contact cap.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    msg: InboundMessage,
) -> ApiResult<Recorded> {
    let (contact, created) = resolve_contact(db, actor, channel, &msg).await?;

    let txn = begin_write(db).await?;
    let conversation = window::conversation_for(&txn, &contact, channel.id).await?;
    let row = message::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(contact.organization_id),
        conversation_id: Set(conversation.id),
        contact_id: Set(contact.id),
        channel_id: Set(channel.id),
        direction: Set(MessageDirection::Inbound),
        kind: Set(msg.kind),
        body: Set(msg.body),
        payload: Set(msg.payload),
        status: Set("received".into()),
        external_id: Set(msg.external_id),
        error: Set(None),
        created_at: Set(msg.sent_at),
        status_updated_at: Set(None),
    };
    let message = window::store(&txn, &contact, conversation, row, msg.sent_at, MessageDirection::Inbound).await?;
    txn.commit().await?;
    let again = Visible::system(contact.organization_id).filter(contact::Column::Id.eq(contact.id));
    let contact = again.into_select().one(db).await?.unwrap_or(contact);
    Ok(Recorded { contact, created, message })
}

/// Finds the contact by any of the sender's identities, or creates it. Two first messages racing each
/// other end in one contact: identities are claimed with ON CONFLICT DO NOTHING before the contact row is
/// written, and the loser rolls back and finds the winner's contact.
async fn resolve_contact(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    msg: &InboundMessage,
) -> ApiResult<(contact::Model, bool)> {
    if msg.identities.is_empty() {
        return Err(ApiError::bad_input("from", "The sender needs at least one identity"));
    }
    for _ in 0..5 {
        let txn = begin_write(db).await?;
        if let Some((existing, known)) = find_by_identity(&txn, actor.organization_id(), &msg.identities).await? {
            let contact = refresh_known(&txn, actor, existing, &known, channel, msg).await?;
            txn.commit().await?;
            return Ok((contact, false));
        }
        let contact_id = new_id();
        if !claim_identities(&txn, actor.organization_id(), contact_id, channel.id, &msg.identities).await? {
            txn.rollback().await?; // Someone else claimed one first: find theirs on the next round.
            continue;
        }
        let name = msg.profile_name.clone().or_else(|| msg.phone.clone()).unwrap_or_else(|| "Unknown".into());
        let name = validate::name("name", &name).unwrap_or_else(|_| "Unknown".into());
        let stage = pipeline::service::first_stage(&txn, actor.organization_id()).await?;
        let inserted = NewRow {
            id: contact_id,
            organization_id: actor.organization_id(),
            name,
            name_edited_manually: false,
            phone: msg.phone.clone(),
            wa_id: msg.wa_id.clone(),
            email: None,
            stage_id: stage.id,
            source: msg.source,
            source_listing_id: msg.listing_id,
            assignee_id: None,
            last_activity_at: msg.sent_at.min(now()),
        }
        .into_active_model()
        .insert(&txn)
        .await;
        let contact = match inserted {
            Ok(c) => c,
            // The phone belongs to a contact created another way: retry and join it through its identity.
            Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let after = serde_json::json!({ "name": contact.name, "phone": contact.phone, "source": contact.source, "channelId": channel.id });
        audit::record(&txn, actor, Some(contact.id), "contact.created", None, Some(after)).await?;
        txn.commit().await?;
        return Ok((contact, true));
    }
    Err(ApiError::internal("could not settle the sender's contact after retries"))
}

/// The contact one of `identities` belongs to, with every stored row of those identities (its own and, rarely,
/// another contact's).
async fn find_by_identity(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    identities: &[(IdentifierKind, String)],
) -> ApiResult<Option<(contact::Model, Vec<contact_identifier::Model>)>> {
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

/// Inserts the identities for a new contact; false when any of them already belongs to someone.
async fn claim_identities(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    contact_id: Uuid,
    channel_id: Uuid,
    identities: &[(IdentifierKind, String)],
) -> ApiResult<bool> {
    for (kind, value) in identities {
        let row = contact_identifier::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(organization_id),
            contact_id: Set(contact_id),
            kind: Set(*kind),
            value: Set(value.clone()),
            channel_id: Set(Some(channel_id)),
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

/// A known sender: adds identities we did not have yet, fills the phone and `wa_id` the contact lacked (one
/// first known by its WhatsApp user id or username, or typed in without them) once its identities are
/// this contact's, and follows their profile name while no person has edited the contact's name.
async fn refresh_known(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    contact: contact::Model,
    known: &[contact_identifier::Model],
    channel: &channel::Model,
    msg: &InboundMessage,
) -> ApiResult<contact::Model> {
    // This contact's identities among the message's: those already stored as its own, and those it claims
    // now. One taken by another contact is left where it is: identities never move silently.
    let mut mine: Vec<(IdentifierKind, &str)> =
        known.iter().filter(|k| k.contact_id == contact.id).map(|k| (k.kind, k.value.as_str())).collect();
    for (kind, value) in &msg.identities {
        let stored = known.iter().any(|k| k.kind == *kind && k.value == *value);
        if !stored
            && claim_identities(txn, contact.organization_id, contact.id, channel.id, &[(*kind, value.clone())]).await?
        {
            mine.push((*kind, value));
        }
    }
    let owned = |kind: IdentifierKind, value: &Option<String>| {
        value.as_ref().filter(|v| mine.contains(&(kind, v.as_str()))).cloned()
    };
    let phone = contact.phone.is_none().then(|| owned(IdentifierKind::Phone, &msg.phone)).flatten();
    let wa_id = contact.wa_id.is_none().then(|| owned(IdentifierKind::WaId, &msg.wa_id)).flatten();
    let name = msg
        .profile_name
        .as_deref()
        .and_then(|n| validate::name("name", n).ok())
        .filter(|n| !contact.name_edited_manually && *n != contact.name);
    if phone.is_none() && wa_id.is_none() && name.is_none() {
        return Ok(contact);
    }
    let mut model: contact::ActiveModel = contact.clone().into();
    let name = name.unwrap_or_else(|| contact.name.clone());
    let new_phone = phone.clone().or_else(|| contact.phone.clone());
    model.search_text = Set(search_text(&name, contact.email.as_deref(), new_phone.as_deref()));
    model.sort_name = Set(validate::fold(&name));
    model.name = Set(name);
    if phone.is_some() {
        model.phone = Set(phone.clone());
    }
    if wa_id.is_some() {
        model.wa_id = Set(wa_id.clone());
    }
    model.updated_at = Set(now());
    let updated = model.update(txn).await?;
    if phone.is_some() || wa_id.is_some() {
        let before = serde_json::json!({ "phone": contact.phone, "waId": contact.wa_id });
        let after = serde_json::json!({ "phone": updated.phone, "waId": updated.wa_id });
        audit::record(txn, actor, Some(updated.id), "contact.updated", Some(before), Some(after)).await?;
    }
    Ok(updated)
}

/// `user_changed_number`: the phone and wa_id identities move to the new number on the same contact.
pub async fn change_number(
    db: &DatabaseConnection,
    actor: &Actor,
    channel: &channel::Model,
    old_wa_id: &str,
    new_wa_id: &str,
) -> ApiResult<Option<contact::Model>> {
    let org = channel.organization_id;
    let txn = begin_write(db).await?;
    let Some((contact, _)) = find_by_identity(&txn, org, &[(IdentifierKind::WaId, old_wa_id.to_string())]).await?
    else {
        return Ok(None);
    };
    let new_phone = Phone::parse_international("phone", &format!("+{new_wa_id}")).ok().map(String::from);
    let mut replaced = vec![(IdentifierKind::WaId, new_wa_id.to_string())];
    if let Some(p) = &new_phone {
        replaced.push((IdentifierKind::Phone, p.clone()));
    }
    for (kind, value) in &replaced {
        contact_identifier::Entity::delete_many()
            .filter(contact_identifier::Column::OrganizationId.eq(org))
            .filter(contact_identifier::Column::ContactId.eq(contact.id))
            .filter(contact_identifier::Column::Kind.eq(*kind))
            .exec(&txn)
            .await?;
        if !claim_identities(&txn, org, contact.id, channel.id, &[(*kind, value.clone())]).await? {
            // The new number already belongs to another contact: leave both as they are for a person to merge.
            tracing::warn!(contact = %contact.id, "changed number already belongs to another contact");
            return Ok(Some(contact));
        }
    }
    let mut model: contact::ActiveModel = contact.clone().into();
    model.wa_id = Set(Some(new_wa_id.to_string()));
    if new_phone.is_some() {
        model.phone = Set(new_phone.clone());
        model.search_text = Set(search_text(&contact.name, contact.email.as_deref(), new_phone.as_deref()));
    }
    model.updated_at = Set(now());
    let updated = model.update(&txn).await?;
    let before = serde_json::json!({ "phone": contact.phone, "waId": contact.wa_id });
    let after = serde_json::json!({ "phone": updated.phone, "waId": updated.wa_id });
    audit::record(&txn, actor, Some(contact.id), "contact.number_changed", Some(before), Some(after)).await?;
    txn.commit().await?;
    Ok(Some(updated))
}
