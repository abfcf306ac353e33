//! Background jobs (imports, exports, bulk actions). `queue` keeps them as rows that any server claims;
//! `runtime` is what a running job may use; `worker` claims jobs and hands each to its kind's runner.
//! Runners live with their domain (`imports::run`, `exports::run`, `bulk::service`) and use `queue` and
//! `runtime`, never `worker`, so the arrows run one way.

pub mod graphql;
pub mod queue;
pub mod runtime;
pub mod worker;
