//! The sharing routes' one error type. What the caller reads is a code and a sentence (the
//! `Display` text); what went wrong inside (SQL, storage) goes to the log only.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::backend::auth::AuthFailure;
use serde_json::json;

use crate::vault::VaultError;

/// Why a sharing request failed. The `Display` text is the message the caller reads.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    /// No valid session or token (authenticated routes only).
    #[error("{}", .0.message())]
    Unauthenticated(AuthFailure),
    /// No such file, user, grant, link or contact *for this caller*; the message says which
    /// kind, never whether it exists for someone else.
    #[error("{0}")]
    NotFound(&'static str),
    /// A public link route: unknown, expired, revoked, used up or its file deleted. One answer
    /// for all of them, byte for byte.
    #[error("This link is no longer available.")]
    LinkUnavailable,
    /// A share-link token that does not match (wrong password, or a damaged link).
    #[error("Wrong password.")]
    WrongPassword,
    /// Too many wrong tokens for this link; retry after this many seconds.
    #[error("Too many wrong attempts for this link. Try again in {0} seconds.")]
    RateLimited(u64),
    /// The request is malformed or breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The thing already exists (a link id).
    #[error("{0}")]
    Conflict(String),
    /// An error from the vault's content code (a bad range, a storage failure).
    #[error("the vault refused")]
    Vault(VaultError),
    /// A server-side failure, already logged.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
}

impl SharingError {
    /// Logs a server-side failure in full; the caller gets a generic 500.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "sharing: {context}");
        SharingError::Internal
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        SharingError::Invalid(message.into())
    }
}

impl From<sea_orm::DbErr> for SharingError {
    fn from(err: sea_orm::DbErr) -> Self {
        SharingError::internal("database", err)
    }
}

impl From<VaultError> for SharingError {
    fn from(err: VaultError) -> Self {
        SharingError::Vault(err)
    }
}

impl IntoResponse for SharingError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, code) = match self {
            SharingError::Unauthenticated(failure) => return crate::routes::unauthorized(failure),
            SharingError::Vault(e) => return e.into_response(),
            SharingError::NotFound(_) | SharingError::LinkUnavailable => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            SharingError::WrongPassword => {
                let body = json!({ "error": "wrong_password", "message": message });
                let mut res = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Coffer-Link"),
                );
                return res;
            }
            SharingError::RateLimited(seconds) => {
                let body = json!({ "error": "rate_limited", "message": message });
                let mut res = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                return res;
            }
            SharingError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            SharingError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            SharingError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        (status, Json(json!({ "error": code, "message": message }))).into_response()
    }
}
