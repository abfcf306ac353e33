//! `GET /files/{key}`: downloads through a signed link (`files::FileStore::link`).

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{error::ApiError, state::AppState};

#[derive(Deserialize)]
pub struct LinkParams {
    expires: Option<i64>,
    signature: Option<String>,
}

/// `GET /files/{key}`: 403 for a bad, altered or expired signature; 404 when the file is gone.
pub async fn download(State(state): State<AppState>, Path(key): Path<String>, Query(p): Query<LinkParams>) -> Response {
    let (Some(expires), Some(signature)) = (p.expires, p.signature) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    if !state.files.verify(&key, expires, &signature) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match state.files.stream(&key).await {
        Ok(bytes) => {
            let name = crate::files::FileStore::download_name(&key);
            let mime = match name.rsplit('.').next() {
                Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Some("csv") => "text/csv; charset=utf-8",
                Some("json") => "application/json",
                _ => "application/octet-stream",
            };
            let disposition = format!("attachment; filename=\"{name}\"");
            let headers = [(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)];
            (headers, Body::from_stream(bytes)).into_response()
        }
        Err(ApiError::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
