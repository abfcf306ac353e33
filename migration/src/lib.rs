//! Append-only schema migrations. They run at start-up and with `api migrate`; never edit one that
//! has shipped, add a new file instead.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_tenancy;
mod m20261121_000002_contacts;
mod m20261121_000003_conversations;
mod m20261121_000004_operations;
mod m20261121_000005_job_rows;
mod m20261121_000006_merges;
mod m20261121_000007_search_indexes;
mod m20261121_000008_api_tokens;
mod m20261121_000009_consents;
mod m20261121_000010_webhooks;
mod m20261121_000011_tag_segments;
mod m20261201_000012_catalog_versions;
mod m20261201_000013_phone_forms;
mod m20261201_000014_usernames;
mod m20261201_000015_time_zone;
mod m20261201_000016_sqlite_search;
mod m20261201_000017_access_versions;
mod m20261201_000018_tenant_keys;
mod m20261207_000019_trace_context;
mod m20261207_000020_segments;
mod m20261207_000021_segment_members;
pub use m20261201_000013_phone_forms::canonical_sql as canonical_phone_sql;
mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_tenancy::Migration),
            Box::new(m20261121_000002_contacts::Migration),
            Box::new(m20261121_000003_conversations::Migration),
            Box::new(m20261121_000004_operations::Migration),
            Box::new(m20261121_000005_job_rows::Migration),
            Box::new(m20261121_000006_merges::Migration),
            Box::new(m20261121_000007_search_indexes::Migration),
            Box::new(m20261121_000008_api_tokens::Migration),
            Box::new(m20261121_000009_consents::Migration),
            Box::new(m20261121_000010_webhooks::Migration),
            Box::new(m20261121_000011_tag_segments::Migration),
            Box::new(m20261201_000012_catalog_versions::Migration),
            Box::new(m20261201_000013_phone_forms::Migration),
            Box::new(m20261201_000014_usernames::Migration),
            Box::new(m20261201_000015_time_zone::Migration),
            Box::new(m20261201_000016_sqlite_search::Migration),
            Box::new(m20261201_000017_access_versions::Migration),
            Box::new(m20261201_000018_tenant_keys::Migration),
            Box::new(m20261207_000019_trace_context::Migration),
            Box::new(m20261207_000020_segments::Migration),
            Box::new(m20261207_000021_segment_members::Migration),
        ]
    }
}
