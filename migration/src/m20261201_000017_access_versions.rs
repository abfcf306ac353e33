//! The catalog version (`m20261201_000012`) also names who may do what: a change to an organization bumps
//! it as a change to its users already does, and on PostgreSQL every bump is announced with NOTIFY on
//! `catalog_versions` (`<organization id>:<version>`), delivered when the transaction commits. Servers keep
//! the actors of recent tokens in memory and drop an organization's as soon as they hear of a newer version
//! (`api::auth::cache`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: [&str; 4] = [
    "CREATE FUNCTION organization_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
     INSERT INTO catalog_versions AS v (organization_id, version) VALUES (OLD.id, 1) \
     ON CONFLICT (organization_id) DO UPDATE SET version = v.version + 1; \
     RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER organization_touch AFTER UPDATE OR DELETE ON organizations \
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION organization_touch()",
    "CREATE FUNCTION catalog_announce() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
     PERFORM pg_notify('catalog_versions', NEW.organization_id::text || ':' || NEW.version); \
     RETURN NULL; END $$",
    "CREATE TRIGGER catalog_announce AFTER INSERT OR UPDATE ON catalog_versions \
     FOR EACH ROW EXECUTE FUNCTION catalog_announce()",
];

const POSTGRES_DOWN: [&str; 4] = [
    "DROP TRIGGER catalog_announce ON catalog_versions",
    "DROP FUNCTION catalog_announce()",
    "DROP TRIGGER organization_touch ON organizations",
    "DROP FUNCTION organization_touch()",
];

// SQLite has no server to tell: one process serves it, and it reads actors from the file every time.
const SQLITE_UP: [&str; 1] = ["CREATE TRIGGER organization_touch AFTER UPDATE ON organizations FOR EACH ROW BEGIN \
     INSERT INTO catalog_versions (organization_id, version) VALUES (OLD.id, 1) \
     ON CONFLICT (organization_id) DO UPDATE SET version = version + 1; END"];

const SQLITE_DOWN: [&str; 1] = ["DROP TRIGGER organization_touch"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &POSTGRES_UP, &SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &POSTGRES_DOWN, &SQLITE_DOWN).await
    }
}
