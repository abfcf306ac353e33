//! Database entities: plain data, one module per table. No business rules live here, and no entity is
//! ever exposed as a GraphQL type directly, so a new column is never public by accident.

pub mod api_token;
pub mod audit_event;
pub mod catalog_version;
pub mod channel;
pub mod consent;
pub mod contact;
pub mod contact_identifier;
pub mod contact_property_value;
pub mod contact_tag;
pub mod conversation;
pub mod enums;
pub mod job;
pub mod job_row;
pub mod listing;
pub mod merge;
pub mod message;
pub mod note;
pub mod organization;
pub mod pipeline_stage;
pub mod property_definition;
pub mod reservation;
pub mod segment;
pub mod segment_member;
pub mod segment_tally;
pub mod tag;
pub mod user;
pub mod verification;
pub mod webhook_delivery;
pub mod webhook_endpoint;
