//! Long-lived API tokens for integrations, stored as hashes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    OrganizationId,
    Name,
    Role,
    TokenHash,
    Prefix,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

pub const UQ_API_TOKENS_HASH: &str = "uq_api_tokens_hash";
pub const IDX_API_TOKENS_ORG: &str = "idx_api_tokens_organization";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(uuid(ApiTokens::Id).primary_key())
                    .col(uuid(ApiTokens::OrganizationId))
                    .col(string(ApiTokens::Name))
                    .col(string(ApiTokens::Role))
                    .col(string(ApiTokens::TokenHash))
                    .col(string(ApiTokens::Prefix))
                    .col(uuid_null(ApiTokens::CreatedBy))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(&mut organization_fk("api_tokens"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(UQ_API_TOKENS_HASH, "api_tokens", &["token_hash"], true),
                index(IDX_API_TOKENS_ORG, "api_tokens", &["organization_id", "created_at"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["api_tokens"]).await
    }
}
