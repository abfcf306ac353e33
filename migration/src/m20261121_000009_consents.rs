//! Messaging consent per contact and channel.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    OrganizationId,
    ContactId,
    ChannelId,
    Status,
    Method,
    RecordedAt,
    RecordedBy,
    UpdatedAt,
}

pub const UQ_CONSENTS: &str = "uq_consents_contact_channel";
pub const IDX_CONSENTS_STATUS: &str = "idx_consents_organization_status";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(uuid(Consents::Id).primary_key())
                    .col(uuid(Consents::OrganizationId))
                    .col(uuid(Consents::ContactId))
                    .col(uuid(Consents::ChannelId))
                    .col(string(Consents::Status))
                    .col(string(Consents::Method))
                    .col(timestamp_with_time_zone(Consents::RecordedAt))
                    .col(uuid_null(Consents::RecordedBy))
                    .col(timestamp_with_time_zone(Consents::UpdatedAt))
                    .foreign_key(&mut organization_fk("consents"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(UQ_CONSENTS, "consents", &["organization_id", "contact_id", "channel_id"], true),
                index(IDX_CONSENTS_STATUS, "consents", &["organization_id", "status", "contact_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["consents"]).await
    }
}
