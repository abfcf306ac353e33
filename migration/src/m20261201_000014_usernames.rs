//! Usernames as they are compared (`values::username`): lower case, without a leading `@`. Rows stored as
//! received before keep their contact; when two rows of an organization name the same username once
//! written so, the older row stays and the other goes (a username names one person at a time). The same
//! SQL runs on both databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The compared form of the value in `{c}`.
const FORM: &str = "lower(ltrim({c}, '@'))";

fn statements() -> Vec<String> {
    let form = |c: &str| FORM.replace("{c}", c);
    let (mine, other) = (form("contact_identifiers.value"), form("other.value"));
    vec![
        format!(
            "DELETE FROM contact_identifiers WHERE kind = 'USERNAME' AND EXISTS (SELECT 1 FROM contact_identifiers other \
             WHERE other.organization_id = contact_identifiers.organization_id AND other.kind = 'USERNAME' \
             AND {other} = {mine} AND (other.created_at < contact_identifiers.created_at \
             OR (other.created_at = contact_identifiers.created_at AND other.id < contact_identifiers.id)))"
        ),
        format!("UPDATE contact_identifiers SET value = {mine} WHERE kind = 'USERNAME' AND value <> {mine}"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = statements();
        crate::util::run_for_backend(manager, &sql, &sql).await
    }

    /// The original spelling is not recorded; the compared form names the same username.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
