//! Contacts and what hangs off them directly: identities, listings, stages, tags and custom properties.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{binary_collated, create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Listings {
    Table,
    Id,
    OrganizationId,
    Title,
    Slug,
    Url,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PipelineStages {
    Table,
    Id,
    OrganizationId,
    Name,
    Color,
    Kind,
    Position,
    Archived,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OrganizationId,
    Name,
    SortName,
    NameEditedManually,
    Phone,
    WaId,
    Email,
    StageId,
    Source,
    SourceListingId,
    AssigneeId,
    SearchText,
    UserInitiatedConversations,
    BusinessInitiatedConversations,
    CancelledOutbounds,
    ReceivedNotifications,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    LastInboundAt,
}

#[derive(DeriveIden)]
enum ContactIdentifiers {
    Table,
    Id,
    OrganizationId,
    ContactId,
    Kind,
    Value,
    ChannelId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    OrganizationId,
    Name,
    NameKey,
    Color,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContactTags {
    Table,
    OrganizationId,
    ContactId,
    TagId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PropertyDefinitions {
    Table,
    Id,
    OrganizationId,
    Key,
    Label,
    Kind,
    Options,
    Hidden,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactPropertyValues {
    Table,
    OrganizationId,
    ContactId,
    DefinitionId,
    Value,
    ValueText,
    ValueNumber,
    UpdatedAt,
}

pub const UQ_LISTINGS_SLUG: &str = "uq_listings_organization_slug";
pub const IDX_STAGES_POSITION: &str = "idx_pipeline_stages_organization_position";
pub const UQ_CONTACTS_PHONE: &str = "uq_contacts_organization_phone";
pub const IDX_CONTACTS_ACTIVITY: &str = "idx_contacts_organization_activity";
pub const IDX_CONTACTS_CREATED: &str = "idx_contacts_organization_created";
pub const IDX_CONTACTS_NAME: &str = "idx_contacts_organization_name";
pub const IDX_CONTACTS_ASSIGNEE: &str = "idx_contacts_organization_assignee_activity";
pub const IDX_CONTACTS_STAGE: &str = "idx_contacts_organization_stage";
pub const UQ_IDENTIFIERS: &str = "uq_contact_identifiers_organization_kind_value";
pub const IDX_IDENTIFIERS_CONTACT: &str = "idx_contact_identifiers_organization_contact";
pub const UQ_TAGS_NAME: &str = "uq_tags_organization_name_key";
pub const IDX_CONTACT_TAGS_TAG: &str = "idx_contact_tags_organization_tag";
pub const UQ_PROPERTY_KEY: &str = "uq_property_definitions_organization_key";
pub const IDX_PROPERTY_TEXT: &str = "idx_contact_property_values_text";
pub const IDX_PROPERTY_NUMBER: &str = "idx_contact_property_values_number";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pg = manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres;
        manager
            .create_table(
                Table::create()
                    .table(Listings::Table)
                    .col(pk_uuid(Listings::Id))
                    .col(uuid(Listings::OrganizationId))
                    .col(string(Listings::Title))
                    .col(string(Listings::Slug))
                    .col(string_null(Listings::Url))
                    .col(timestamp_with_time_zone(Listings::CreatedAt))
                    .col(timestamp_with_time_zone(Listings::UpdatedAt))
                    .foreign_key(&mut organization_fk("listings"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PipelineStages::Table)
                    .col(pk_uuid(PipelineStages::Id))
                    .col(uuid(PipelineStages::OrganizationId))
                    .col(string(PipelineStages::Name))
                    .col(string(PipelineStages::Color))
                    .col(string(PipelineStages::Kind))
                    .col(integer(PipelineStages::Position))
                    .col(boolean(PipelineStages::Archived))
                    .col(timestamp_with_time_zone(PipelineStages::CreatedAt))
                    .col(timestamp_with_time_zone(PipelineStages::UpdatedAt))
                    .foreign_key(&mut organization_fk("pipeline_stages"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_uuid(Contacts::Id))
                    .col(uuid(Contacts::OrganizationId))
                    .col(string(Contacts::Name))
                    .col(binary_collated(string(Contacts::SortName), pg))
                    .col(boolean(Contacts::NameEditedManually))
                    .col(string_null(Contacts::Phone))
                    .col(string_null(Contacts::WaId))
                    .col(string_null(Contacts::Email))
                    .col(uuid(Contacts::StageId))
                    .col(string(Contacts::Source))
                    .col(uuid_null(Contacts::SourceListingId))
                    .col(uuid_null(Contacts::AssigneeId))
                    .col(binary_collated(string(Contacts::SearchText), pg))
                    .col(integer(Contacts::UserInitiatedConversations))
                    .col(integer(Contacts::BusinessInitiatedConversations))
                    .col(integer(Contacts::CancelledOutbounds))
                    .col(integer(Contacts::ReceivedNotifications))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .col(timestamp_with_time_zone(Contacts::LastActivityAt))
                    .col(timestamp_with_time_zone_null(Contacts::LastInboundAt))
                    .foreign_key(&mut organization_fk("contacts"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contacts_stage")
                            .from(Contacts::Table, Contacts::StageId)
                            .to(PipelineStages::Table, PipelineStages::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactIdentifiers::Table)
                    .col(pk_uuid(ContactIdentifiers::Id))
                    .col(uuid(ContactIdentifiers::OrganizationId))
                    .col(uuid(ContactIdentifiers::ContactId))
                    .col(string(ContactIdentifiers::Kind))
                    .col(string(ContactIdentifiers::Value))
                    .col(uuid_null(ContactIdentifiers::ChannelId))
                    .col(timestamp_with_time_zone(ContactIdentifiers::CreatedAt))
                    .foreign_key(&mut organization_fk("contact_identifiers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .col(pk_uuid(Tags::Id))
                    .col(uuid(Tags::OrganizationId))
                    .col(string(Tags::Name))
                    .col(string(Tags::NameKey))
                    .col(string_null(Tags::Color))
                    .col(timestamp_with_time_zone(Tags::CreatedAt))
                    .foreign_key(&mut organization_fk("tags"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactTags::Table)
                    .col(uuid(ContactTags::OrganizationId))
                    .col(uuid(ContactTags::ContactId))
                    .col(uuid(ContactTags::TagId))
                    .col(timestamp_with_time_zone(ContactTags::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactTags::OrganizationId)
                            .col(ContactTags::ContactId)
                            .col(ContactTags::TagId),
                    )
                    .foreign_key(&mut organization_fk("contact_tags"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PropertyDefinitions::Table)
                    .col(pk_uuid(PropertyDefinitions::Id))
                    .col(uuid(PropertyDefinitions::OrganizationId))
                    .col(string(PropertyDefinitions::Key))
                    .col(string(PropertyDefinitions::Label))
                    .col(string(PropertyDefinitions::Kind))
                    .col(json(PropertyDefinitions::Options))
                    .col(boolean(PropertyDefinitions::Hidden))
                    .col(integer(PropertyDefinitions::Position))
                    .col(timestamp_with_time_zone(PropertyDefinitions::CreatedAt))
                    .col(timestamp_with_time_zone(PropertyDefinitions::UpdatedAt))
                    .foreign_key(&mut organization_fk("property_definitions"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactPropertyValues::Table)
                    .col(uuid(ContactPropertyValues::OrganizationId))
                    .col(uuid(ContactPropertyValues::ContactId))
                    .col(uuid(ContactPropertyValues::DefinitionId))
                    .col(json(ContactPropertyValues::Value))
                    .col(string_null(ContactPropertyValues::ValueText))
                    .col(double_null(ContactPropertyValues::ValueNumber))
                    .col(timestamp_with_time_zone(ContactPropertyValues::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactPropertyValues::OrganizationId)
                            .col(ContactPropertyValues::ContactId)
                            .col(ContactPropertyValues::DefinitionId),
                    )
                    .foreign_key(&mut organization_fk("contact_property_values"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(UQ_LISTINGS_SLUG, "listings", &["organization_id", "slug"], true),
                index(IDX_STAGES_POSITION, "pipeline_stages", &["organization_id", "position"], false),
                index(UQ_CONTACTS_PHONE, "contacts", &["organization_id", "phone"], true),
                index(IDX_CONTACTS_ACTIVITY, "contacts", &["organization_id", "last_activity_at", "id"], false),
                index(IDX_CONTACTS_CREATED, "contacts", &["organization_id", "created_at", "id"], false),
                index(IDX_CONTACTS_NAME, "contacts", &["organization_id", "sort_name", "id"], false),
                index(
                    IDX_CONTACTS_ASSIGNEE,
                    "contacts",
                    &["organization_id", "assignee_id", "last_activity_at", "id"],
                    false,
                ),
                index(IDX_CONTACTS_STAGE, "contacts", &["organization_id", "stage_id"], false),
                index(UQ_IDENTIFIERS, "contact_identifiers", &["organization_id", "kind", "value"], true),
                index(IDX_IDENTIFIERS_CONTACT, "contact_identifiers", &["organization_id", "contact_id"], false),
                index(UQ_TAGS_NAME, "tags", &["organization_id", "name_key"], true),
                index(IDX_CONTACT_TAGS_TAG, "contact_tags", &["organization_id", "tag_id", "contact_id"], false),
                index(UQ_PROPERTY_KEY, "property_definitions", &["organization_id", "key"], true),
                index(
                    IDX_PROPERTY_TEXT,
                    "contact_property_values",
                    &["organization_id", "definition_id", "value_text"],
                    false,
                ),
                index(
                    IDX_PROPERTY_NUMBER,
                    "contact_property_values",
                    &["organization_id", "definition_id", "value_number"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "contact_property_values",
                "property_definitions",
                "contact_tags",
                "tags",
                "contact_identifiers",
                "contacts",
                "pipeline_stages",
                "listings",
            ],
        )
        .await
    }
}
