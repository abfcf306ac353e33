//! Error answers of the GraphQL endpoint: a code on every error, and the figures behind an engine refusal.

use async_graphql::{Response as GqlResponse, Value};

use crate::graphql::query_limits;

/// The engine's own depth and complexity refusals, by their exact words (before any code is set).
pub(super) fn is_engine_limit(error: &async_graphql::ServerError) -> bool {
    let engine = error.path.is_empty() && error.extensions.as_ref().is_none_or(|e| e.get("code").is_none());
    engine && matches!(error.message.as_str(), "Query is too complex." | "Query is nested too deep.")
}

/// Sets which engine limit was hit, the query's figure and the limit on each such error.
pub(super) async fn explain_limits(
    schemas: &crate::schema::Schemas,
    response: &mut GqlResponse,
    (query, variables, operation): (String, async_graphql::Variables, Option<String>),
) {
    let mut again = async_graphql::Request::new(query).variables(variables);
    again.operation_name = operation;
    let Some((complexity, depth)) = query_limits::measured(&schemas.measure.execute(again).await) else { return };
    for error in response.errors.iter_mut().filter(|e| is_engine_limit(e)) {
        let exceeded = if error.message == "Query is too complex." {
            query_limits::Exceeded {
                limit: "complexity",
                actual: complexity,
                max: schemas.max_complexity,
                message: format!(
                    "The query's complexity is {complexity}, over the limit of {}",
                    schemas.max_complexity
                ),
            }
        } else {
            query_limits::Exceeded {
                limit: "depth",
                actual: depth,
                max: schemas.max_depth,
                message: format!("The query is {depth} levels deep, over the limit of {}", schemas.max_depth),
            }
        };
        error.message = exceeded.message.clone();
        exceeded.describe(error.extensions.get_or_insert_with(Default::default));
    }
}

/// Gives every error a code: errors of our own already have one; parse and validation errors from the
/// engine get GRAPHQL_VALIDATION_FAILED, and input coercion errors during execution BAD_USER_INPUT.
/// Internal errors carry the request id so support can find the log line.
pub(super) fn annotate(mut response: GqlResponse, request_id: &str) -> GqlResponse {
    for error in &mut response.errors {
        let code = error.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        let extensions = error.extensions.get_or_insert_with(Default::default);
        match code {
            Some(Value::String(code)) if code == "INTERNAL" => extensions.set("requestId", request_id),
            Some(_) => {}
            // The engine's own depth and complexity limits.
            None if error.message.contains("too deep")
                || error.message.contains("too complex")
                || error.message.contains("directives") =>
            {
                extensions.set("code", "QUERY_TOO_COMPLEX")
            }
            None if error.path.is_empty() => extensions.set("code", "GRAPHQL_VALIDATION_FAILED"),
            None => extensions.set("code", "BAD_USER_INPUT"),
        }
    }
    response
}
