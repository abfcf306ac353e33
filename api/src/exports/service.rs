//! Export rules: what an export selects (all, filtered or selected, always within sight), starting one,
//! and the download history.

use chrono::{DateTime, Utc};
use entity::{
    contact,
    enums::{JobKind, UserRole},
    job,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    columns::{self, Language},
    writer::Format,
};
use crate::{
    auth::Actor,
    contacts::filter::{ContactFilter, apply},
    error::{ApiError, ApiResult},
    jobs::queue,
    pagination::{Fetched, KeyValue, PageArgs},
    visibility::Visible,
};

/// Ids an export by selection may name.
pub const MAX_IDS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    All,
    Filtered,
    Selected,
    /// A segment's filter and search as they were when the export started.
    Segment,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ExportParams {
    pub format: Format,
    pub scope: Scope,
    pub language: Language,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
    pub ids: Option<Vec<Uuid>>,
    pub columns: Option<Vec<String>>,
    pub include_hidden: bool,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// The creator's role when the export ran: a file made with an admin's sight is not handed back to
    /// its creator after a demotion.
    #[serde(default)]
    pub created_as: Option<UserRole>,
    /// The segment exported, with scope SEGMENT.
    #[serde(default)]
    pub segment_id: Option<Uuid>,
}

impl ExportParams {
    /// The contacts exported: always inside what the actor can see now.
    pub async fn query(&self, db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Visible> {
        let dates =
            ContactFilter { created_from: self.created_from, created_to: self.created_to, ..Default::default() };
        let scoped = Visible::contacts(actor);
        match self.scope {
            Scope::All => apply(db, scoped, &dates, None).await,
            Scope::Selected => {
                let ids = self.ids.clone().unwrap_or_default();
                apply(db, scoped.filter(contact::Column::Id.is_in(ids)), &dates, None).await
            }
            Scope::Filtered | Scope::Segment => {
                let mut filter = self.filter.clone().unwrap_or_default();
                filter.created_from = self.created_from.or(filter.created_from);
                filter.created_to = self.created_to.or(filter.created_to);
                apply(db, scoped, &filter, self.search.as_deref()).await
            }
        }
    }

    fn check(&self) -> ApiResult<()> {
        let has_filter = self.filter.is_some() || self.search.as_deref().is_some_and(|s| !s.trim().is_empty());
        match self.scope {
            Scope::All if has_filter || self.ids.is_some() => {
                Err(ApiError::bad_input("scope", "Scope ALL takes no filter, search or ids; use FILTERED or SELECTED"))
            }
            Scope::Filtered if !has_filter => {
                Err(ApiError::bad_input("filter", "Scope FILTERED needs a filter or search"))
            }
            Scope::Segment if self.segment_id.is_none() || self.ids.is_some() => {
                Err(ApiError::bad_input("segmentId", "Scope SEGMENT takes a segment id, and no ids"))
            }
            Scope::Selected if self.ids.as_ref().is_none_or(Vec::is_empty) => {
                Err(ApiError::bad_input("ids", "Scope SELECTED needs the ids of the contacts"))
            }
            Scope::Selected if self.ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) => {
                Err(ApiError::bad_input("ids", format!("Select at most {MAX_IDS} ids, or use a filter")))
            }
            _ if self.created_from.zip(self.created_to).is_some_and(|(from, to)| from > to) => {
                Err(ApiError::bad_input("createdFrom", "createdFrom is after createdTo"))
            }
            _ => Ok(()),
        }
    }
}

/// Queues an export. Viewers cannot export; everyone else exports what they can see.
pub async fn start(db: &impl ConnectionTrait, actor: &Actor, params: ExportParams) -> ApiResult<job::Model> {
    actor.require_writer()?;
    params.check()?;
    let params = ExportParams { created_as: Some(actor.role()), ..params };
    // Unknown columns and a bad filter are refused now, not in a job that fails later.
    columns::resolve(db, actor.organization_id(), params.include_hidden, params.columns.as_deref()).await?;
    params.query(db, actor).await?;
    let value = serde_json::to_value(&params).map_err(ApiError::internal)?;
    queue::enqueue(db, actor, JobKind::Export, value, None).await
}

/// Owners and admins see every export of the organization; others only their own (a file holds what
/// its creator could see).
fn history(actor: &Actor) -> Select<job::Entity> {
    let query = job::Entity::find()
        .filter(job::Column::OrganizationId.eq(actor.organization_id()))
        .filter(job::Column::Kind.eq(JobKind::Export));
    if actor.is_admin() { query } else { query.filter(job::Column::CreatedBy.eq(actor.user_id())) }
}

pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<job::Model> {
    history(actor).filter(job::Column::Id.eq(id)).one(db).await?.ok_or_else(|| ApiError::not_found("Export"))
}

/// The download history, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<job::Model>> {
    let page = args.resolve("exports", actor.organization_id())?;
    page.fetch(db, history(actor), job::Column::CreatedAt, job::Column::Id, true, want_total, |j| {
        (KeyValue::Time(j.created_at), j.id)
    })
    .await
}
