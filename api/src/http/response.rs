//! GraphQL-shaped error responses for failures that happen before or around execution.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::ApiError;

/// `{"errors":[{"message", "extensions":{"code"}}]}` with an HTTP status.
pub fn error_response(status: StatusCode, code: &str, message: &str, request_id: Option<&str>) -> Response {
    field_error_response(status, code, message, None, request_id)
}

/// The same, naming the input `field` at fault in `extensions.field`.
pub fn field_error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    field: Option<&str>,
    request_id: Option<&str>,
) -> Response {
    let mut extensions = json!({ "code": code });
    if let Some(field) = field {
        extensions["field"] = json!(field);
    }
    if let Some(id) = request_id {
        extensions["requestId"] = json!(id);
    }
    (status, Json(json!({ "errors": [{ "message": message, "extensions": extensions }] }))).into_response()
}

/// The response for an `ApiError` raised outside a resolver (authentication, mostly).
pub fn api_error_response(err: &ApiError, request_id: Option<&str>) -> Response {
    let status = match err {
        ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    error_response(status, err.code(), &err.public_message(), request_id)
}

/// A handler panicked: the client gets a 500 with a code, the server goes on.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "Internal server error", None)
}
