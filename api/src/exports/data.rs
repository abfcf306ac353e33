//! `exportContactData`: everything stored about one person (consents included), as one JSON document, for data-access
//! requests. Owners and admins only; the export itself is recorded in the contact's audit trail.

use entity::{
    audit_event, consent, contact_identifier, contact_property_value, conversation, message, note, pipeline_stage,
    property_definition, reservation, user, verification,
};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{audit, auth::Actor, db::now, error::ApiResult, visibility::find_visible};

macro_rules! of_contact {
    ($entity:ident, $org:expr, $id:expr) => {
        $entity::Entity::find()
            .filter($entity::Column::OrganizationId.eq($org))
            .filter($entity::Column::ContactId.eq($id))
    };
}

pub async fn contact_data(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<Value> {
    actor.require_admin()?;
    let c = find_visible(db, actor, id).await?;
    let org = actor.organization_id();
    let stage = pipeline_stage::Entity::find_by_id(c.stage_id).one(db).await?;
    let assignee = match c.assignee_id {
        Some(a) => user::Entity::find_by_id(a).filter(user::Column::OrganizationId.eq(org)).one(db).await?,
        None => None,
    };
    let identifiers = of_contact!(contact_identifier, org, id).all(db).await?;
    let definitions =
        property_definition::Entity::find().filter(property_definition::Column::OrganizationId.eq(org)).all(db).await?;
    let values = of_contact!(contact_property_value, org, id).all(db).await?;
    let tags = crate::tags::read::of_contacts(db, &crate::visibility::Visible::contacts(actor), &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let consents = of_contact!(consent, org, id).all(db).await?;
    let notes = of_contact!(note, org, id).order_by_asc(note::Column::CreatedAt).all(db).await?;
    let conversations =
        of_contact!(conversation, org, id).order_by_asc(conversation::Column::CreatedAt).all(db).await?;
    let messages = of_contact!(message, org, id)
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    let verification = of_contact!(verification, org, id).one(db).await?;
    let reservations = of_contact!(reservation, org, id).order_by_asc(reservation::Column::ReservedAt).all(db).await?;
    let audit = of_contact!(audit_event, org, id).order_by_asc(audit_event::Column::CreatedAt).all(db).await?;

    let document = json!({
        "exportedAt": now(),
        "contact": {
            "id": c.id, "name": c.name, "phone": c.phone, "whatsappId": c.wa_id, "email": c.email,
            "stage": stage.map(|s| s.name), "source": c.source.to_value(), "sourceListingId": c.source_listing_id,
            "assignee": assignee.map(|u| json!({ "id": u.id, "name": u.name, "email": u.email })),
            "createdAt": c.created_at, "updatedAt": c.updated_at, "lastActivityAt": c.last_activity_at,
            "statistics": {
                "userInitiatedConversations": c.user_initiated_conversations,
                "businessInitiatedConversations": c.business_initiated_conversations,
                "cancelledOutbounds": c.cancelled_outbounds,
                "receivedNotifications": c.received_notifications,
            },
        },
        "identifiers": identifiers.iter().map(|i| json!({
            "kind": i.kind.to_value(), "value": i.value, "channelId": i.channel_id, "createdAt": i.created_at,
        })).collect::<Vec<_>>(),
        "properties": values.iter().filter_map(|v| {
            let d = definitions.iter().find(|d| d.id == v.definition_id)?;
            Some(json!({ "key": d.key, "label": d.label, "value": v.value, "updatedAt": v.updated_at }))
        }).collect::<Vec<_>>(),
        "tags": tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "notes": notes.iter().map(|n| json!({
            "id": n.id, "body": n.body, "authorId": n.author_id, "conversationId": n.conversation_id,
            "createdAt": n.created_at, "updatedAt": n.updated_at,
        })).collect::<Vec<_>>(),
        "conversations": conversations.iter().map(|conv| json!({
            "id": conv.id, "channelId": conv.channel_id, "createdAt": conv.created_at,
            "lastMessageAt": conv.last_message_at,
            "messages": messages.iter().filter(|m| m.conversation_id == conv.id).map(|m| json!({
                "id": m.id, "direction": m.direction.to_value(), "kind": m.kind, "body": m.body,
                "payload": m.payload, "status": m.status, "externalId": m.external_id, "createdAt": m.created_at,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "verification": verification.map(|v| json!({
            "status": v.status, "link": v.link, "documentType": v.document_type,
            "issuingCountry": v.issuing_country, "verifiedAt": v.verified_at, "createdAt": v.created_at,
        })),
        "reservations": reservations.iter().map(|r| json!({
            "id": r.id, "listingId": r.listing_id, "unit": r.unit, "reservedAt": r.reserved_at,
            "amountMinor": r.amount_minor, "currency": r.currency, "paymentStatus": r.payment_status,
            "paymentReference": r.payment_reference,
        })).collect::<Vec<_>>(),
        "consents": consents.iter().map(|c| json!({
            "channelId": c.channel_id, "status": c.status, "method": c.method, "recordedAt": c.recorded_at,
        })).collect::<Vec<_>>(),
        "auditEvents": audit.iter().map(|e| json!({
            "kind": e.kind, "actorKind": e.actor_kind, "actorUserId": e.actor_user_id,
            "before": e.before, "after": e.after, "createdAt": e.created_at,
        })).collect::<Vec<_>>(),
    });
    audit::record(db, actor, Some(id), "contact.data_exported", None, None).await?;
    Ok(document)
}
