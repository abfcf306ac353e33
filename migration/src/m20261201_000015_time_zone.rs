//! An organization's time zone (IANA name), for date-only filters, funnel periods and the dates in
//! exports. Null means the default of its country (`values::TimeZone::of`), so no row needs filling.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    TimeZone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = ColumnDef::new(Organizations::TimeZone).string().null().to_owned();
        manager.alter_table(Table::alter().table(Organizations::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(Organizations::Table).drop_column(Organizations::TimeZone).to_owned();
        manager.alter_table(drop).await
    }
}
