//! Mobile numbers in their one canonical form (`mobile_form` in `api/src/values.rs`, `docs/decisions.md`): Brazil's
//! with the ninth digit, Mexico's without the `1` after +52, Argentina's with the `9` after +54. Rows
//! written before in the other form move to it, on the contact (its phone and the digits its search text
//! holds) and on its phone identity; a row whose canonical form another contact of the organization
//! already holds stays as it is, for the duplicate candidates to show. The same SQL runs on both
//! databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (condition on a phone, its canonical form), each over the column named `{c}`.
const FORMS: [(&str, &str); 3] = [
    (
        "{c} LIKE '+55%' AND length({c}) = 13 AND substr({c}, 6, 1) IN ('6', '7', '8', '9')",
        "'+55' || substr({c}, 4, 2) || '9' || substr({c}, 6)",
    ),
    ("{c} LIKE '+521%' AND length({c}) = 14", "'+52' || substr({c}, 5)"),
    ("{c} LIKE '+54%' AND length({c}) = 13 AND substr({c}, 4, 1) <> '9'", "'+549' || substr({c}, 4)"),
];

/// SQL for the canonical form of the phone in `column` (the column itself when it is already canonical):
/// duplicate candidates group on it, so a row left in the other form meets its twin.
pub fn canonical_sql(column: &str) -> String {
    let whens: String = FORMS
        .iter()
        .map(|(when, form)| format!(" WHEN {} THEN {}", when.replace("{c}", column), form.replace("{c}", column)))
        .collect();
    format!("(CASE{whens} ELSE {column} END)")
}

fn statements() -> Vec<String> {
    let mut sql = Vec::new();
    for (when, form) in FORMS {
        let on = |c: &str| (when.replace("{c}", c), form.replace("{c}", c));
        let (when_c, form_c) = on("contacts.phone");
        sql.push(format!(
            "UPDATE contacts SET phone = {form_c}, \
             search_text = replace(search_text, substr(contacts.phone, 2), substr({form_c}, 2)) \
             WHERE {when_c} AND NOT EXISTS (SELECT 1 FROM contacts other \
             WHERE other.organization_id = contacts.organization_id AND other.phone = {form_c})"
        ));
        let (when_i, form_i) = on("contact_identifiers.value");
        sql.push(format!(
            "UPDATE contact_identifiers SET value = {form_i} \
             WHERE contact_identifiers.kind = 'PHONE' AND {when_i} AND NOT EXISTS (SELECT 1 FROM contact_identifiers other \
             WHERE other.organization_id = contact_identifiers.organization_id AND other.kind = 'PHONE' \
             AND other.value = {form_i})"
        ));
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = statements();
        crate::util::run_for_backend(manager, &sql, &sql).await
    }

    /// The other form is not recorded, and both name the same line: nothing to undo.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
