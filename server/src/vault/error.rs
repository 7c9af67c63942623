//! The vault routes' one error type. What the caller reads is a code and a sentence; what went
//! wrong inside (SQL, storage paths, S3 answers) goes to the log only.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_app::backend::auth::AuthFailure;
use serde_json::json;

/// Why a vault request failed.
#[derive(Debug)]
pub enum VaultError {
    /// No valid session or token.
    Unauthenticated(AuthFailure),
    /// No such upload or file *for this caller* (another user's id looks the same).
    NotFound,
    /// The request is malformed or breaks a rule; the message says which.
    Invalid(String),
    /// A file or part larger than allowed.
    TooLarge(String),
    /// The upload would take the user over their quota.
    QuotaExceeded(String),
    /// `complete` before every part arrived.
    Incomplete(Vec<u64>),
    /// The file changed since the caller read it (another tab or device made a newer version).
    VersionConflict,
    /// A `Range` outside the file.
    RangeNotSatisfiable { size: u64 },
    /// A server-side failure, already logged.
    Internal,
}

impl VaultError {
    /// Logs a server-side failure in full; the caller gets a generic 500.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "vault: {context}");
        VaultError::Internal
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        VaultError::Invalid(message.into())
    }
}

impl From<sea_orm::DbErr> for VaultError {
    fn from(err: sea_orm::DbErr) -> Self {
        VaultError::internal("database", err)
    }
}

impl IntoResponse for VaultError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            VaultError::Unauthenticated(failure) => return crate::routes::unauthorized(failure),
            VaultError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "There is no such file or upload.".to_string(),
            ),
            VaultError::Invalid(m) => (StatusCode::BAD_REQUEST, "invalid", m),
            VaultError::VersionConflict => (
                StatusCode::CONFLICT,
                "version_conflict",
                "This file was changed elsewhere in the meantime. Reload and try again."
                    .to_string(),
            ),
            VaultError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            VaultError::QuotaExceeded(m) => (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded", m),
            VaultError::Incomplete(missing) => {
                let message = format!(
                    "The upload is not complete: {} part(s) have not arrived yet.",
                    missing.len()
                );
                let body = json!({
                    "error": "incomplete",
                    "message": message,
                    "missing_parts": missing,
                });
                return (StatusCode::CONFLICT, Json(body)).into_response();
            }
            VaultError::RangeNotSatisfiable { size } => {
                let body = json!({
                    "error": "range_not_satisfiable",
                    "message": "The requested range is outside the file.",
                });
                let mut res = (StatusCode::RANGE_NOT_SATISFIABLE, Json(body)).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return res;
            }
            VaultError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on the server. Please try again.".to_string(),
            ),
        };
        (status, Json(json!({ "error": code, "message": message }))).into_response()
    }
}
