//! What resolvers read from the request context: the database, the token keys and the actor.

use std::sync::Arc;

use async_graphql::{Context, ID};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    auth::{Actor, JwtKeys},
    error::ApiError,
};

/// The request id, carried into the context so errors can name it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The pool for statements whose plan does not depend on their values (`db::connect_lookups`).
pub struct Lookups(pub DatabaseConnection);

pub fn lookups<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    &ctx.data_unchecked::<Lookups>().0
}

/// Where lists, counts, searches, the funnel and duplicate candidates read: a replica when one is
/// attached and close enough behind (`db::reads`). Never for what a mutation answers.
pub fn reads<'a>(ctx: &Context<'a>) -> &'a crate::db::reads::Reads {
    ctx.data_unchecked::<crate::db::reads::Reads>()
}

pub fn jwt<'a>(ctx: &Context<'a>) -> &'a JwtKeys {
    ctx.data_unchecked::<Arc<JwtKeys>>()
}

/// The caller; UNAUTHENTICATED when the request carried no token.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, ApiError> {
    ctx.data_opt::<Actor>()
        .ok_or_else(|| ApiError::Unauthenticated("Sign in first: send `Authorization: Bearer <token>`".into()))
}

/// Parses a GraphQL `ID` as a UUID, naming the field when it is not one.
pub fn parse_id(id: &ID, field: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id.as_str()).map_err(|_| ApiError::bad_input(field, format!("{field} is not a valid id")))
}

/// The request's batch loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a super::loaders::Loaders {
    ctx.data_unchecked::<super::loaders::Loaders>()
}

/// The caller's organization's time zone: how dates given without a time are read.
pub fn zone(ctx: &Context<'_>) -> Result<crate::values::TimeZone, ApiError> {
    Ok(crate::values::TimeZone::of(actor(ctx)?.organization()))
}
