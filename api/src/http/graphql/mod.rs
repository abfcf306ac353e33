//! `/graphql` over POST (JSON or multipart) and GET (queries only, as Apollo Client sends persisted ones),
//! and `/graphql/ws`. The handler is ours rather than async-graphql-axum's extractor, which would ignore
//! the body limit and accept batches.

mod errors;
mod persisted;
mod read;
mod ws;

use async_graphql::{
    Response as GqlResponse, Value,
    parser::types::{DocumentOperations, OperationType},
};
use async_graphql_axum::GraphQLResponse;
use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
pub use ws::ws_handler;

use super::{
    request::REQUEST_ID,
    response::{api_error_response, field_error_response},
};
use crate::{
    auth::authenticate_cached,
    graphql::{
        context::RequestId,
        loaders::Loaders,
        query_limits::{self, QueryLimits},
    },
    metrics::{Refusal, UNLABELLED},
    state::AppState,
    telemetry,
    visibility::Visible,
};
use errors::{annotate, explain_limits, is_engine_limit};
use tracing::{Instrument, Span};

/// What `/metrics` counts of one request: its operation's label and its outcome's code.
struct Seen {
    operation: String,
    code: String,
    /// The request's trace span (disabled when it is not traced).
    span: Span,
}

impl Seen {
    fn code(&mut self, code: &str) {
        code.clone_into(&mut self.code);
    }

    /// The first error's code, or OK.
    fn outcome(&mut self, response: &GqlResponse) {
        let code = response.errors.first().map_or("OK", |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(Value::String(code)) => code.as_str(),
            _ => "ERROR",
        });
        self.code(code);
    }
}

enum Incoming {
    Post(Body),
    Get(Uri),
}

pub async fn http_handler(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, Incoming::Post(body)).await
}

/// GET answers are the caller's own and change with every write: no cache along the way may keep them.
pub async fn get_handler(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let mut response = handle(&state, &headers, Incoming::Get(uri)).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

async fn handle(state: &AppState, headers: &HeaderMap, incoming: Incoming) -> Response {
    let started = std::time::Instant::now();
    let method = if matches!(incoming, Incoming::Get(_)) { "GET" } else { "POST" };
    let traceparent = headers.get("traceparent").and_then(|v| v.to_str().ok());
    let span = telemetry::continue_trace(traceparent, || {
        tracing::info_span!(target: telemetry::TRACED, "graphql", otel.name = "graphql", otel.kind = "server",
            http.request.method = method, url.path = "/graphql", graphql.outcome = tracing::field::Empty)
    });
    let mut seen = Seen { operation: UNLABELLED.into(), code: "OK".into(), span: span.clone() };
    let response = answer(state, headers, incoming, &mut seen).instrument(span).await;
    seen.span.record("graphql.outcome", seen.code.as_str());
    state.metrics.request(&seen.operation, &seen.code, started.elapsed());
    response
}

async fn answer(state: &AppState, headers: &HeaderMap, incoming: Incoming, seen: &mut Seen) -> Response {
    let request_id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let rid = Some(request_id.as_str());
    let get = matches!(incoming, Incoming::Get(_));
    let read = match incoming {
        Incoming::Post(body) => read::read_request(state, headers, body).await.map_err(|refusal| (refusal, None)),
        Incoming::Get(uri) => read::read_get(&uri).map_err(|(refusal, field)| (refusal, Some(field))),
    };
    let request = match read {
        Ok(request) => request,
        Err(((status, message), field)) => {
            seen.code("BAD_USER_INPUT");
            return field_error_response(status, "BAD_USER_INPUT", message, field, rid);
        }
    };

    let mut request = request.data(RequestId(request_id.clone()));
    let mut actor = None;
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let header = auth.to_str().unwrap_or_default();
        match authenticate_cached(&state.lookups, &state.jwt, &state.actors, header).await {
            Ok(found) => actor = Some(found),
            Err(err) => {
                seen.code(err.code());
                return api_error_response(&err, rid);
            }
        }
    }
    if let Some(actor) = &actor
        && let Err(retry) = state.user_limits.check(&actor.rate_key()).await
    {
        state.metrics.refused(Refusal::RateLimitedUser);
        seen.code("RATE_LIMITED");
        return super::limits::too_many(retry, rid);
    }
    // Looked up only for a caller past authentication and its rate limit.
    let registering = match persisted::resolve(state, &mut request).await {
        Ok(registering) => registering,
        Err(refused) => {
            seen.code(refused.code());
            return refused.response(rid);
        }
    };

    let limits = QueryLimits::from_config(&state.config);
    let fresh = match query_limits::check_request(&mut request, &limits, &state.documents) {
        Ok(fresh) => fresh,
        Err(err) => {
            let response = annotate(GqlResponse::from_errors(vec![err]), &request_id);
            seen.outcome(&response);
            return GraphQLResponse::from(response).into_response();
        }
    };
    let caller = actor.as_ref().map(|a| a.rate_key());
    if caller.is_some() {
        // Only a signed-in caller's checked operation names a series: anyone else could invent names.
        seen.operation = state.metrics.operation_label(operation_name(&mut request).as_deref());
    }
    let kind = operation_kind(&mut request);
    let query = kind == Some(OperationType::Query);
    if !seen.span.is_none() {
        let kind = if query { "query" } else { "mutation" };
        telemetry::name_request(&seen.span, &format!("{kind} {}", seen.operation));
    }
    if get && kind.is_some_and(|k| k != OperationType::Query) {
        // A link or an image tag must never change anything.
        seen.code("METHOD_NOT_ALLOWED");
        let mut refused = field_error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "GET runs queries only: send mutations over POST",
            Some("query"),
            rid,
        );
        refused.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }
    // A mutation may change users or the organization: this server's copies of its actors go once it ran.
    let changed = actor.as_ref().filter(|_| !query).map(|a| a.organization_id());
    if let Some(actor) = actor {
        let mut loaders = Loaders::new(&state.lookups, Visible::contacts(&actor));
        // A mutation changes what the copy holds while it runs; it reads stages and members afresh.
        if let Some(version) = actor.catalog_version().filter(|_| query) {
            match state.catalogs.get(&state.lookups, actor.organization_id(), version).await {
                Ok(catalog) => loaders = loaders.with_catalog(catalog),
                Err(err) => {
                    seen.code("INTERNAL");
                    return api_error_response(&err.into(), rid);
                }
            }
        }
        request = request.data(loaders).data(actor);
    }
    // Kept to explain a refusal of the engine's depth or complexity limit, which states neither figure.
    let text = (request.query.clone(), request.variables.clone(), request.operation_name.clone());
    let mut response = state.schema.http.execute(request).await;
    // Kept only once the engine validated it: errors without a path are the engine's refusals.
    if response.errors.iter().all(|e| !e.path.is_empty()) {
        if let Some(document) = fresh {
            state.documents.put(&text.0, &document);
        }
        // Only a signed-in caller's text is kept: a stranger's could push out everyone else's.
        if let (Some(hash), Some(caller)) = (registering, &caller) {
            state.persisted.put(hash, &text.0, caller).await;
        }
    }
    if let Some(organization) = changed {
        state.actors.forget(organization);
    }
    if response.errors.iter().any(is_engine_limit) {
        explain_limits(&state.schema, &mut response, text).await;
    }
    let response = annotate(response, &request_id);
    seen.outcome(&response);
    GraphQLResponse::from(response).into_response()
}

/// The name of the operation the request runs, when the document has it (and it is a sane length).
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    let wanted = request.operation_name.clone();
    let DocumentOperations::Multiple(operations) = &request.parsed_query().ok()?.operations else { return None };
    let name = match wanted {
        Some(name) => operations.keys().find(|n| n.as_str() == name)?.to_string(),
        None if operations.len() == 1 => operations.keys().next()?.to_string(),
        None => return None,
    };
    (name.len() <= 64).then_some(name)
}

/// The type of the operation the request runs (already parsed by the query checks), chosen as the engine
/// chooses it: a named operation is kept among "multiple" even when it is the only one. `None` when the
/// request names no operation the document has; the engine then says so.
fn operation_kind(request: &mut async_graphql::Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else { return None };
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name.as_str()),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations.values().next(),
        _ => None,
    };
    operation.map(|o| o.node.ty)
}
