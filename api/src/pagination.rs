//! Relay cursor pagination over keyset queries: a page is "rows after this (value, id)", never an
//! offset, so pages stay correct while rows are added and cost the same deep in a list.

use std::{borrow::Cow, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
    sea_query::{Alias, CommonTableExpression, Expr, Func, SimpleExpr, WithClause},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub const MAX_PAGE: i32 = 200;
pub const DEFAULT_PAGE: i32 = 50;

/// The Relay arguments as a client sent them.
#[derive(Default, Clone)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A sort key value inside a cursor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "t", content = "v")]
pub enum KeyValue {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

impl From<KeyValue> for sea_orm::Value {
    fn from(v: KeyValue) -> Self {
        match v {
            KeyValue::Text(s) => s.into(),
            KeyValue::Time(t) => t.into(),
            KeyValue::Int(i) => i.into(),
        }
    }
}

/// An opaque cursor: which list and order it belongs to, in which organization, and the position.
#[derive(Serialize, Deserialize)]
struct Cursor {
    /// List and order, e.g. `contacts:LAST_ACTIVITY_AT`.
    k: String,
    o: Uuid,
    p: KeyValue,
    id: Uuid,
}

/// An edge's cursor, encoded only when a client reads it: most pages are read without their edges'
/// cursors, and encoding one for each of 50 rows cost a twentieth of a page's server time.
#[derive(Clone)]
pub struct EdgeCursor(Position);

#[derive(Clone)]
enum Position {
    InList {
        list: Arc<str>,
        organization_id: Uuid,
        position: KeyValue,
        id: Uuid,
    },
    /// A cursor of another kind, made by its list.
    Encoded(String),
}

impl EdgeCursor {
    pub fn encode(&self) -> String {
        match &self.0 {
            Position::InList { list, organization_id, position, id } => {
                let cursor = Cursor { k: list.to_string(), o: *organization_id, p: position.clone(), id: *id };
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
            }
            Position::Encoded(cursor) => cursor.clone(),
        }
    }
}

impl From<String> for EdgeCursor {
    fn from(encoded: String) -> Self {
        Self(Position::Encoded(encoded))
    }
}

/// A `String` to clients.
impl async_graphql::OutputType for EdgeCursor {
    fn type_name() -> Cow<'static, str> {
        <String as async_graphql::OutputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <String as async_graphql::OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _: &async_graphql::ContextSelectionSet<'_>,
        _: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> async_graphql::ServerResult<async_graphql::Value> {
        Ok(async_graphql::Value::String(self.encode()))
    }
}

/// One page request, validated.
pub struct Page {
    pub limit: u64,
    /// `last`/`before`: read in reverse and flip the rows back.
    pub backward: bool,
    position: Option<(KeyValue, Uuid)>,
    list: Arc<str>,
    organization_id: Uuid,
    /// The caller knows the filter matches few rows (see `fetch`).
    few: bool,
}

impl PageArgs {
    /// Validates the arguments for one list (`list` names the list and its order).
    pub fn resolve(self, list: &str, organization_id: Uuid) -> ApiResult<Page> {
        if self.first.is_some() && self.last.is_some() {
            return Err(ApiError::bad_input("first", "Use either first or last, not both"));
        }
        let (backward, size, cursor, field) = match (self.first, self.last) {
            (_, Some(last)) => (true, last, self.before, "last"),
            (first, None) => (false, first.unwrap_or(DEFAULT_PAGE), self.after, "first"),
        };
        if !(0..=MAX_PAGE).contains(&size) {
            return Err(ApiError::bad_input(field, format!("Must be between 0 and {MAX_PAGE}")));
        }
        let cursor_field = if backward { "before" } else { "after" };
        let position = cursor.map(|c| decode(&c, list, organization_id, cursor_field)).transpose()?;
        Ok(Page { limit: size as u64, backward, position, list: list.into(), organization_id, few: false })
    }
}

fn decode(raw: &str, list: &str, organization_id: Uuid, field: &str) -> ApiResult<(KeyValue, Uuid)> {
    let invalid =
        || ApiError::bad_input(field, "This cursor does not belong to this list: start again from the first page");
    let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| invalid())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor.k != list || cursor.o != organization_id {
        return Err(invalid());
    }
    Ok((cursor.p, cursor.id))
}

impl Page {
    /// Declares that the filter matches few rows whatever the count says, so the page is sorted rather
    /// than found by walking the order's index (see `fetch`).
    pub fn matching_few(mut self, few: bool) -> Self {
        self.few = few;
        self
    }

    pub fn cursor(&self, position: KeyValue, id: Uuid) -> EdgeCursor {
        EdgeCursor(Position::InList { list: self.list.clone(), organization_id: self.organization_id, position, id })
    }

    /// Orders `query` by `(key, id)` in `descending` or ascending order, starts after the cursor, and
    /// fetches one row more than the page to tell whether another page follows. With `few`, the order
    /// is written so no index can serve it: the database then finds the matching rows by the filter's
    /// best index and sorts them, instead of walking the order's index hoping to meet matches early.
    fn apply<E: EntityTrait>(
        &self,
        query: Select<E>,
        key: E::Column,
        id: E::Column,
        descending: bool,
        few: bool,
    ) -> Select<E> {
        let descending = descending != self.backward;
        let mut query = query;
        if let Some((value, last_id)) = &self.position {
            query = query.filter(beyond(key, id, value.clone().into(), *last_id, descending));
        }
        let order = if descending { Order::Desc } else { Order::Asc };
        let query = if few {
            let column = || Expr::col((key.entity_name(), key));
            query.order_by(SimpleExpr::from(Func::coalesce([column(), column()])), order.clone())
        } else {
            query.order_by(key, order.clone())
        };
        query.order_by(id, order).limit(self.limit + 1)
    }

    /// Trims the extra row and restores reading order; returns the rows and whether more follow.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> (Vec<T>, PageInfoFlags) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        if self.backward {
            rows.reverse();
        }
        let flags = if self.backward {
            PageInfoFlags { has_next_page: self.position.is_some(), has_previous_page: more }
        } else {
            PageInfoFlags { has_next_page: more, has_previous_page: self.position.is_some() }
        };
        (rows, flags)
    }
}

/// One page of rows with their cursors, whether more pages follow, and the list's total when asked for.
pub struct Fetched<M> {
    pub items: Vec<(EdgeCursor, M)>,
    pub flags: PageInfoFlags,
    pub total: i64,
}

impl Page {
    /// Runs `query` as this page, ordered by `(key, id)`; counts the whole list only when `want_total`.
    /// `position` gives a row's sort key and id, from which its cursor is made.
    #[allow(clippy::too_many_arguments)]
    pub async fn fetch<E: EntityTrait>(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        query: Select<E>,
        key: E::Column,
        id: E::Column,
        descending: bool,
        want_total: bool,
        position: impl Fn(&E::Model) -> (KeyValue, Uuid),
    ) -> ApiResult<Fetched<E::Model>>
    where
        E::Model: Sync,
    {
        if want_total && let Some((rows, total)) = self.counted_together(db, query.clone(), key, id, descending).await?
        {
            return Ok(self.items(rows, total, position));
        }
        let total = if want_total { sea_orm::PaginatorTrait::count(query.clone(), db).await? as i64 } else { 0 };
        // The exact count tells whether matches are few. Walking the order's index assumes they are
        // spread evenly along it; when the filter correlates with the order (contacts created in an old
        // month were also active long ago) that walk read 380,000 rows to find 51.
        let few = self.few || (want_total && total <= FEW_MATCHES);
        let rows = self.apply(query, key, id, descending, few).all(db).await?;
        Ok(self.items(rows, total, position))
    }

    fn items<M>(&self, rows: Vec<M>, total: i64, position: impl Fn(&M) -> (KeyValue, Uuid)) -> Fetched<M> {
        let (rows, flags) = self.finish(rows);
        let items = rows
            .into_iter()
            .map(|m| {
                let (value, id) = position(&m);
                (self.cursor(value, id), m)
            })
            .collect();
        Fetched { items, flags, total }
    }

    /// On PostgreSQL, a counted page of a list that matches at most `COUNTED_TOGETHER` rows, in one
    /// statement: the matches are gathered once, counted, and the page sorted from them; a count and a page
    /// as two statements read the matches twice and cost a second round trip. The gathering stops one row
    /// past the bound: `None` then, and the caller counts and pages as usual, having spent no more than
    /// that count would. The CTE takes the table's name, so the page's order and cursor conditions read
    /// its rows unchanged (inside its own body the name still means the table).
    async fn counted_together<E: EntityTrait>(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        query: Select<E>,
        key: E::Column,
        id: E::Column,
        descending: bool,
    ) -> ApiResult<Option<(Vec<E::Model>, i64)>> {
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(None);
        }
        let table = E::default().table_name().to_string();
        let matches = CommonTableExpression::new()
            .query(query.limit(COUNTED_TOGETHER + 1).into_query())
            .table_name(Alias::new(&table))
            .materialized(true)
            .to_owned();
        let mut page = self.apply(E::find(), key, id, descending, true).into_query();
        page.expr_as(Expr::cust(format!("(SELECT count(*) FROM \"{table}\")")), Alias::new(TOTAL));
        let statement = db.get_database_backend().build(&page.with(WithClause::new().cte(matches).to_owned()));
        let rows = db.query_all_raw(statement).await?;
        let total = match rows.first() {
            Some(row) => row.try_get::<i64>("", TOTAL)?,
            // Nothing matches at all, or (after a cursor) nothing is left: only the latter needs a count.
            None if self.position.is_none() => return Ok(Some((Vec::new(), 0))),
            None => return Ok(None),
        };
        if total > COUNTED_TOGETHER as i64 {
            return Ok(None);
        }
        let rows = rows.iter().map(|row| E::Model::from_query_result(row, "")).collect::<Result<_, _>>()?;
        Ok(Some((rows, total)))
    }
}

/// Matches up to which a counted page is answered in one statement (`Page::counted_together`).
const COUNTED_TOGETHER: u64 = 2_000;
const TOTAL: &str = "matches_total";

/// Up to this many matches, a counted page is sorted rather than found by walking an index in order.
const FEW_MATCHES: i64 = 20_000;

pub struct PageInfoFlags {
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

#[derive(async_graphql::SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn new(flags: PageInfoFlags, first: Option<&EdgeCursor>, last: Option<&EdgeCursor>) -> Self {
        Self {
            has_next_page: flags.has_next_page,
            has_previous_page: flags.has_previous_page,
            start_cursor: first.map(EdgeCursor::encode),
            end_cursor: last.map(EdgeCursor::encode),
        }
    }
}

/// Declares `NameConnection { edges, pageInfo, totalCount }` and `NameEdge { cursor, node }`; `edges` is a
/// `Vec<NameEdge>`, or a type of the caller's that resolves the same list its own way.
#[macro_export]
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        $crate::connection!($connection, $edge, $node, Vec<$edge>);
    };
    ($connection:ident, $edge:ident, $node:ty, $edges:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: $crate::pagination::EdgeCursor,
            pub node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            pub edges: $edges,
            pub page_info: $crate::pagination::PageInfo,
            /// How many items the whole list holds (counted only when asked for).
            pub total_count: i64,
        }

        impl $connection {
            #[allow(clippy::useless_conversion)]
            pub fn new(
                items: Vec<($crate::pagination::EdgeCursor, $node)>,
                flags: $crate::pagination::PageInfoFlags,
                total_count: i64,
            ) -> Self {
                let (first, last) = (items.first().map(|(c, _)| c), items.last().map(|(c, _)| c));
                let page_info = $crate::pagination::PageInfo::new(flags, first, last);
                let edges: Vec<$edge> = items.into_iter().map(|(cursor, node)| $edge { cursor, node }).collect();
                Self { edges: edges.into(), page_info, total_count }
            }
        }
    };
}

/// Whether the client selected `totalCount` on the connection being resolved, so the count query runs
/// only when someone reads it.
pub fn wants_total(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Rows after `(value, last_id)` in `(key, id)` order. The plain bound on `key` comes first so the
/// database can start an index range there; the `OR` alone would make it scan from the beginning and
/// filter, which at a million rows is the difference between milliseconds and seconds per page.
pub fn beyond<C: ColumnTrait>(key: C, id: C, value: sea_orm::Value, last_id: Uuid, descending: bool) -> Condition {
    let (bound, past, past_id) = if descending {
        (key.lte(value.clone()), key.lt(value.clone()), id.lt(last_id))
    } else {
        (key.gte(value.clone()), key.gt(value.clone()), id.gt(last_id))
    };
    Condition::all().add(bound).add(Condition::any().add(past).add(Condition::all().add(key.eq(value)).add(past_id)))
}
