//! Indexes for a million contacts, chosen from the benchmark's query plans: trigram search on
//! PostgreSQL (the search is `LIKE '%fragment%'`, which no b-tree can serve), and stage filters that
//! also narrow by creation date, and an (organization, id) walk for jobs over a whole organization.

use sea_orm_migration::prelude::*;

use crate::{
    m20261121_000002_contacts::IDX_CONTACTS_STAGE,
    util::{create_indexes, index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const IDX_CONTACTS_STAGE_CREATED: &str = "idx_contacts_organization_stage_created";
pub const IDX_CONTACTS_ORG_ID: &str = "idx_contacts_organization_id";
pub const IDX_CONTACTS_SEARCH_TRGM: &str = "idx_contacts_search_trgm";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(IDX_CONTACTS_STAGE).table(Alias::new("contacts")).to_owned()).await?;
        create_indexes(
            manager,
            vec![
                index(
                    IDX_CONTACTS_STAGE_CREATED,
                    "contacts",
                    &["organization_id", "stage_id", "created_at", "id"],
                    false,
                ),
                // Exports and bulk jobs walk an organization's contacts in id order.
                index(IDX_CONTACTS_ORG_ID, "contacts", &["organization_id", "id"], false),
            ],
        )
        .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            // The extension is database-wide and lives in `public` whatever schema this migration runs in;
            // the advisory lock keeps two servers (or test schemas) migrating at once from racing on it.
            db.execute_unprepared(
                "DO $$ BEGIN PERFORM pg_advisory_xact_lock(7262001); \
                 CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public; END $$",
            )
            .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX {IDX_CONTACTS_SEARCH_TRGM} ON contacts USING gin (search_text public.gin_trgm_ops)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX {IDX_CONTACTS_SEARCH_TRGM}")).await?;
        }
        for name in [IDX_CONTACTS_STAGE_CREATED, IDX_CONTACTS_ORG_ID] {
            manager.drop_index(Index::drop().name(name).table(Alias::new("contacts")).to_owned()).await?;
        }
        create_indexes(manager, vec![index(IDX_CONTACTS_STAGE, "contacts", &["organization_id", "stage_id"], false)])
            .await
    }
}
