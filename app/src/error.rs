//! The one error type the browser sees.
//!
//! Every variant carries words meant for a person. What went wrong inside the
//! server (SQL, paths, stack traces) is logged on the server and never put in
//! here: `AppError::internal` logs the detail and returns a generic message.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// An error a server function returns, or the client reports, in words a person understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// The input was rejected; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// Login failed. Deliberately identical for unknown users and wrong passwords.
    #[error("Wrong username or password.")]
    BadCredentials,
    /// The caller must log in (again).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is not allowed to do this, e.g. a cross-site request.
    #[error("{0}")]
    Forbidden(String),
    /// The thing already exists (e.g. a username).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Try again in {0} seconds.")]
    RateLimited(u64),
    /// Something failed on the server; details are in the server log only.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    /// The browser could not reach the server or understand its answer.
    #[error("Could not reach Coffer: {0}")]
    Network(String),
}

impl AppError {
    /// An input error with a message for the user.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(message.into())
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::BadCredentials | AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::Conflict(_) => 409,
            AppError::RateLimited(_) => 429,
            AppError::Internal => 500,
            AppError::Network(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server, a body that does not decode is the caller's mistake.
            ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
                if cfg!(feature = "ssr") =>
            {
                AppError::invalid("The request was malformed.")
            }
            ServerFnErrorErr::Request(e) | ServerFnErrorErr::Deserialization(e) => {
                AppError::Network(e)
            }
            _ => AppError::Internal,
        }
    }
}
