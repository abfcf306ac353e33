//! Duplicate candidates: groups of contacts the caller can see that are probably one person — the same
//! email, the same last eight phone digits (one number written with two country codes), or the same
//! name with the same last four phone digits.

use entity::contact;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};
use serde::{Deserialize, Serialize};

use crate::{auth::Actor, error::ApiResult, visibility::Visible};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize, Deserialize, async_graphql::Enum)]
pub enum DuplicateReason {
    SameEmail,
    SamePhoneDigits,
    SameNameAndPhoneDigits,
}

pub struct Group {
    pub reason: DuplicateReason,
    pub key: String,
    pub contacts: Vec<contact::Model>,
}

const REASONS: [DuplicateReason; 3] =
    [DuplicateReason::SameEmail, DuplicateReason::SamePhoneDigits, DuplicateReason::SameNameAndPhoneDigits];

/// SQL for the last `n` characters of the phone.
fn suffix(db: &impl ConnectionTrait, n: u32) -> String {
    match db.get_database_backend() {
        DbBackend::Postgres => format!("RIGHT(\"contacts\".\"phone\", {n})"),
        _ => format!("substr(\"contacts\".\"phone\", -{n})"),
    }
}

fn key_of(db: &impl ConnectionTrait, reason: DuplicateReason) -> SimpleExpr {
    match reason {
        DuplicateReason::SameEmail => Expr::col((contact::Entity, contact::Column::Email)),
        DuplicateReason::SamePhoneDigits => Expr::cust(suffix(db, 8)),
        DuplicateReason::SameNameAndPhoneDigits => {
            Expr::cust(format!("\"contacts\".\"sort_name\" || '|' || {}", suffix(db, 4)))
        }
    }
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
        let key = key_of(db, reason);
        let mut query = Visible::contacts(actor)
            .into_select()
            .select_only()
            .expr_as(key.clone(), "k")
            .filter(match reason {
                DuplicateReason::SameEmail => contact::Column::Email.is_not_null(),
                _ => contact::Column::Phone.is_not_null(),
            })
            .group_by(key.clone())
            .having(Expr::col(contact::Column::Id).count().gt(1))
            .order_by_asc(key.clone())
            .limit(limit - out.len() as u64);
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
                .limit(50)
                .all(db)
                .await?;
            out.push(Group { reason, key: k, contacts: members });
        }
    }
    Ok(out)
}
