//! A version number per organization for its funnel stages and members, which servers keep in memory
//! (`api::catalog`). The database bumps it itself, by trigger, in the transaction that changes a stage or
//! a user, so no write path can forget it; each request reads it with its actor and so never answers
//! from an older copy than what it can see.
//!
//! On PostgreSQL the triggers are deferred to commit: the version row is then locked only while the
//! transaction commits, when it waits for nothing else, so two transactions cannot deadlock over it.
//! SQLite has one writer at a time. The row has no foreign key: a bump at commit must not depend on
//! the order in which a transaction removed things.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogVersions {
    Table,
    OrganizationId,
    Version,
}

const TABLES: [&str; 2] = ["pipeline_stages", "users"];

fn postgres_up() -> Vec<String> {
    let mut sql = vec![
        // NEW is null on DELETE and OLD on INSERT; an UPDATE that moves a row bumps both organizations.
        "CREATE FUNCTION catalog_touch() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE org uuid; BEGIN \
         FOREACH org IN ARRAY ARRAY[NEW.organization_id, OLD.organization_id] LOOP \
         CONTINUE WHEN org IS NULL; \
         INSERT INTO catalog_versions AS v (organization_id, version) VALUES (org, 1) \
         ON CONFLICT (organization_id) DO UPDATE SET version = v.version + 1; \
         END LOOP; RETURN NULL; END $$"
            .to_owned(),
    ];
    for table in TABLES {
        sql.push(format!(
            "CREATE CONSTRAINT TRIGGER catalog_touch AFTER INSERT OR UPDATE OR DELETE ON {table} \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_touch()"
        ));
    }
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql: Vec<String> = TABLES.iter().map(|t| format!("DROP TRIGGER catalog_touch ON {t}")).collect();
    sql.push("DROP FUNCTION catalog_touch()".to_owned());
    sql
}

fn sqlite_up() -> Vec<String> {
    let bump = |row: &str| {
        format!(
            "INSERT INTO catalog_versions (organization_id, version) VALUES ({row}.organization_id, 1) \
             ON CONFLICT (organization_id) DO UPDATE SET version = version + 1;"
        )
    };
    let mut sql = Vec::new();
    for table in TABLES {
        // An update bumps the organization before and after (twice when it stays: harmless).
        for (event, bumps) in [("insert", bump("NEW")), ("update", bump("NEW") + &bump("OLD")), ("delete", bump("OLD"))]
        {
            sql.push(format!(
                "CREATE TRIGGER catalog_touch_{table}_{event} AFTER {event} ON {table} FOR EACH ROW BEGIN {bumps} END"
            ));
        }
    }
    sql
}

fn sqlite_down() -> Vec<String> {
    let mut sql = Vec::new();
    for table in TABLES {
        for event in ["insert", "update", "delete"] {
            sql.push(format!("DROP TRIGGER catalog_touch_{table}_{event}"));
        }
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogVersions::Table)
                    .col(ColumnDef::new(CatalogVersions::OrganizationId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(CatalogVersions::Version).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO catalog_versions (organization_id, version) SELECT id, 0 FROM organizations",
        )
        .await?;
        crate::util::run_for_backend(manager, &postgres_up(), &sqlite_up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &postgres_down(), &sqlite_down()).await?;
        manager.drop_table(Table::drop().table(CatalogVersions::Table).to_owned()).await
    }
}
