use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::note;
use sea_orm::DatabaseConnection;

use super::service;
use crate::{
    auth::Actor,
    connection,
    error::ApiResult,
    graphql::context::{actor, db, loaders, parse_id},
    graphql::types::DeletePayload,
    pagination::{PageArgs, wants_total},
    users::graphql::User,
};

pub struct Note(pub note::Model);

#[Object]
impl Note {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn contact_id(&self) -> ID {
        ID(self.0.contact_id.to_string())
    }

    /// The conversation the note is about, if any.
    async fn conversation_id(&self) -> Option<ID> {
        self.0.conversation_id.map(|id| ID(id.to_string()))
    }

    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.author_id else { return Ok(None) };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(NoteConnection, NoteEdge, Note);

/// The notes page of one contact, for `Contact.notes`.
pub async fn notes_page(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    actor: &Actor,
    contact_id: uuid::Uuid,
    args: PageArgs,
) -> ApiResult<NoteConnection> {
    let page = service::list(db, actor, contact_id, args, wants_total(ctx)).await?;
    let items = page.items.into_iter().map(|(c, n)| (c, Note(n))).collect();
    Ok(NoteConnection::new(items, page.flags, page.total))
}

#[derive(Default)]
pub struct NoteMutation;

#[Object]
impl NoteMutation {
    /// Adds a note to a contact, optionally about one of its conversations.
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
        conversation_id: Option<ID>,
        body: String,
    ) -> async_graphql::Result<Note> {
        let contact_id = parse_id(&contact_id, "contactId")?;
        let conversation_id = conversation_id.map(|id| parse_id(&id, "conversationId")).transpose()?;
        Ok(Note(service::add(db(ctx), actor(ctx)?, contact_id, conversation_id, &body).await?))
    }

    /// Changes a note's text (its author, or an admin).
    async fn update_note(&self, ctx: &Context<'_>, id: ID, body: String) -> async_graphql::Result<Note> {
        Ok(Note(service::edit(db(ctx), actor(ctx)?, parse_id(&id, "id")?, &body).await?))
    }

    /// Deletes a note (its author, or an admin).
    async fn delete_note(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
