//! The GraphQL schema assembled from the per-domain roots, with its limits and the data resolvers reach.
//! It sits above every domain's GraphQL module and below the HTTP layer that serves it.

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    api_tokens::graphql::{ApiTokenMutation, ApiTokenQuery},
    audit::graphql::AuditQueryRoot,
    auth::JwtKeys,
    bulk::graphql::BulkMutation,
    channels::graphql::{ChannelMutation, ChannelQuery},
    config::Config,
    consents::graphql::ConsentMutation,
    contacts::graphql::{mutation::ContactMutation, query::ContactQuery},
    conversations::graphql::mutation::ConversationMutation,
    events::{EventBus, graphql::ContactSubscription},
    exports::graphql::{ExportMutation, ExportQuery, ExportSubscription},
    files::FileStore,
    funnel::graphql::FunnelQuery,
    graphql::{
        context,
        query_limits::{self, MAX_DIRECTIVES, MAX_RECURSIVE_DEPTH, QueryLimits},
    },
    imports::graphql::{ImportMutation, ImportQuery, ImportSubscription},
    jobs::graphql::{JobMutation, JobQuery, JobSubscription},
    listings::graphql::{ListingMutation, ListingQuery},
    merges::graphql::{DuplicateQuery, MergeMutation},
    notes::graphql::NoteMutation,
    organizations::graphql::{OrganizationMutation, OrganizationQuery},
    outbound_webhooks::graphql::{WebhookMutation, WebhookQuery},
    pipeline::graphql::{PipelineMutation, PipelineQuery},
    properties::graphql::{PropertyMutation, PropertyQuery},
    reservations::graphql::ReservationMutation,
    segments::graphql::{SegmentMutation, SegmentQuery, SegmentSubscription},
    tags::graphql::{TagMutation, TagQuery},
    users::graphql::{UserMutation, UserQuery},
    verifications::graphql::VerificationMutation,
};

/// Named `Query`, `Mutation` and `Subscription`, as GraphQL tools and code generators expect.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    UserQuery,
    OrganizationQuery,
    ContactQuery,
    TagQuery,
    PropertyQuery,
    PipelineQuery,
    ListingQuery,
    AuditQueryRoot,
    ChannelQuery,
    ImportQuery,
    JobQuery,
    DuplicateQuery,
    ExportQuery,
    ApiTokenQuery,
    FunnelQuery,
    WebhookQuery,
    SegmentQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    UserMutation,
    OrganizationMutation,
    ContactMutation,
    NoteMutation,
    TagMutation,
    PropertyMutation,
    PipelineMutation,
    ListingMutation,
    ChannelMutation,
    ConversationMutation,
    ImportMutation,
    BulkMutation,
    JobMutation,
    MergeMutation,
    ExportMutation,
    ApiTokenMutation,
    VerificationMutation,
    ReservationMutation,
    ConsentMutation,
    WebhookMutation,
    SegmentMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    ContactSubscription,
    ImportSubscription,
    ExportSubscription,
    JobSubscription,
    SegmentSubscription,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    // Inputs read `DateTime` as a date-time or a date alone (`graphql::types::MomentInput`); answers write
    // chrono's RFC 3339: one scalar to clients, two Rust types here.
    let (query, mutation, subscription) = (QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default());
    Schema::build_with_ignore_name_conflicts(query, mutation, subscription, ["DateTime"])
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
}

/// The schema served to clients. In production, introspection and field suggestions are off.
/// What resolvers may reach besides the request's own actor and loaders.
pub struct SchemaData {
    pub db: DatabaseConnection,
    pub lookups: DatabaseConnection,
    pub reads: crate::db::reads::Reads,
    pub jwt: Arc<JwtKeys>,
    pub events: Arc<EventBus>,
    pub files: FileStore,
    pub jobs_wakeup: Arc<Notify>,
    pub config: Arc<Config>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// `http` for requests through our HTTP handler, which checks them before they run (`query_limits::check_request`);
/// `ws` for subscriptions over WebSocket, with the same checks as an engine extension.
pub fn build(d: SchemaData) -> Schemas {
    let production = d.config.is_production();
    let finish = |mut b: SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>| {
        b = b.limit_depth(d.config.query_max_depth).limit_complexity(d.config.query_max_complexity);
        b = b
            .data(d.db.clone())
            .data(context::Lookups(d.lookups.clone()))
            .data(d.reads.clone())
            .data(d.jwt.clone())
            .data(d.events.clone())
            .data(d.files.clone());
        b = b.data(d.jobs_wakeup.clone()).data(d.config.clone()).data(d.metrics.clone());
        if production {
            b = b.disable_introspection().disable_suggestions();
        }
        b.finish()
    };
    Schemas {
        http: finish(builder()),
        ws: finish(builder().extension(query_limits::QueryGuard(QueryLimits::from_config(&d.config)))),
        measure: builder().extension(query_limits::Measure).finish(),
        max_depth: d.config.query_max_depth,
        max_complexity: d.config.query_max_complexity,
    }
}

#[derive(Clone)]
pub struct Schemas {
    pub http: AppSchema,
    pub ws: AppSchema,
    /// Runs nothing: measures the depth and complexity of a query the engine refused, to say by how much.
    pub measure: AppSchema,
    pub max_depth: usize,
    pub max_complexity: usize,
}

/// The SDL written to `schema.graphql` by `api export-schema`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
