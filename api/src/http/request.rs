//! Reading requests: the request id header and bodies read under a limit.

use axum::http::{HeaderName, StatusCode, header};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Reads a body of at most `limit` bytes; a larger declared length is refused before a byte is read.
/// The router's own limit is the largest of all (uploads), so each handler applies its own through this.
pub(crate) async fn read_body(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, StatusCode> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)
}
