//! The one error type of the domain. Every failure a client can see carries `extensions.code`;
//! database and internal errors are logged and shown only as a generic message.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

pub type ApiResult<T> = Result<T, ApiError>;

/// For a field that answers null when a thing is absent: NOT_FOUND becomes `None`, other errors stay.
pub fn absent_as_none<T>(result: ApiResult<T>) -> ApiResult<Option<T>> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    BadInput { field: String, message: String },
    #[error("{message}")]
    Conflict { field: String, message: String, existing_id: Option<uuid::Uuid> },
    #[error("{0}")]
    LimitExceeded(String),
    /// A service the request needs (file storage) failed; the client may try again later.
    #[error("{0}")]
    Unavailable(String),
    /// Never shown to a client: logged with the request id, answered as "Internal server error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: message.into() }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict { field: field.into(), message: message.into(), existing_id: None }
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("You are not allowed to do this".into())
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Internal server error".into(),
            other => other.to_string(),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if matches!(err, DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)) {
            crate::metrics::acquire_timed_out();
        }
        Self::Internal(format!("database: {err}"))
    }
}

/// Turns a unique-key violation into CONFLICT on `field`; anything else stays internal.
pub fn conflict_on_unique(err: DbErr, field: &str, message: &str) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(field, message),
        _ => err.into(),
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Self::BadInput { field, .. } | Self::Conflict { field, .. } = self {
                ext.set("field", field.as_str());
            }
            if let Self::Conflict { existing_id: Some(id), .. } = self {
                ext.set("existingId", id.to_string());
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}
