//! Organizations, their users and their channels.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{Organizations, create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Org {
    Name,
    Plan,
    DefaultCountry,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    Role,
    ViewerAgentIds,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    OrganizationId,
    Kind,
    Name,
    ExternalId,
    DisplayPhoneNumber,
    AppSecret,
    VerifyToken,
    Active,
    CreatedAt,
    UpdatedAt,
}

pub const UQ_USERS_EMAIL: &str = "uq_users_organization_email";
/// Webhooks arrive knowing only the provider's channel id, so this one key is global: a provider id
/// belongs to exactly one organization.
pub const UQ_CHANNELS_EXTERNAL: &str = "uq_channels_kind_external_id";
pub const IDX_CHANNELS_ORG: &str = "idx_channels_organization";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(string(Org::Name))
                    .col(string(Org::Plan))
                    .col(string(Org::DefaultCountry))
                    .col(json(Org::Settings))
                    .col(timestamp_with_time_zone(Org::CreatedAt))
                    .col(timestamp_with_time_zone(Org::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(uuid(Users::OrganizationId))
                    .col(string(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::Role))
                    .col(json_null(Users::ViewerAgentIds))
                    .col(string_null(Users::PasswordHash))
                    .col(boolean(Users::Active))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(&mut organization_fk("users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(pk_uuid(Channels::Id))
                    .col(uuid(Channels::OrganizationId))
                    .col(string(Channels::Kind))
                    .col(string(Channels::Name))
                    .col(string_null(Channels::ExternalId))
                    .col(string_null(Channels::DisplayPhoneNumber))
                    .col(string_null(Channels::AppSecret))
                    .col(string_null(Channels::VerifyToken))
                    .col(boolean(Channels::Active))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .col(timestamp_with_time_zone(Channels::UpdatedAt))
                    .foreign_key(&mut organization_fk("channels"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(UQ_USERS_EMAIL, "users", &["organization_id", "email"], true),
                index(UQ_CHANNELS_EXTERNAL, "channels", &["kind", "external_id"], true),
                index(IDX_CHANNELS_ORG, "channels", &["organization_id", "kind"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["channels", "users", "organizations"]).await
    }
}
