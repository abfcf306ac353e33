//! The sales funnel: per stage, how many contacts are in it now, how many entered it in a period, and
//! the conversion to the next stage, counted only over contacts the caller can see.
//!
//! A contact enters a stage when a stage change moves it there (the audit trail's
//! `contact.stage_changed`), and enters its first stage when it is created: the stage it was created in
//! is the `from` of its earliest stage change, or its current stage when it never changed.

pub mod graphql;
pub mod service;
