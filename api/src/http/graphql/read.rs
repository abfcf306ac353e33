//! Reading one GraphQL request: a JSON body, a multipart upload, or the query string of a GET.

use axum::{
    body::Body,
    extract::Query,
    http::{HeaderMap, StatusCode, Uri, header},
};

use super::super::request::read_body;
use crate::state::AppState;

pub(super) type Refusal = (StatusCode, &'static str);

/// A GET's parameters as Apollo Client sends them: `variables` and `extensions` as JSON text.
#[derive(serde::Deserialize)]
struct GetParams {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// One GraphQL request from a GET's query string; the refusal names the parameter at fault.
pub(super) fn read_get(uri: &Uri) -> Result<async_graphql::Request, (Refusal, &'static str)> {
    let bad = |field: &'static str, message: &'static str| ((StatusCode::BAD_REQUEST, message), field);
    let Query(params) =
        Query::<GetParams>::try_from_uri(uri).map_err(|_| bad("query", "The query string is malformed"))?;
    let mut request = async_graphql::Request::new(params.query);
    request.operation_name = params.operation_name.filter(|n| !n.is_empty());
    if let Some(variables) = params.variables.filter(|v| !v.is_empty()) {
        request.variables =
            serde_json::from_str(&variables).map_err(|_| bad("variables", "`variables` must be a JSON object"))?;
    }
    if let Some(extensions) = params.extensions.filter(|e| !e.is_empty()) {
        request.extensions =
            serde_json::from_str(&extensions).map_err(|_| bad("extensions", "`extensions` must be a JSON object"))?;
    }
    Ok(request)
}

/// One GraphQL request from a JSON body, or from a multipart upload (GraphQL multipart request spec).
/// Each kind has its own size limit, checked against the declared length before reading a byte.
pub(super) async fn read_request(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<async_graphql::Request, Refusal> {
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
