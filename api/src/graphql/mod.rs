//! What every domain's GraphQL module shares: reading the request's actor and connections (`context`),
//! per-request batch loaders (`loaders`), documents already parsed (`documents`), the limits on a query's size and cost (`query_limits`), and
//! output types used by several domains (`types`). The schema itself is assembled in `schema`.

pub mod context;
pub mod documents;
pub mod fields;
pub mod loaders;
pub mod persisted;
pub mod query_limits;
pub mod types;
