//! Background jobs, the audit trail, identity verifications and reservations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    OrganizationId,
    Kind,
    State,
    CreatedBy,
    Params,
    InputFile,
    ResultFile,
    Total,
    Processed,
    CreatedCount,
    UpdatedCount,
    Skipped,
    Invalid,
    Checkpoint,
    Error,
    CancelRequested,
    LockedBy,
    LockedUntil,
    Attempts,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    ContactId,
    ActorUserId,
    ActorKind,
    Kind,
    Before,
    After,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
    OrganizationId,
    ContactId,
    Status,
    Link,
    DocumentType,
    IssuingCountry,
    ExternalId,
    VerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    OrganizationId,
    ContactId,
    ListingId,
    Unit,
    ReservedAt,
    AmountMinor,
    Currency,
    PaymentStatus,
    PaymentReference,
    CreatedAt,
    UpdatedAt,
}

pub const IDX_JOBS_ORG: &str = "idx_jobs_organization_kind_created";
/// Workers look for claimable jobs across organizations.
pub const IDX_JOBS_CLAIM: &str = "idx_jobs_state_created";
pub const IDX_AUDIT_CONTACT: &str = "idx_audit_events_organization_contact_created";
pub const IDX_AUDIT_ORG: &str = "idx_audit_events_organization_created";
pub const UQ_VERIFICATIONS_CONTACT: &str = "uq_verifications_organization_contact";
pub const IDX_RESERVATIONS_CONTACT: &str = "idx_reservations_organization_contact";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_uuid(Jobs::Id))
                    .col(uuid(Jobs::OrganizationId))
                    .col(string(Jobs::Kind))
                    .col(string(Jobs::State))
                    .col(uuid_null(Jobs::CreatedBy))
                    .col(json(Jobs::Params))
                    .col(string_null(Jobs::InputFile))
                    .col(string_null(Jobs::ResultFile))
                    .col(big_integer(Jobs::Total))
                    .col(big_integer(Jobs::Processed))
                    .col(big_integer(Jobs::CreatedCount))
                    .col(big_integer(Jobs::UpdatedCount))
                    .col(big_integer(Jobs::Skipped))
                    .col(big_integer(Jobs::Invalid))
                    .col(big_integer(Jobs::Checkpoint))
                    .col(text_null(Jobs::Error))
                    .col(boolean(Jobs::CancelRequested))
                    .col(string_null(Jobs::LockedBy))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(integer(Jobs::Attempts))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .foreign_key(&mut organization_fk("jobs"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(uuid(AuditEvents::OrganizationId))
                    .col(uuid_null(AuditEvents::ContactId))
                    .col(uuid_null(AuditEvents::ActorUserId))
                    .col(string(AuditEvents::ActorKind))
                    .col(string(AuditEvents::Kind))
                    .col(json_null(AuditEvents::Before))
                    .col(json_null(AuditEvents::After))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .foreign_key(&mut organization_fk("audit_events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Verifications::Table)
                    .col(pk_uuid(Verifications::Id))
                    .col(uuid(Verifications::OrganizationId))
                    .col(uuid(Verifications::ContactId))
                    .col(string(Verifications::Status))
                    .col(string_null(Verifications::Link))
                    .col(string_null(Verifications::DocumentType))
                    .col(string_null(Verifications::IssuingCountry))
                    .col(string_null(Verifications::ExternalId))
                    .col(timestamp_with_time_zone_null(Verifications::VerifiedAt))
                    .col(timestamp_with_time_zone(Verifications::CreatedAt))
                    .col(timestamp_with_time_zone(Verifications::UpdatedAt))
                    .foreign_key(&mut organization_fk("verifications"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .col(pk_uuid(Reservations::Id))
                    .col(uuid(Reservations::OrganizationId))
                    .col(uuid(Reservations::ContactId))
                    .col(uuid_null(Reservations::ListingId))
                    .col(string_null(Reservations::Unit))
                    .col(timestamp_with_time_zone(Reservations::ReservedAt))
                    .col(big_integer(Reservations::AmountMinor))
                    .col(string(Reservations::Currency))
                    .col(string(Reservations::PaymentStatus))
                    .col(string_null(Reservations::PaymentReference))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone(Reservations::UpdatedAt))
                    .foreign_key(&mut organization_fk("reservations"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(IDX_JOBS_ORG, "jobs", &["organization_id", "kind", "created_at"], false),
                index(IDX_JOBS_CLAIM, "jobs", &["state", "created_at"], false),
                index(IDX_AUDIT_CONTACT, "audit_events", &["organization_id", "contact_id", "created_at", "id"], false),
                index(IDX_AUDIT_ORG, "audit_events", &["organization_id", "created_at", "id"], false),
                index(UQ_VERIFICATIONS_CONTACT, "verifications", &["organization_id", "contact_id"], true),
                index(IDX_RESERVATIONS_CONTACT, "reservations", &["organization_id", "contact_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["reservations", "verifications", "audit_events", "jobs"]).await
    }
}
