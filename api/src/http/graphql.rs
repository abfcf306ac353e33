//! `POST /graphql` and `/graphql/ws`. The JSON handler is ours rather than async-graphql-axum's
//! extractor, which would ignore the body limit and accept batches.

use async_graphql::{
    Data, Response as GqlResponse, Value,
    parser::types::{DocumentOperations, OperationType},
};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::{
    body::Body,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    request::{REQUEST_ID, read_body},
    response::{api_error_response, error_response},
};
use crate::{
    auth::{authenticate, authenticate_cached},
    graphql::{
        context::RequestId,
        loaders::Loaders,
        query_limits::{self, QueryLimits},
    },
    state::AppState,
    visibility::Visible,
};

/// What `/metrics` counts of one request: its operation's label and its outcome's code.
struct Seen {
    operation: String,
    code: String,
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

pub async fn http_handler(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let started = std::time::Instant::now();
    let mut seen = Seen { operation: crate::metrics::UNLABELLED.into(), code: "OK".into() };
    let response = answer(&state, &headers, body, &mut seen).await;
    state.metrics.request(&seen.operation, &seen.code, started.elapsed());
    response
}

async fn answer(state: &AppState, headers: &HeaderMap, body: Body, seen: &mut Seen) -> Response {
    let request_id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let rid = Some(request_id.as_str());
    let request = match read_request(state, headers, body).await {
        Ok(request) => request,
        Err((status, message)) => {
            seen.code("BAD_USER_INPUT");
            return error_response(status, "BAD_USER_INPUT", message, rid);
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
        state.metrics.refused(crate::metrics::Refusal::RateLimitedUser);
        seen.code("RATE_LIMITED");
        return super::limits::too_many(retry, rid);
    }

    let limits = QueryLimits::from_config(&state.config);
    let fresh = match query_limits::check_request(&mut request, &limits, &state.documents) {
        Ok(fresh) => fresh,
        Err(err) => {
            let response = annotate(GqlResponse::from_errors(vec![err]), &request_id);
            seen.outcome(&response);
            return GraphQLResponse::from(response).into_response();
        }
    };
    if actor.is_some() {
        // Only a signed-in caller's checked operation names a series: anyone else could invent names.
        seen.operation = state.metrics.operation_label(operation_name(&mut request).as_deref());
    }
    let query = is_query(&mut request);
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
    if let Some(document) = fresh.filter(|_| response.errors.iter().all(|e| !e.path.is_empty())) {
        state.documents.put(&text.0, &document);
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

/// The engine's own depth and complexity refusals, by their exact words (before any code is set).
fn is_engine_limit(error: &async_graphql::ServerError) -> bool {
    let engine = error.path.is_empty() && error.extensions.as_ref().is_none_or(|e| e.get("code").is_none());
    engine && matches!(error.message.as_str(), "Query is too complex." | "Query is nested too deep.")
}

/// Sets which engine limit was hit, the query's figure and the limit on each such error.
async fn explain_limits(
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

/// The name of the operation the request runs, when it has one.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    match &request.parsed_query().ok()?.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}

/// Whether the operation the request runs is a query (already parsed by the query checks), chosen as the engine
/// chooses it: a named operation is kept among "multiple" even when it is the only one.
fn is_query(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else { return false };
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name.as_str()),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations.values().next(),
        _ => None,
    };
    operation.is_some_and(|o| o.node.ty == OperationType::Query)
}

type Refusal = (StatusCode, &'static str);

/// One GraphQL request from a JSON body, or from a multipart upload (GraphQL multipart request spec).
/// Each kind has its own size limit, checked against the declared length before reading a byte.
async fn read_request(state: &AppState, headers: &HeaderMap, body: Body) -> Result<async_graphql::Request, Refusal> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let (limit, multipart) = match mime.as_str() {
        "application/json" => (state.config.max_body_bytes, false),
        "multipart/form-data" => {
            // A browser cannot send these headers cross-site without a preflight (Apollo's CSRF rule).
            if !headers.contains_key("apollo-require-preflight") && !headers.contains_key("x-apollo-operation-name") {
                return Err((StatusCode::BAD_REQUEST, "Uploads need the `Apollo-Require-Preflight: true` header"));
            }
            (state.config.max_upload_bytes, true)
        }
        _ => {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send GraphQL requests as `Content-Type: application/json`",
            ));
        }
    };
    let bytes =
        read_body(headers, body, limit).await.map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"))?;
    let not_one = (
        StatusCode::BAD_REQUEST,
        "The body must be one GraphQL request: {\"query\", \"variables\", \"operationName\"}",
    );
    if !multipart {
        // A JSON array (a batch) does not parse as one request: one operation per request.
        return serde_json::from_slice(&bytes).map_err(|_| not_one);
    }
    let options = async_graphql::http::MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let reader = futures_util::io::Cursor::new(bytes.to_vec());
    // `receive_body` takes one operation; a batch in `operations` is refused like a JSON array.
    async_graphql::http::receive_body(Some(content_type), reader, options)
        .await
        .map_err(|_| (StatusCode::BAD_REQUEST, "The multipart request is malformed or not one operation"))
}

/// Gives every error a code: errors of our own already have one; parse and validation errors from the
/// engine get GRAPHQL_VALIDATION_FAILED, and input coercion errors during execution BAD_USER_INPUT.
/// Internal errors carry the request id so support can find the log line.
fn annotate(mut response: GqlResponse, request_id: &str) -> GqlResponse {
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

/// GraphQL subscriptions over graphql-transport-ws. The token travels in the `connection_init`
/// payload as `{"Authorization": "Bearer ..."}`; a bad token closes the connection.
pub async fn ws_handler(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.ws.clone();
    upgrade.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| connection_init(state, payload))
            .serve()
    })
}

async fn connection_init(state: AppState, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let mut data = Data::default();
    let header = payload.get("Authorization").or_else(|| payload.get("authorization")).and_then(|v| v.as_str());
    if let Some(header) = header {
        let actor = authenticate(&state.lookups, &state.jwt, header).await?;
        // A subscription lives on while the actor's rights change; every contact it delivers is read again
        // with the refreshed actor (`events::graphql`), so its loaders cover the organization.
        data.insert(Loaders::new(&state.lookups, Visible::system(actor.organization_id())));
        data.insert(actor);
    }
    Ok(data)
}
