//! `POST /graphql` and `/graphql/ws`. The JSON handler is ours rather than async-graphql-axum's
//! extractor, which would ignore the body limit and accept batches.

use async_graphql::{Data, Response as GqlResponse, Value};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::{
    body::Body,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    AppState, REQUEST_ID,
    response::{api_error_response, error_response},
};
use crate::{
    auth::authenticate,
    graphql::{context::RequestId, loaders::Loaders},
};

pub async fn http_handler(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let request_id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let rid = Some(request_id.as_str());

    if !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "Send GraphQL requests as `Content-Type: application/json`",
            rid,
        );
    }
    let bytes = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, "BAD_USER_INPUT", "Request body too large", rid);
        }
    };
    // A JSON array (a batch) does not parse as one request: one operation per request.
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "The body must be one GraphQL request: {\"query\", \"variables\", \"operationName\"}",
                rid,
            );
        }
    };

    let mut request = request.data(RequestId(request_id.clone()));
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let header = auth.to_str().unwrap_or_default();
        match authenticate(&state.db, &state.jwt, header).await {
            Ok(actor) => {
                request = request.data(Loaders::new(&state.db, actor.organization_id())).data(actor);
            }
            Err(err) => return api_error_response(&err, rid),
        }
    }

    let response = state.schema.execute(request).await;
    GraphQLResponse::from(annotate(response, &request_id)).into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
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
    let schema = state.schema.clone();
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
        let actor = authenticate(&state.db, &state.jwt, header).await?;
        data.insert(Loaders::new(&state.db, actor.organization_id()));
        data.insert(actor);
    }
    Ok(data)
}
