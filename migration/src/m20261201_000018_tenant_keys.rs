//! Every key of a tenant table names its organization, so a distributed PostgreSQL (Citus) could
//! distribute each of them by `organization_id` as they are (docs/deployment.md). Primary keys on `id` become
//! `(id, organization_id)`: `id` stays first, so a lookup by id alone still walks the index. The two foreign
//! keys between tenant tables name the organization on both sides. A report row's key leads with its
//! organization, which makes the index that did so before redundant.
//!
//! `organizations`, `channels` (found by the provider's number id before the organization is known) and
//! `api_tokens` (found by hash) would be Citus reference tables: small, copied to every node, keyed freely.
//! SQLite is one embedded database: nothing changes there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tenant tables whose primary key was `id` alone.
const KEYED_BY_ID: [&str; 18] = [
    "audit_events",
    "consents",
    "contact_identifiers",
    "contacts",
    "conversations",
    "jobs",
    "listings",
    "merges",
    "messages",
    "notes",
    "pipeline_stages",
    "property_definitions",
    "reservations",
    "tags",
    "users",
    "verifications",
    "webhook_deliveries",
    "webhook_endpoints",
];

fn postgres_up() -> Vec<String> {
    let mut sql = vec![
        "ALTER TABLE contacts DROP CONSTRAINT fk_contacts_stage".to_owned(),
        "ALTER TABLE webhook_deliveries DROP CONSTRAINT fk_webhook_deliveries_endpoint".to_owned(),
    ];
    for table in KEYED_BY_ID {
        sql.push(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, organization_id)"
        ));
    }
    sql.extend([
        "ALTER TABLE contacts ADD CONSTRAINT fk_contacts_stage FOREIGN KEY (stage_id, organization_id) \
         REFERENCES pipeline_stages (id, organization_id) ON DELETE RESTRICT"
            .to_owned(),
        "ALTER TABLE webhook_deliveries ADD CONSTRAINT fk_webhook_deliveries_endpoint \
         FOREIGN KEY (endpoint_id, organization_id) REFERENCES webhook_endpoints (id, organization_id) ON DELETE CASCADE"
            .to_owned(),
        "ALTER TABLE job_rows DROP CONSTRAINT pk_job_rows, ADD CONSTRAINT pk_job_rows PRIMARY KEY (organization_id, job_id, row)"
            .to_owned(),
        "DROP INDEX idx_job_rows_organization_job_row".to_owned(),
    ]);
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql = vec![
        "CREATE INDEX idx_job_rows_organization_job_row ON job_rows (organization_id, job_id, row)".to_owned(),
        "ALTER TABLE job_rows DROP CONSTRAINT pk_job_rows, ADD CONSTRAINT pk_job_rows PRIMARY KEY (job_id, row)"
            .to_owned(),
        "ALTER TABLE contacts DROP CONSTRAINT fk_contacts_stage".to_owned(),
        "ALTER TABLE webhook_deliveries DROP CONSTRAINT fk_webhook_deliveries_endpoint".to_owned(),
    ];
    for table in KEYED_BY_ID {
        sql.push(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)"
        ));
    }
    sql.extend([
        "ALTER TABLE contacts ADD CONSTRAINT fk_contacts_stage FOREIGN KEY (stage_id) \
         REFERENCES pipeline_stages (id) ON DELETE RESTRICT"
            .to_owned(),
        "ALTER TABLE webhook_deliveries ADD CONSTRAINT fk_webhook_deliveries_endpoint \
         FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE"
            .to_owned(),
    ]);
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &postgres_up(), &[] as &[&str]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &postgres_down(), &[] as &[&str]).await
    }
}
