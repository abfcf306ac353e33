//! The search text of a contact list: a fragment of the folded name, email or phone digits, or an exact
//! identity, as one condition on an already-scoped contact query.

use entity::{contact, contact_identifier as identifier, enums::IdentifierKind};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, LikeExpr, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    validate::fold,
    visibility::Visible,
};

const MAX_SEARCH_CHARS: usize = 100;

/// The condition a search adds to `scope` (the query it narrows, already scoped to what the caller may
/// see): the text fragment, or an exact identity. `None` when there is nothing to search for.
pub async fn condition(
    db: &impl ConnectionTrait,
    scope: &Visible,
    search: Option<&str>,
) -> ApiResult<Option<Condition>> {
    let Some(pattern) = search_pattern(search)? else { return Ok(None) };
    let text = text_condition(db, scope, pattern).await?;
    let term = search.unwrap_or_default();
    Ok(Some(Condition::any().add(text).add(identity_condition(db, scope.organization_id(), term))))
}

/// How SQLite decides between walking and the index: a fragment with at least `SQLITE_WALK_HITS` matches
/// among the organization's `SQLITE_PROBE_ROWS` most recently active contacts (1%) fills a page by walking.
const SQLITE_PROBE_ROWS: u32 = 300;
const SQLITE_WALK_HITS: i64 = 3;

/// The search text matching `pattern`. PostgreSQL answers it from its trigram index on `search_text`.
/// SQLite has an FTS5 trigram table (`contact_search`, keyed by `search_key`), which finds a rare fragment
/// at once but hands back every match of a common one for sorting, where walking the contacts in activity
/// order fills a page at once. A probe of the most recent contacts decides (LIKE runs on the index only
/// without an ESCAPE clause, which a pattern of plain characters does not need).
async fn text_condition(db: &impl ConnectionTrait, scope: &Visible, pattern: String) -> ApiResult<SimpleExpr> {
    let like = || contact::Column::SearchText.like(LikeExpr::new(pattern.clone()).escape('\\'));
    if db.get_database_backend() != DbBackend::Sqlite || pattern.trim_matches('%').contains('\\') {
        return Ok(like());
    }
    // The probe reads what the search itself may read: the caller's contacts, most recently active first.
    let recent = scope
        .clone()
        .into_select()
        .select_only()
        .column(contact::Column::SearchText)
        .order_by_desc(contact::Column::LastActivityAt)
        .limit(u64::from(SQLITE_PROBE_ROWS))
        .into_query();
    let probe = sea_orm::sea_query::Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(recent, Alias::new("recent"))
        .and_where(Expr::col((Alias::new("recent"), Alias::new("search_text"))).like(pattern.clone()))
        .to_owned();
    let counted = db.query_one(&probe).await?;
    if counted.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) >= SQLITE_WALK_HITS {
        return Ok(like());
    }
    let sql = "\"contacts\".\"search_key\" IN (SELECT rowid FROM contact_search WHERE search_text LIKE ?)";
    Ok(Expr::cust_with_values(sql, [pattern]))
}

/// The kinds of identity a search matches exactly (the phone is matched by its digits).
const SEARCHED_IDENTITIES: [IdentifierKind; 8] = [
    IdentifierKind::WaId,
    IdentifierKind::WaUserId,
    IdentifierKind::WaParentUserId,
    IdentifierKind::Username,
    IdentifierKind::TelegramId,
    IdentifierKind::WidgetSession,
    IdentifierKind::ApiId,
    IdentifierKind::External,
];

/// Contacts of the organization one of whose identities is exactly `term` (a leading `@` on a username is
/// ignored), in the search's own statement: one probe of the identities' unique index per kind, run once
/// (PostgreSQL reads the ids first, as an init plan, and still combines them with the trigram index;
/// SQLite runs the uncorrelated subquery once). Visibility applies to the query these ids join.
fn identity_condition(db: &impl ConnectionTrait, org: Uuid, term: &str) -> SimpleExpr {
    let term = term.trim();
    let mut values = vec![term.to_string()];
    // Usernames are stored as compared: lower case, without the `@`.
    let name = term.strip_prefix('@').unwrap_or(term).to_lowercase();
    if !name.is_empty() && !values.contains(&name) {
        values.push(name);
    }
    let ids = identifier::Entity::find()
        .select_only()
        .column(identifier::Column::ContactId)
        .filter(identifier::Column::OrganizationId.eq(org))
        .filter(identifier::Column::Kind.is_in(SEARCHED_IDENTITIES))
        .filter(identifier::Column::Value.is_in(values))
        .limit(50)
        .into_query();
    match db.get_database_backend() {
        // `IN (subquery)` under an OR would be a filter on every row; an array of ids stays indexable.
        DbBackend::Postgres => Expr::cust_with_exprs(
            "$1 = ANY(ARRAY $2)",
            [Expr::col((contact::Entity, contact::Column::Id)), Expr::SubQuery(None, Box::new(ids.into()))],
        ),
        _ => contact::Column::Id.in_subquery(ids),
    }
}

/// Whether a search is a phone fragment of at least five digits after the organization's country calling
/// code. Those match few contacts (tens in a million), but PostgreSQL estimates a digit fragment's matches
/// at 1% of the organization and walks the activity index looking for them: 800,000 rows and 1.5 s for a
/// fragment that the trigram index answers in 5 ms. The calling code does not count: "50688" (Costa Rica,
/// then a common first digit pair) matches a tenth of the organization, which the walk finds at once and a
/// sort would take 600 ms over.
pub fn is_long_phone_fragment(search: Option<&str>, country: &str) -> bool {
    let Some(digits) = search.and_then(|s| phone_digits(s.trim())) else { return false };
    let calling_code = phonenumber::metadata::DATABASE
        .by_id(country.to_ascii_uppercase().as_str())
        .map(|m| m.country_code().to_string())
        .unwrap_or_default();
    let local =
        if calling_code.is_empty() { &digits[..] } else { digits.strip_prefix(&calling_code).unwrap_or(&digits) };
    local.len() >= 5
}

/// The digits of a search written like a phone number (digits, spaces, `+ - ( ) .`); `None` otherwise.
fn phone_digits(raw: &str) -> Option<String> {
    raw.chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        .then(|| raw.chars().filter(char::is_ascii_digit).collect())
}

/// The LIKE pattern for a search: digits-only terms match phone digits, anything else the folded
/// name and email. `None` when there is nothing to search for.
pub fn search_pattern(search: Option<&str>) -> ApiResult<Option<String>> {
    let Some(raw) = search.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if raw.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_input("search", format!("Search at most {MAX_SEARCH_CHARS} characters")));
    }
    let term = phone_digits(raw).unwrap_or_else(|| fold(raw));
    if term.is_empty() {
        return Ok(None);
    }
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Ok(Some(format!("%{escaped}%")))
}

#[cfg(test)]
mod tests {
    use super::is_long_phone_fragment;

    #[test]
    fn only_phone_fragments_of_five_digits_or_more_count_as_narrow() {
        for narrow in ["41740", "+506 8888-1234", "(506) 88123", "50612345"] {
            assert!(is_long_phone_fragment(Some(narrow), "CR"), "{narrow}");
        }
        for broad in ["5068", "50688", "+506 88", "mari", "maria 50688", "", "88 8"] {
            assert!(!is_long_phone_fragment(Some(broad), "cr"), "{broad}");
        }
        assert!(is_long_phone_fragment(Some("50688"), "US"), "another country's code is just digits");
        assert!(!is_long_phone_fragment(None, "CR"));
    }
}
