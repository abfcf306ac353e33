//! Duplicate candidates: groups of contacts the caller can see that are one person by what they share — the
//! same email (whatever its case) or the same phone line (one number, possibly stored in its other mobile
//! form before those forms were unified). Numbers that merely share digits are different people.

use entity::contact;
use sea_orm::{
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr},
};
use serde::{Deserialize, Serialize};

use crate::{auth::Actor, error::ApiResult, visibility::Visible};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize, async_graphql::Enum)]
pub enum DuplicateReason {
    /// The same email address, ignoring case.
    SameEmail,
    /// The same phone line: the same number, or its other mobile form (Brazil's ninth digit, Mexico's `1`,
    /// Argentina's `9`).
    SamePhone,
    #[graphql(deprecation = "Numbers that share digits are different people; groups now use SAME_PHONE.")]
    SamePhoneDigits,
    #[graphql(deprecation = "Numbers that share digits are different people; groups now use SAME_PHONE.")]
    SameNameAndPhoneDigits,
}

pub struct Group {
    pub reason: DuplicateReason,
    /// What the contacts share: the email in lower case, or the phone line in E.164.
    pub key: String,
    pub contacts: Vec<contact::Model>,
}

const REASONS: [DuplicateReason; 2] = [DuplicateReason::SameEmail, DuplicateReason::SamePhone];

/// At most this many contacts are shown per group; a merge takes a handful at a time.
const MEMBERS: u64 = 50;

fn key_of(reason: DuplicateReason) -> SimpleExpr {
    match reason {
        DuplicateReason::SameEmail => Func::lower(Expr::col((contact::Entity, contact::Column::Email))).into(),
        _ => Expr::cust(migration::canonical_phone_sql("\"contacts\".\"phone\"")),
    }
}

/// The keys shared by more than one visible contact, as a query.
fn shared_keys(actor: &Actor, reason: DuplicateReason) -> sea_orm::Select<contact::Entity> {
    let key = key_of(reason);
    Visible::contacts(actor)
        .into_select()
        .select_only()
        .expr_as(key.clone(), "k")
        .filter(match reason {
            DuplicateReason::SameEmail => contact::Column::Email.is_not_null(),
            _ => contact::Column::Phone.is_not_null(),
        })
        .group_by(key)
        .having(Expr::col(contact::Column::Id).count().gt(1))
}

/// Up to `limit` groups after `after` (reason, key), in that order.
pub async fn groups(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: Option<(DuplicateReason, String)>,
    limit: u64,
) -> ApiResult<Vec<Group>> {
    let mut out = Vec::new();
    for reason in REASONS {
        if out.len() as u64 >= limit || after.as_ref().is_some_and(|(r, _)| *r > reason) {
            continue;
        }
        let key = key_of(reason);
        let mut query = shared_keys(actor, reason).order_by_asc(key.clone()).limit(limit - out.len() as u64);
        if let Some((_, k)) = after.as_ref().filter(|(r, _)| *r == reason) {
            query = query.filter(key.clone().gt(k.clone()));
        }
        let keys: Vec<String> = query.into_tuple::<String>().all(db).await?;
        for k in keys {
            let members = Visible::contacts(actor)
                .filter(key.clone().eq(k.clone()))
                .into_select()
                .order_by_asc(contact::Column::CreatedAt)
                .order_by_asc(contact::Column::Id)
                .limit(MEMBERS)
                .all(db)
                .await?;
            out.push(Group { reason, key: k, contacts: members });
        }
    }
    Ok(out)
}

/// How many groups the whole list holds.
pub async fn count(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<i64> {
    let mut total = 0;
    for reason in REASONS {
        let counted = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(shared_keys(actor, reason).into_query(), Alias::new("shared"))
            .to_owned();
        let row = db.query_one(&counted).await?;
        total += row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0);
    }
    Ok(total)
}
