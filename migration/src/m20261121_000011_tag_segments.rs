//! Segments by tag and creation date ("tagged Beach house, arrived last month", often with a stage) answered
//! from one index. Each tag link carries a copy of its contact's creation time, filled by the database
//! itself (a trigger), so the filter finds the tag's contacts of the window in one range of
//! `(organization, tag, created)` instead of joining every contact of the tag (about 30,000 at a million
//! contacts) to every contact of the stage and window.
//!
//! Only the creation time is copied: it never changes, so the copy cannot go stale. A copy of the stage
//! would narrow further but could: a link written while another transaction moves its contact to another
//! stage sees neither the other's change, and locking the contact to prevent that made concurrent tag writes
//! deadlock. The copy is not in the entity: only the tag filter reads it, and no write path can forget it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const IDX_CONTACT_TAGS_CREATED: &str = "idx_contact_tags_organization_tag_created";

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE contact_tags ADD COLUMN contact_created_at timestamptz",
    // The trigger first, so a link written while the rows are filled is not missed.
    "CREATE FUNCTION contact_tags_copy_created() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
     SELECT created_at INTO NEW.contact_created_at FROM contacts WHERE id = NEW.contact_id; RETURN NEW; END $$",
    "CREATE TRIGGER contact_tags_copy_created BEFORE INSERT ON contact_tags \
     FOR EACH ROW EXECUTE FUNCTION contact_tags_copy_created()",
    "UPDATE contact_tags t SET contact_created_at = c.created_at FROM contacts c WHERE c.id = t.contact_id",
];

const POSTGRES_DOWN: &[&str] =
    &["DROP TRIGGER contact_tags_copy_created ON contact_tags", "DROP FUNCTION contact_tags_copy_created()"];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE contact_tags ADD COLUMN contact_created_at timestamp_with_timezone_text",
    "CREATE TRIGGER contact_tags_copy_created AFTER INSERT ON contact_tags FOR EACH ROW BEGIN \
     UPDATE contact_tags SET contact_created_at = (SELECT created_at FROM contacts c WHERE c.id = NEW.contact_id) \
     WHERE organization_id = NEW.organization_id AND contact_id = NEW.contact_id AND tag_id = NEW.tag_id; END",
    "UPDATE contact_tags SET \
     contact_created_at = (SELECT created_at FROM contacts c WHERE c.id = contact_tags.contact_id)",
];

const SQLITE_DOWN: &[&str] = &["DROP TRIGGER contact_tags_copy_created"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::run_for_backend(manager, POSTGRES_UP, SQLITE_UP).await?;
        manager
            .create_index(crate::util::index(
                IDX_CONTACT_TAGS_CREATED,
                "contact_tags",
                &["organization_id", "tag_id", "contact_created_at", "contact_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(IDX_CONTACT_TAGS_CREATED).table(Alias::new("contact_tags")).to_owned())
            .await?;
        crate::util::run_for_backend(manager, POSTGRES_DOWN, SQLITE_DOWN).await?;
        manager.get_connection().execute_unprepared("ALTER TABLE contact_tags DROP COLUMN contact_created_at").await?;
        Ok(())
    }
}
