//! Which contacts a bulk action touches.

use entity::contact;
use sea_orm::{ColumnTrait, ConnectionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Actor,
    contacts::filter::{ContactFilter, apply},
    error::{ApiError, ApiResult},
    visibility::Visible,
};

pub const MAX_IDS: usize = 10_000;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Selection {
    pub ids: Option<Vec<Uuid>>,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
}

impl Selection {
    /// The visible contacts selected: ids the actor cannot see simply do not match.
    pub async fn query(&self, db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Visible> {
        let field = "selection";
        match (&self.ids, &self.filter, &self.search) {
            (Some(ids), None, None) => {
                if ids.is_empty() {
                    return Err(ApiError::bad_input(field, "The selection is empty"));
                }
                if ids.len() > MAX_IDS {
                    return Err(ApiError::bad_input(field, format!("Select at most {MAX_IDS} ids, or use a filter")));
                }
                Ok(Visible::contacts(actor).filter(contact::Column::Id.is_in(ids.clone())))
            }
            (None, filter, search) if filter.is_some() || search.is_some() => {
                apply(db, Visible::contacts(actor), &filter.clone().unwrap_or_default(), search.as_deref()).await
            }
            (None, _, _) => Err(ApiError::bad_input(field, "The selection is empty: give ids, or a filter and search")),
            (Some(_), _, _) => Err(ApiError::bad_input(field, "Give either ids or a filter and search, not both")),
        }
    }

    /// How many ids were asked for (for `notFound`), when the selection is by id.
    pub fn requested(&self) -> Option<u64> {
        self.ids.as_ref().map(|ids| {
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            unique.len() as u64
        })
    }
}
