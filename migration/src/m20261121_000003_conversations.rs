//! Conversations, their messages, and the notes a team keeps on a contact.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    OrganizationId,
    ContactId,
    ChannelId,
    LastMessageAt,
    LastInboundAt,
    WindowStartedAt,
    WindowInitiator,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    OrganizationId,
    ConversationId,
    ContactId,
    ChannelId,
    Direction,
    Kind,
    Body,
    Payload,
    Status,
    ExternalId,
    Error,
    CreatedAt,
    StatusUpdatedAt,
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    Id,
    OrganizationId,
    ContactId,
    ConversationId,
    AuthorId,
    Body,
    CreatedAt,
    UpdatedAt,
}

pub const UQ_CONVERSATIONS: &str = "uq_conversations_organization_contact_channel";
pub const UQ_MESSAGES_EXTERNAL: &str = "uq_messages_organization_channel_external_id";
pub const IDX_MESSAGES_CONVERSATION: &str = "idx_messages_organization_conversation_created";
pub const IDX_MESSAGES_CONTACT: &str = "idx_messages_organization_contact";
pub const IDX_NOTES_CONTACT: &str = "idx_notes_organization_contact_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(pk_uuid(Conversations::Id))
                    .col(uuid(Conversations::OrganizationId))
                    .col(uuid(Conversations::ContactId))
                    .col(uuid(Conversations::ChannelId))
                    .col(timestamp_with_time_zone_null(Conversations::LastMessageAt))
                    .col(timestamp_with_time_zone_null(Conversations::LastInboundAt))
                    .col(timestamp_with_time_zone_null(Conversations::WindowStartedAt))
                    .col(string_null(Conversations::WindowInitiator))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::UpdatedAt))
                    .foreign_key(&mut organization_fk("conversations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(pk_uuid(Messages::Id))
                    .col(uuid(Messages::OrganizationId))
                    .col(uuid(Messages::ConversationId))
                    .col(uuid(Messages::ContactId))
                    .col(uuid(Messages::ChannelId))
                    .col(string(Messages::Direction))
                    .col(string(Messages::Kind))
                    .col(text_null(Messages::Body))
                    .col(json_null(Messages::Payload))
                    .col(string(Messages::Status))
                    .col(string_null(Messages::ExternalId))
                    .col(text_null(Messages::Error))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone_null(Messages::StatusUpdatedAt))
                    .foreign_key(&mut organization_fk("messages"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notes::Table)
                    .col(pk_uuid(Notes::Id))
                    .col(uuid(Notes::OrganizationId))
                    .col(uuid(Notes::ContactId))
                    .col(uuid_null(Notes::ConversationId))
                    .col(uuid_null(Notes::AuthorId))
                    .col(text(Notes::Body))
                    .col(timestamp_with_time_zone(Notes::CreatedAt))
                    .col(timestamp_with_time_zone(Notes::UpdatedAt))
                    .foreign_key(&mut organization_fk("notes"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(UQ_CONVERSATIONS, "conversations", &["organization_id", "contact_id", "channel_id"], true),
                index(UQ_MESSAGES_EXTERNAL, "messages", &["organization_id", "channel_id", "external_id"], true),
                index(
                    IDX_MESSAGES_CONVERSATION,
                    "messages",
                    &["organization_id", "conversation_id", "created_at", "id"],
                    false,
                ),
                index(IDX_MESSAGES_CONTACT, "messages", &["organization_id", "contact_id"], false),
                index(IDX_NOTES_CONTACT, "notes", &["organization_id", "contact_id", "created_at", "id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notes", "messages", "conversations"]).await
    }
}
