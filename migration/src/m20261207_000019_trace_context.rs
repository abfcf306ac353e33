//! Jobs and partner webhook deliveries remember the W3C `traceparent` of the request that caused them, so
//! whichever server runs them later continues that request's trace. Empty when the request was not traced.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["jobs", "webhook_deliveries"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            let add = Table::alter()
                .table(Alias::new(table))
                .add_column(ColumnDef::new("traceparent").string().null())
                .to_owned();
            manager.alter_table(add).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.alter_table(Table::alter().table(Alias::new(table)).drop_column("traceparent").to_owned()).await?;
        }
        Ok(())
    }
}
