use async_graphql::{Context, ID, Json, Object};

use super::{
    inputs::{CreateContactInput, UpdateContactInput},
    types::{Contact, IdentifierKind},
};
use crate::{
    contacts::{identifiers, service},
    events::{ContactEventKind, publish},
    graphql::{
        context::{actor, db, parse_id},
        types::DeletePayload,
    },
    properties, tags,
    values::CountryCode,
};

/// Tells subscribers a contact changed, and answers with it.
async fn updated(ctx: &Context<'_>, contact: entity::contact::Model) -> async_graphql::Result<Contact> {
    publish(ctx, ContactEventKind::Updated, &contact).await;
    Ok(Contact(contact))
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Adds a contact. One contact per phone number: a second answers CONFLICT.
    async fn create_contact(&self, ctx: &Context<'_>, input: CreateContactInput) -> async_graphql::Result<Contact> {
        let actor = actor(ctx)?;
        let input = input.into_domain(&CountryCode::of(actor.organization()))?;
        let contact = service::create(db(ctx), actor, input).await?;
        publish(ctx, ContactEventKind::Created, &contact).await;
        Ok(Contact(contact))
    }

    /// Changes a contact the caller can see; a stage change is recorded in the audit trail.
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateContactInput,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&id, "id")?;
        let actor = actor(ctx)?;
        let patch = input.into_domain(&CountryCode::of(actor.organization()))?;
        updated(ctx, service::update(db(ctx), actor, id, patch).await?).await
    }

    /// Deletes a contact and everything of theirs (owners and admins). It cannot be undone.
    async fn delete_contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let gone = service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        publish(ctx, ContactEventKind::Deleted, &gone).await;
        Ok(DeletePayload { id })
    }

    /// Sets one custom property, for chatbot flows and AI agents. With `overwrite: false` an existing
    /// value is kept. A null value clears the property.
    async fn set_contact_property(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        key: String,
        value: Option<Json<serde_json::Value>>,
        #[graphql(default = true)] overwrite: bool,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        // One transaction: the value, its audit entry and the segments it moves the contact in or out of.
        let txn = crate::db::begin_write(db(ctx)).await.map_err(crate::error::ApiError::from)?;
        let c = properties::service::set_contact_property(
            &txn,
            actor(ctx)?,
            id,
            &key,
            value.map(|v| v.0).unwrap_or_default(),
            overwrite,
        )
        .await?;
        txn.commit().await.map_err(crate::error::ApiError::from)?;
        updated(ctx, c).await
    }

    /// Adds an identity (username, Telegram id, API id, ...) to a contact; unique in the organization.
    async fn add_contact_identifier(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        kind: IdentifierKind,
        value: String,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        updated(ctx, identifiers::add(db(ctx), actor(ctx)?, id, kind.into(), &value).await?).await
    }

    /// Sets the contact's id in another system (`system` such as `chatwoot`), replacing its previous id
    /// there; unique per system in the organization. An empty `externalId` removes it.
    async fn set_external_id(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        system: String,
        external_id: String,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        updated(ctx, identifiers::set_external(db(ctx), actor(ctx)?, id, &system, &external_id).await?).await
    }

    /// Removes an identity from a contact.
    async fn remove_contact_identifier(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        kind: IdentifierKind,
        value: String,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        updated(ctx, identifiers::remove(db(ctx), actor(ctx)?, id, kind.into(), &value).await?).await
    }

    /// Adds tags by name to a contact, creating tags on first use.
    async fn add_tags(&self, ctx: &Context<'_>, contact_id: ID, names: Vec<String>) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        updated(ctx, tags::service::add_to_contact(db(ctx), actor(ctx)?, id, &names).await?).await
    }

    /// Removes tags by name from a contact.
    async fn remove_tags(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        names: Vec<String>,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&contact_id, "contactId")?;
        updated(ctx, tags::service::remove_from_contact(db(ctx), actor(ctx)?, id, &names).await?).await
    }
}
