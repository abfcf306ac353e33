//! Segments as GraphQL: the `Segment` type with its contacts, count and stages under the reader's
//! visibility, listing them, and managing them. A segment's filter is kept in `ContactFilter`'s own shape
//! and read again at each use, so it means today what the same filter means in the contacts list.

use async_graphql::{Context, Enum, ID, InputObject, InputType, Json, Name, Object, SimpleObject, Value};
use chrono::{DateTime, Utc};
use entity::segment;

mod live;

pub use live::SegmentSubscription;

use super::service::{self, Definition, NewSegment, SegmentPatch};
use crate::{
    contacts::{
        graphql::{
            inputs::{ContactFilter, ContactOrder, ContactOrderField, OrderDirection},
            page::ContactConnection,
            query::connection,
        },
        list::ListQuery,
    },
    error::ApiError,
    graphql::{
        context::{actor, db, loaders, parse_id, reads, zone},
        types::DeletePayload,
    },
    pagination::{PageArgs, wants_total},
    pipeline::graphql::PipelineStage,
    users::graphql::User,
    visibility::Visible,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SegmentVisibility {
    /// Only its creator sees it.
    Private,
    /// The whole team sees it (admins manage it); each reader sees only the contacts they may see.
    Shared,
}

impl SegmentVisibility {
    fn stored(self) -> &'static str {
        match self {
            Self::Private => service::PRIVATE,
            Self::Shared => service::SHARED,
        }
    }
}

#[derive(InputObject)]
pub struct CreateSegmentInput {
    pub name: String,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
    /// Default: most recent activity first.
    pub order_by: Option<ContactOrder>,
    #[graphql(default_with = "SegmentVisibility::Private")]
    pub visibility: SegmentVisibility,
}

/// Every field optional; `filter`, `search` and `orderBy` replace the segment's selection together.
#[derive(InputObject)]
pub struct UpdateSegmentInput {
    pub name: Option<String>,
    pub filter: Option<ContactFilter>,
    pub search: Option<String>,
    pub order_by: Option<ContactOrder>,
    pub visibility: Option<SegmentVisibility>,
}

/// A part of the filter that names something that no longer exists; the segment keeps it.
#[derive(SimpleObject)]
pub struct SegmentProblem {
    /// The filter's field: `statusIds`, `tagIds`, `assigneeIds`, `listingIds` or `properties`.
    pub field: String,
    pub message: String,
}

/// A count for the reader. `exact: false` means "at least `value`": counting took longer than its budget.
#[derive(SimpleObject)]
pub struct SegmentCount {
    pub value: i64,
    pub exact: bool,
}

#[derive(SimpleObject)]
pub struct SegmentStage {
    pub stage: PipelineStage,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct SegmentOrder {
    pub field: ContactOrderField,
    pub direction: OrderDirection,
}

/// A segment, with the reader's scope of it built once for all its fields (`count` and `stages` both need it).
pub struct Segment(pub segment::Model, tokio::sync::OnceCell<Visible>);

impl From<segment::Model> for Segment {
    fn from(model: segment::Model) -> Self {
        Self(model, tokio::sync::OnceCell::new())
    }
}

/// What a segment selects, read back into the filter a reader's query applies.
pub struct Selected {
    pub filter: crate::contacts::filter::ContactFilter,
    pub search: Option<String>,
    pub order: ContactOrder,
}

impl Segment {
    fn order(&self) -> ContactOrder {
        let field = ContactOrderField::parse(Some(Value::Enum(Name::new(&self.0.order_field))))
            .unwrap_or(ContactOrderField::LastActivityAt);
        let direction = if self.0.order_descending { OrderDirection::Desc } else { OrderDirection::Asc };
        ContactOrder { field, direction }
    }

    /// The filter as saved, read back into the input type.
    fn stored_filter(&self) -> Result<ContactFilter, ApiError> {
        let stored = Value::from_json(self.0.filter.clone()).ok();
        ContactFilter::parse(stored)
            .map_err(|_| ApiError::Internal(format!("segment {} holds a filter that no longer reads", self.0.id)))
    }

    /// The segment's selection for the caller, dates read in the organization's time zone.
    pub fn selected(&self, ctx: &Context<'_>) -> Result<Selected, ApiError> {
        let filter = self.stored_filter()?.into_domain(&zone(ctx)?)?;
        Ok(Selected { filter, search: self.0.search.clone(), order: self.order() })
    }

    /// The caller's visible contacts in the segment, unordered; built once per segment and request.
    async fn visible(&self, ctx: &Context<'_>) -> async_graphql::Result<Visible> {
        let scope = self
            .1
            .get_or_try_init(|| async {
                let actor = actor(ctx)?;
                let selected = self.selected(ctx)?;
                let scope = Visible::contacts(actor);
                crate::contacts::filter::apply(reads(ctx).db(), scope, &selected.filter, selected.search.as_deref())
                    .await
            })
            .await?;
        Ok(scope.clone())
    }
}

#[Object]
impl Segment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The filter as it was saved, in `ContactFilter`'s shape: send it back as is to change the segment.
    async fn filter(&self) -> Json<serde_json::Value> {
        Json(self.0.filter.clone())
    }

    async fn search(&self) -> Option<&str> {
        self.0.search.as_deref()
    }

    async fn order_by(&self) -> SegmentOrder {
        let order = self.order();
        SegmentOrder { field: order.field, direction: order.direction }
    }

    async fn visibility(&self) -> SegmentVisibility {
        if self.0.visibility == service::SHARED { SegmentVisibility::Shared } else { SegmentVisibility::Private }
    }

    /// Null for a shared segment made with an API token, or when its creator left.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.created_by else { return Ok(None) };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Tags, stages, members, listings or properties the filter names that no longer exist.
    async fn problems(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SegmentProblem>> {
        let selected = self.selected(ctx)?;
        let found = service::problems(db(ctx), self.0.organization_id, &selected.filter).await?;
        Ok(found.into_iter().map(|p| SegmentProblem { field: p.field.to_string(), message: p.message }).collect())
    }

    /// How many of the segment's contacts the caller may see. Null, with an UNAVAILABLE error, when even a
    /// floor could not be counted in time: one slow segment does not take the list down with it.
    async fn count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SegmentCount>> {
        let counted = if self.0.members_built_at.is_some() {
            super::kept_count(reads(ctx).db(), actor(ctx)?, self.0.id).await?
        } else {
            super::count(reads(ctx).db(), self.visible(ctx).await?.into_select()).await?
        };
        Ok(Some(SegmentCount { value: i64::try_from(counted.value).unwrap_or(i64::MAX), exact: counted.exact }))
    }

    /// The caller's contacts of the segment per stage, in the funnel's order (stages without any included),
    /// for the list's header. Null, with an UNAVAILABLE error, when counting takes longer than its budget.
    async fn stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<SegmentStage>>> {
        let counts = if self.0.members_built_at.is_some() {
            super::kept_by_stage(reads(ctx).db(), actor(ctx)?, self.0.id).await?
        } else {
            super::by_stage(reads(ctx).db(), self.visible(ctx).await?.into_select())
                .await?
                .ok_or_else(|| ApiError::Unavailable("Counting this segment's stages took too long".into()))?
        };
        let stages = crate::pipeline::service::list(db(ctx), actor(ctx)?, false).await?;
        Ok(Some(
            stages
                .into_iter()
                .map(|stage| {
                    let count = counts.iter().find(|(id, _)| *id == stage.id).map_or(0, |(_, n)| *n);
                    SegmentStage { stage: stage.into(), count }
                })
                .collect(),
        ))
    }

    /// The segment's contacts the caller may see, in the segment's order.
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ContactConnection> {
        let (filter, search) = if self.0.members_built_at.is_some() {
            // Its members are kept: the page reads them instead of running the filter again.
            let in_segment = super::kept_members(reads(ctx).db(), actor(ctx)?, self.0.id).await?;
            (crate::contacts::filter::ContactFilter { in_segment: Some(in_segment), ..Default::default() }, None)
        } else {
            let selected = self.selected(ctx)?;
            (selected.filter, selected.search)
        };
        let (order, descending) = self.order().into_domain();
        let q = ListQuery {
            filter,
            search,
            order,
            descending,
            page: PageArgs { first, after, last, before },
            want_total: wants_total(ctx),
        };
        connection(ctx, q).await
    }
}

/// The selection of the segment `id` names, for the caller who may see it (bulk actions, exports).
pub async fn selection_of(ctx: &Context<'_>, id: &ID, field: &str) -> async_graphql::Result<Selected> {
    let found = service::find(db(ctx), actor(ctx)?, parse_id(id, field)?, field).await?;
    Ok(Segment::from(found).selected(ctx)?)
}

/// The filter to store (as given) and the same read for checks; dates in the organization's time zone.
fn definition(
    ctx: &Context<'_>,
    filter: Option<ContactFilter>,
    search: Option<String>,
    order_by: Option<ContactOrder>,
) -> Result<Definition, ApiError> {
    let filter = filter.unwrap_or_default();
    let filter_input = filter.to_value().into_json().map_err(ApiError::internal)?;
    let order =
        order_by.unwrap_or(ContactOrder { field: ContactOrderField::LastActivityAt, direction: OrderDirection::Desc });
    let order_field = match order.field.to_value() {
        Value::Enum(name) => name.to_string(),
        _ => "LAST_ACTIVITY_AT".to_string(),
    };
    Ok(Definition {
        filter_input,
        filter: filter.into_domain(&zone(ctx)?)?,
        search: search.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        order_field,
        order_descending: order.direction == OrderDirection::Desc,
    })
}

#[derive(Default)]
pub struct SegmentQuery;

#[Object]
impl SegmentQuery {
    /// The team's shared segments and the caller's private ones, by name.
    async fn segments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Segment>> {
        Ok(service::list(db(ctx), actor(ctx)?).await?.into_iter().map(Segment::from).collect())
    }

    /// One segment, or null when it does not exist or is another person's private one.
    async fn segment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Segment>> {
        let id = parse_id(&id, "id")?;
        Ok(crate::error::absent_as_none(service::find(db(ctx), actor(ctx)?, id, "id").await)?.map(Segment::from))
    }
}

#[derive(Default)]
pub struct SegmentMutation;

#[Object]
impl SegmentMutation {
    /// Saves a selection: private to the caller, or shared with the team (admins).
    async fn create_segment(&self, ctx: &Context<'_>, input: CreateSegmentInput) -> async_graphql::Result<Segment> {
        let definition = definition(ctx, input.filter, input.search, input.order_by)?;
        let new = NewSegment { name: input.name, definition, visibility: input.visibility.stored() };
        Ok(service::create(db(ctx), actor(ctx)?, new).await?.into())
    }

    /// Renames a segment, changes what it selects, or shares it or takes it back (its creator; admins for
    /// shared ones).
    async fn update_segment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSegmentInput,
    ) -> async_graphql::Result<Segment> {
        let id = parse_id(&id, "id")?;
        let changes_selection = input.filter.is_some() || input.search.is_some() || input.order_by.is_some();
        let definition = if changes_selection {
            // What is not given stays as saved; an empty search clears it.
            let current = Segment::from(service::find(db(ctx), actor(ctx)?, id, "id").await?);
            let filter = match input.filter {
                Some(filter) => filter,
                None => current.stored_filter()?,
            };
            let search = input.search.or_else(|| current.0.search.clone());
            let order = input.order_by.unwrap_or_else(|| current.order());
            Some(definition(ctx, Some(filter), search, Some(order))?)
        } else {
            None
        };
        let patch =
            SegmentPatch { name: input.name, definition, visibility: input.visibility.map(SegmentVisibility::stored) };
        Ok(service::update(db(ctx), actor(ctx)?, id, patch).await?.into())
    }

    async fn delete_segment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
