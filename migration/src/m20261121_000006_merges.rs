//! Merges, kept so that a merge can be undone.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merges {
    Table,
    Id,
    OrganizationId,
    PrimaryId,
    Record,
    CreatedBy,
    CreatedAt,
    UndoneAt,
}

pub const IDX_MERGES_PRIMARY: &str = "idx_merges_organization_primary";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Merges::Table)
                    .col(pk_uuid(Merges::Id))
                    .col(uuid(Merges::OrganizationId))
                    .col(uuid(Merges::PrimaryId))
                    .col(json(Merges::Record))
                    .col(uuid_null(Merges::CreatedBy))
                    .col(timestamp_with_time_zone(Merges::CreatedAt))
                    .col(timestamp_with_time_zone_null(Merges::UndoneAt))
                    .foreign_key(&mut organization_fk("merges"))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, vec![index(IDX_MERGES_PRIMARY, "merges", &["organization_id", "primary_id"], false)])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["merges"]).await
    }
}
