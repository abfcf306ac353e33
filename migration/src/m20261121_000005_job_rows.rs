//! Per-row outcomes of import jobs, written with each batch so a resumed job's report is complete.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRows {
    Table,
    OrganizationId,
    JobId,
    Row,
    Outcome,
    Reason,
    ContactId,
}

pub const PK_JOB_ROWS: &str = "pk_job_rows";
pub const IDX_JOB_ROWS_JOB: &str = "idx_job_rows_organization_job_row";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRows::Table)
                    .col(uuid(JobRows::OrganizationId))
                    .col(uuid(JobRows::JobId))
                    .col(big_integer(JobRows::Row))
                    .col(string(JobRows::Outcome))
                    .col(text_null(JobRows::Reason))
                    .col(uuid_null(JobRows::ContactId))
                    .primary_key(Index::create().name(PK_JOB_ROWS).col(JobRows::JobId).col(JobRows::Row))
                    .foreign_key(&mut organization_fk("job_rows"))
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, vec![index(IDX_JOB_ROWS_JOB, "job_rows", &["organization_id", "job_id", "row"], false)])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["job_rows"]).await
    }
}
