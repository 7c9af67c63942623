//! The error a server function returns, and the client reports, in words a person understands.
//!
//! On the wire it is the protocol's one error body (`{"error": code, "message": …}`), the same
//! shape every other route answers with. On the server it is made from the domain's error
//! (`From<DomainError>`), whose status and headers the server function sends
//! (`api::ctx::respond`); what went wrong inside is logged there and never put in here.

use coffer_protocol::{code, ErrorBody};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, IntoAppError, ServerFnErrorErr},
    Bytes, Decodes,
};
use serde::{Deserialize, Serialize};

/// An error in words a person understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "ErrorBody", from = "ErrorBody")]
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
    /// Any other refusal by the server, as it sent it (its code, words and details).
    #[error("{}", .0.message)]
    Refused(ErrorBody),
    /// Something failed on the server; details are in the server log only.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    /// The browser could not reach the server or understand its answer.
    #[error("Could not reach Coffer. Check your connection and try again.")]
    Network(String),
}

impl AppError {
    /// An input error with a message for the user.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(message.into())
    }

    /// The error code on the wire.
    pub fn code(&self) -> &str {
        match self {
            AppError::Invalid(_) => code::INVALID,
            AppError::BadCredentials => code::BAD_CREDENTIALS,
            AppError::Unauthorized(_) => code::UNAUTHENTICATED,
            AppError::Refused(body) => &body.error,
            AppError::Internal => code::INTERNAL,
            AppError::Network(_) => "network",
        }
    }
}

impl From<AppError> for ErrorBody {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Refused(body) => body,
            err => ErrorBody::new(err.code(), err.to_string()),
        }
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        match body.error.as_str() {
            code::INVALID => AppError::Invalid(body.message),
            code::BAD_CREDENTIALS => AppError::BadCredentials,
            code::UNAUTHENTICATED | code::TOKEN_EXPIRED | code::INVALID_TOKEN => {
                AppError::Unauthorized(body.message)
            }
            code::INTERNAL => AppError::Internal,
            _ => AppError::Refused(body),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<coffer_domain::DomainError> for AppError {
    fn from(err: coffer_domain::DomainError) -> Self {
        AppError::from(err.body())
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
            // `fetch` itself failed: no answer from Coffer. The offline banner hears of it as it
            // hears of the vault's requests (`client::http::send`).
            ServerFnErrorErr::Request(e) => {
                #[cfg(feature = "hydrate")]
                crate::client::http::report(false);
                AppError::Network(e)
            }
            ServerFnErrorErr::Deserialization(e) => AppError::Network(e),
            _ => AppError::Internal,
        }
    }

    /// The error body of an answer that is not 2xx. Coffer answered in its own words, so it is
    /// reachable (the banner goes); a body that is not Coffer's (a proxy's page) says nothing.
    /// A 2xx answer never comes here: while Coffer is reported unreachable, the banner's
    /// `/healthz` probe notices it is back.
    fn de(data: Bytes) -> Self {
        match <Self::Encoder as Decodes<Self>>::decode(data) {
            Ok(err) => {
                #[cfg(feature = "hydrate")]
                crate::client::http::report(true);
                err
            }
            Err(e) => ServerFnErrorErr::Deserialization(e.to_string()).into_app_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_function_errors_have_the_one_error_shape() {
        let json = serde_json::to_value(AppError::BadCredentials).unwrap();
        assert_eq!(json["error"], "bad_credentials");
        assert_eq!(json["message"], "Wrong username or password.");
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, AppError::BadCredentials);
    }

    #[test]
    fn an_error_answer_decodes_to_the_servers_error() {
        // What a server function's client does with a non-2xx body (`FromServerFnError::de`,
        // which also reports that Coffer answered).
        let body = serde_json::to_vec(&AppError::BadCredentials).unwrap();
        assert_eq!(AppError::de(Bytes::from(body)), AppError::BadCredentials);
        let refused = ErrorBody::new(code::RATE_LIMITED, "Too many attempts.");
        let body = serde_json::to_vec(&refused).unwrap();
        assert_eq!(AppError::de(Bytes::from(body)), AppError::Refused(refused));
    }

    #[test]
    fn a_rate_limit_keeps_its_words() {
        let body = ErrorBody::new(
            code::RATE_LIMITED,
            "Too many attempts. Try again in 9 seconds.",
        );
        let err = AppError::from(body);
        assert_eq!(
            err.to_string(),
            "Too many attempts. Try again in 9 seconds."
        );
        assert_eq!(err.code(), "rate_limited");
    }
}
