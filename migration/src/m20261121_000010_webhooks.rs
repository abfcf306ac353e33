//! Outbound webhooks for partners: the endpoints an organization registers, and one delivery row per
//! event per endpoint, written in the transaction of the change it reports (an outbox).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Events,
    Secret,
    Active,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    OrganizationId,
    EndpointId,
    EventId,
    EventType,
    ContactId,
    Body,
    State,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    ResponseStatus,
    Error,
    Log,
    DeliveredAt,
    CreatedAt,
}

pub const IDX_ENDPOINTS_ORG: &str = "idx_webhook_endpoints_organization";
pub const IDX_DELIVERIES_DUE: &str = "idx_webhook_deliveries_due";
pub const IDX_DELIVERIES_ORDER: &str = "idx_webhook_deliveries_order";
pub const IDX_DELIVERIES_LOG: &str = "idx_webhook_deliveries_log";
pub const UQ_DELIVERIES_EVENT: &str = "uq_webhook_deliveries_event";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(string(WebhookEndpoints::Url))
                    .col(json(WebhookEndpoints::Events))
                    .col(string(WebhookEndpoints::Secret))
                    .col(boolean(WebhookEndpoints::Active))
                    .col(uuid_null(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut organization_fk("webhook_endpoints"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::OrganizationId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(uuid(WebhookDeliveries::ContactId))
                    .col(text(WebhookDeliveries::Body))
                    .col(string(WebhookDeliveries::State))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LastAttemptAt))
                    .col(integer_null(WebhookDeliveries::ResponseStatus))
                    .col(string_null(WebhookDeliveries::Error))
                    .col(json(WebhookDeliveries::Log))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .foreign_key(&mut organization_fk("webhook_deliveries"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_endpoint")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(IDX_ENDPOINTS_ORG, "webhook_endpoints", &["organization_id", "active"], false),
                // The sender's scan serves every organization, so this one is led by what it looks for.
                index(IDX_DELIVERIES_DUE, "webhook_deliveries", &["state", "next_attempt_at"], false),
                index(
                    IDX_DELIVERIES_ORDER,
                    "webhook_deliveries",
                    &["organization_id", "endpoint_id", "contact_id", "id"],
                    false,
                ),
                index(
                    IDX_DELIVERIES_LOG,
                    "webhook_deliveries",
                    &["organization_id", "endpoint_id", "created_at"],
                    false,
                ),
                index(UQ_DELIVERIES_EVENT, "webhook_deliveries", &["organization_id", "endpoint_id", "event_id"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["webhook_deliveries", "webhook_endpoints"]).await
    }
}
