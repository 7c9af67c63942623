//! The one JSON body extractor: reads the body (within the router's size limit, whatever its
//! `Content-Type`) and parses it into a wire type, or answers 400 `invalid` saying why; and the
//! query-string extractor that answers the same way.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::request::Parts,
};
use coffer_domain::DomainError;
use serde::de::DeserializeOwned;

use super::ApiError;

/// A request body parsed from JSON.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                DomainError::TooLarge("The request body is too large.".into())
            } else {
                DomainError::invalid("The request body did not arrive completely.")
            })
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError(DomainError::invalid(format!(
                "The request body is not what this call takes: {e}."
            )))
        })
    }
}

/// A query string parsed into a wire type.
#[derive(Debug)]
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                ApiError(DomainError::invalid(format!(
                    "The query is not what this call takes: {}.",
                    e.body_text()
                )))
            })?;
        Ok(QueryOf(value))
    }
}
