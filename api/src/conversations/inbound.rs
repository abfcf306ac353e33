//! An inbound message, from the WhatsApp webhook or a partner: find or create its contact by identity,
//! then store the message once in the contact's conversation on that channel.

use chrono::{DateTime, Utc};
use entity::{
    channel, contact, contact_identifier,
    enums::{ContactSource, IdentifierKind, MessageDirection},
    message,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait};
use serde_json::Value;
use uuid::Uuid;

use super::{
    identities::{self, Identity},
    window,
};
use crate::{
    audit,
    auth::Actor,
    contacts::write::{NewRow, search_text},
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    pipeline, validate,
    visibility::Visible,
};

pub struct InboundMessage {
    /// Every identity the sender is known by here (WA_USER_ID, WA_ID, PHONE, ...), strongest first.
    pub identities: Vec<Identity>,
    /// The sender's current username (lower case, no `@`): an attribute, matched only when the sender
    /// has no other identity.
    pub username: Option<String>,
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
    // Its last activity moved: segments on activity dates may take the contact in or let it go.
    crate::segments::members::refresh(&txn, contact.organization_id, &[contact.id]).await?;
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
    // A username names someone only when nothing else does (a username can pass to another person).
    let keys: Vec<Identity> = if msg.identities.is_empty() {
        msg.username.iter().map(|u| (IdentifierKind::Username, u.clone())).collect()
    } else {
        msg.identities.clone()
    };
    if keys.is_empty() {
        return Err(ApiError::bad_input("sender", "The sender needs at least one identity"));
    }
    let org = actor.organization_id();
    for _ in 0..5 {
        let txn = begin_write(db).await?;
        if let Some((existing, known)) = identities::find(&txn, org, &keys).await? {
            let contact = refresh_known(&txn, actor, existing, &known, channel, msg).await?;
            txn.commit().await?;
            return Ok((contact, false));
        }
        let contact_id = new_id();
        if !identities::claim(&txn, org, contact_id, Some(channel.id), &keys).await? {
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
        // Inbound messages are never refused for the plan's cap; what arrived over it is recorded, so an
        // admin sees the overflow in the organization's usage.
        if let Some(limit) = actor.organization().plan.contact_limit() {
            let count = Visible::system(org).into_select().count(&txn).await? as i64;
            if count > limit {
                let after = serde_json::json!({ "limit": limit, "contacts": count });
                audit::record(&txn, actor, Some(contact.id), audit::OVER_PLAN_LIMIT, None, Some(after)).await?;
            }
        }
        if let Some(username) = msg.username.as_ref().filter(|_| !msg.identities.is_empty()) {
            identities::set_username(&txn, actor, &contact, Some(channel.id), username).await?;
        }
        txn.commit().await?;
        return Ok((contact, true));
    }
    Err(ApiError::internal("could not settle the sender's contact after retries"))
}

/// A known sender: adds identities we did not have yet, fills the phone and `wa_id` the contact lacked once
/// its identities are this contact's, keeps its current username, and follows their profile name while no
/// person has edited the contact's name.
async fn refresh_known(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    contact: contact::Model,
    known: &[contact_identifier::Model],
    channel: &channel::Model,
    msg: &InboundMessage,
) -> ApiResult<contact::Model> {
    let mine = identities::adopt(txn, &contact, known, Some(channel.id), &msg.identities).await?;
    let contact = identities::fill_numbers(txn, actor, contact, &mine).await?;
    if let Some(username) = &msg.username {
        identities::set_username(txn, actor, &contact, Some(channel.id), username).await?;
    }
    let name = msg
        .profile_name
        .as_deref()
        .and_then(|n| validate::name("name", n).ok())
        .filter(|n| !contact.name_edited_manually && *n != contact.name);
    let Some(name) = name else { return Ok(contact) };
    let mut model: contact::ActiveModel = contact.clone().into();
    model.search_text = Set(search_text(&name, contact.email.as_deref(), contact.phone.as_deref()));
    model.sort_name = Set(validate::fold(&name));
    model.name = Set(name);
    model.updated_at = Set(now());
    Ok(model.update(txn).await?)
}
