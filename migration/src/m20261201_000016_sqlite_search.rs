//! SQLite's fragment search through an index: an FTS5 table with the trigram tokenizer over each contact's
//! `search_text`, kept by triggers, so a fragment that matches nothing no longer reads the organization.
//! FTS5 needs an integer key per row; a table's rowid may change on VACUUM, so contacts get their own
//! (`search_key`, given on insert by a trigger). PostgreSQL already has its trigram index: nothing there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 8] = [
    "ALTER TABLE contacts ADD COLUMN search_key INTEGER",
    "UPDATE contacts SET search_key = rowid",
    "CREATE UNIQUE INDEX uq_contacts_search_key ON contacts (search_key)",
    "CREATE VIRTUAL TABLE contact_search USING fts5(search_text, content='contacts', content_rowid='search_key', tokenize='trigram')",
    "INSERT INTO contact_search(contact_search) VALUES ('rebuild')",
    "CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts BEGIN
        UPDATE contacts SET search_key = (SELECT COALESCE(MAX(search_key), 0) + 1 FROM contacts) WHERE rowid = NEW.rowid;
        INSERT INTO contact_search(rowid, search_text)
            SELECT search_key, search_text FROM contacts WHERE rowid = NEW.rowid;
    END",
    "CREATE TRIGGER contact_search_update AFTER UPDATE OF search_text ON contacts BEGIN
        INSERT INTO contact_search(contact_search, rowid, search_text) VALUES ('delete', OLD.search_key, OLD.search_text);
        INSERT INTO contact_search(rowid, search_text) VALUES (NEW.search_key, NEW.search_text);
    END",
    "CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts BEGIN
        INSERT INTO contact_search(contact_search, rowid, search_text) VALUES ('delete', OLD.search_key, OLD.search_text);
    END",
];

const DOWN: [&str; 6] = [
    "DROP TRIGGER IF EXISTS contact_search_delete",
    "DROP TRIGGER IF EXISTS contact_search_update",
    "DROP TRIGGER IF EXISTS contact_search_insert",
    "DROP TABLE IF EXISTS contact_search",
    "DROP INDEX IF EXISTS uq_contacts_search_key",
    "ALTER TABLE contacts DROP COLUMN search_key",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &[] as &[&str], &UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, &[] as &[&str], &DOWN).await
    }
}
