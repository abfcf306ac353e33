//! Black-box tests: the real router, real JWTs, a fresh real database per test (SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` is set).

mod harness;

mod architecture;
mod auth;
mod bulk;
mod cluster;
mod contacts;
mod dates;
mod exports;
mod external_ids;
mod funnel;
mod hostile;
mod http;
mod imports;
mod inbound;
mod jobs;
mod live;
mod merge;
mod organization;
mod removals;
mod schema;
mod seed;
mod segment_members;
mod segments;
mod storage;
mod tokens;
mod tools;
mod users;
mod verification;
mod webhooks;
