//! The one mapping from a domain error to a response: the status, headers and JSON body the
//! domain decides for each error ([`DomainError::status`], [`DomainError::headers`],
//! [`DomainError::body`]), sent as they are.

use axum::{
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use coffer_domain::{auth::AuthFailure, DomainError};

/// A domain error on its way out as a response.
#[derive(Debug)]
pub struct ApiError(pub DomainError);

/// What a route returns.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        ApiError(err)
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        ApiError(DomainError::Unauthenticated(failure))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(err.body())).into_response();
        for (name, value) in err.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                res.headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
        res
    }
}
