//! Segments: saved selections of contacts (a `ContactFilter` as the client sent it, a search and an order),
//! private to their creator or shared with the team. Names are unique per organization among shared
//! segments and per person among private ones, whatever their case.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk, run_for_backend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    OrganizationId,
    Name,
    NameKey,
    Filter,
    Search,
    OrderField,
    OrderDescending,
    Visibility,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

const UNIQUE_NAMES: [&str; 2] = [
    "CREATE UNIQUE INDEX uq_segments_shared_name ON segments (organization_id, name_key) WHERE visibility = 'SHARED'",
    "CREATE UNIQUE INDEX uq_segments_private_name ON segments (organization_id, created_by, name_key) \
     WHERE visibility = 'PRIVATE'",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(uuid(Segments::Id))
                    .col(uuid(Segments::OrganizationId))
                    .col(string(Segments::Name))
                    .col(string(Segments::NameKey))
                    .col(json(Segments::Filter))
                    .col(string_null(Segments::Search))
                    .col(string(Segments::OrderField))
                    .col(boolean(Segments::OrderDescending))
                    .col(string(Segments::Visibility))
                    .col(uuid_null(Segments::CreatedBy))
                    .col(timestamp_with_time_zone(Segments::CreatedAt))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .primary_key(Index::create().col(Segments::Id).col(Segments::OrganizationId))
                    .foreign_key(&mut organization_fk("segments"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index("idx_segments_organization", "segments", &["organization_id", "visibility"], false)],
        )
        .await?;
        run_for_backend(manager, &UNIQUE_NAMES, &UNIQUE_NAMES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["segments"]).await
    }
}
