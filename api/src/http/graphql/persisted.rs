//! `extensions.persistedQuery` on a request (`graphql::persisted` holds the texts): a hash alone is looked
//! up, a text with its hash is checked against it and registered once the engine accepted it.

use async_graphql::{Name, Value};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::super::response::field_error_response;
use crate::{
    graphql::persisted::{Hash, hash_of, parse_hash},
    state::AppState,
};

const VERSION: &str = "extensions.persistedQuery.version";
const HASH: &str = "extensions.persistedQuery.sha256Hash";

pub(super) enum Refused {
    /// Apollo Client then sends the text with the hash.
    NotFound,
    BadVersion,
    BadHash,
    Mismatch,
}

impl Refused {
    pub(super) fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            _ => "BAD_USER_INPUT",
        }
    }

    pub(super) fn response(&self, request_id: Option<&str>) -> Response {
        let (field, message) = match self {
            // 200 and these exact words: what Apollo Client looks for before it retries with the text.
            Self::NotFound => {
                let error = json!({ "message": "PersistedQueryNotFound", "extensions": { "code": self.code() } });
                return (StatusCode::OK, Json(json!({ "errors": [error] }))).into_response();
            }
            Self::BadVersion => (VERSION, "Only version 1 of persisted queries is supported"),
            Self::BadHash => (HASH, "`sha256Hash` must be the query's SHA-256 in 64 hexadecimal digits"),
            Self::Mismatch => (HASH, "`sha256Hash` is not the SHA-256 of the query sent with it"),
        };
        field_error_response(StatusCode::BAD_REQUEST, self.code(), message, Some(field), request_id)
    }
}

/// Fills in the text of a hash-only request; answers the hash to register once the request ran, when the
/// request brought a text whose hash matched.
pub(super) async fn resolve(state: &AppState, request: &mut async_graphql::Request) -> Result<Option<Hash>, Refused> {
    let Some(persisted) = request.extensions.0.get("persistedQuery") else { return Ok(None) };
    let Value::Object(fields) = persisted else { return Err(Refused::BadHash) };
    let field = |name: &str| fields.get(&Name::new(name));
    if !matches!(field("version"), Some(Value::Number(n)) if n.as_u64() == Some(1)) {
        return Err(Refused::BadVersion);
    }
    let Some(Value::String(digits)) = field("sha256Hash") else { return Err(Refused::BadHash) };
    let hash = parse_hash(&digits.to_ascii_lowercase()).ok_or(Refused::BadHash)?;
    if request.query.is_empty() {
        let text = state.persisted.get(&hash).await.ok_or(Refused::NotFound)?;
        request.query = text.to_string();
        return Ok(None);
    }
    if hash_of(&request.query) != hash {
        return Err(Refused::Mismatch);
    }
    Ok(Some(hash))
}
