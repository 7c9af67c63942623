//! The domain's one error type, and the one mapping from it to what a caller reads.
//!
//! Every variant carries words meant for a person (its `Display` text). What went wrong inside
//! (SQL, storage paths, S3 answers) is logged by [`DomainError::internal`] and never put in
//! here. The HTTP status, the extra headers and the JSON body ([`ErrorBody`]) of each variant
//! are decided once, below; the server's routes and the app's server functions both use them.

use coffer_protocol::{code, ErrorBody};

/// Why a request is not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credential at all.
    Missing,
    /// A credential that was valid once but has expired.
    Expired,
    /// Unknown, revoked or malformed.
    Invalid,
}

impl AuthFailure {
    /// Machine-readable code for JSON bodies.
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::Missing => code::UNAUTHENTICATED,
            AuthFailure::Expired => code::TOKEN_EXPIRED,
            AuthFailure::Invalid => code::INVALID_TOKEN,
        }
    }

    /// Words for a person.
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "Please log in.",
            AuthFailure::Expired => "Your session or token has expired. Please log in again.",
            AuthFailure::Invalid => "Your session or token is not valid. Please log in again.",
        }
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// No valid session or token.
    #[error("{}", .0.message())]
    Unauthenticated(AuthFailure),
    /// Login failed. Deliberately identical for unknown users and wrong passwords.
    #[error("Wrong username or password.")]
    BadCredentials,
    /// The password proof passed; the login waits for a second-factor code (the ticket is in a
    /// short-lived cookie, never in a body).
    #[error("Enter the 6-digit code from your authenticator app, or one of your recovery codes.")]
    SecondFactorRequired,
    /// The password proof passed; the login waits for a code sent to the user's address
    /// (`COFFER_REQUIRE_EMAIL`), with the ticket in the same cookie.
    #[error("Enter the code Coffer sent to your email address.")]
    EmailVerificationRequired,
    /// Not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such file, upload, user, grant, link or contact *for this caller*; the message says
    /// which kind, never whether it exists for someone else.
    #[error("{0}")]
    NotFound(&'static str),
    /// A public link: unknown, expired, revoked, used up or its file deleted. One answer for
    /// all of them, byte for byte.
    #[error("This link is no longer available.")]
    LinkUnavailable,
    /// A share-link token that does not match (wrong password, or a damaged link).
    #[error("Wrong password.")]
    WrongPassword,
    /// Too many attempts; retry after `retry_after` seconds.
    #[error("{message}")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
        /// Words for a person.
        message: String,
    },
    /// The request is malformed or breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// A file or part larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Over the user's quota.
    #[error("{0}")]
    QuotaExceeded(String),
    /// `complete` before every part arrived: these are missing.
    #[error("The upload is not complete: {} part(s) have not arrived yet.", .0.len())]
    Incomplete(Vec<u64>),
    /// The file changed since the caller read it (another tab or device made a newer version).
    #[error("This file was changed elsewhere in the meantime. Reload and try again.")]
    VersionConflict,
    /// The thing exists already, or changed meanwhile.
    #[error("{0}")]
    Conflict(String),
    /// A byte range outside a file of `size` bytes.
    #[error("The requested range is outside the file.")]
    RangeNotSatisfiable {
        /// The file's size.
        size: u64,
    },
    /// The server is at a limit it sets itself (hashing, upload buffers); retry after
    /// `retry_after` seconds. Nothing was done.
    #[error("Coffer is busy right now. It will try again in a moment.")]
    Busy {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A server-side failure, already logged.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
}

impl DomainError {
    /// Logs a server-side failure in full; the caller gets a generic 500.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "{context}");
        DomainError::Internal
    }

    /// An input error with a message for the user.
    pub fn invalid(message: impl Into<String>) -> Self {
        DomainError::Invalid(message.into())
    }

    /// Too many attempts of some kind (`what`, e.g. "attempts"), for `retry_after` seconds.
    pub fn rate_limited(what: &str, retry_after: u64) -> Self {
        DomainError::RateLimited {
            retry_after,
            message: format!("Too many {what}. Try again in {retry_after} seconds."),
        }
    }

    /// The machine-readable code ([`coffer_protocol::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Unauthenticated(failure) => failure.code(),
            DomainError::BadCredentials => code::BAD_CREDENTIALS,
            DomainError::SecondFactorRequired => code::SECOND_FACTOR_REQUIRED,
            DomainError::EmailVerificationRequired => code::EMAIL_VERIFICATION_REQUIRED,
            DomainError::Forbidden(_) => code::FORBIDDEN,
            DomainError::NotFound(_) | DomainError::LinkUnavailable => code::NOT_FOUND,
            DomainError::WrongPassword => code::WRONG_PASSWORD,
            DomainError::RateLimited { .. } => code::RATE_LIMITED,
            DomainError::Invalid(_) => code::INVALID,
            DomainError::TooLarge(_) => code::TOO_LARGE,
            DomainError::QuotaExceeded(_) => code::QUOTA_EXCEEDED,
            DomainError::Incomplete(_) => code::INCOMPLETE,
            DomainError::VersionConflict => code::VERSION_CONFLICT,
            DomainError::Conflict(_) => code::CONFLICT,
            DomainError::RangeNotSatisfiable { .. } => code::RANGE_NOT_SATISFIABLE,
            DomainError::Busy { .. } => code::BUSY,
            DomainError::Internal => code::INTERNAL,
        }
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> u16 {
        match self {
            DomainError::Invalid(_) => 400,
            DomainError::Unauthenticated(_)
            | DomainError::BadCredentials
            | DomainError::SecondFactorRequired
            | DomainError::EmailVerificationRequired
            | DomainError::WrongPassword => 401,
            DomainError::Forbidden(_) => 403,
            DomainError::NotFound(_) | DomainError::LinkUnavailable => 404,
            DomainError::Incomplete(_)
            | DomainError::VersionConflict
            | DomainError::Conflict(_) => 409,
            DomainError::TooLarge(_) | DomainError::QuotaExceeded(_) => 413,
            DomainError::RangeNotSatisfiable { .. } => 416,
            DomainError::RateLimited { .. } => 429,
            DomainError::Internal => 500,
            DomainError::Busy { .. } => 503,
        }
    }

    /// Headers that go with the status: `WWW-Authenticate` on a 401 that names a scheme,
    /// `Retry-After` on a 429, `Content-Range` on a 416.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            DomainError::Unauthenticated(_) => vec![("www-authenticate", "Bearer".into())],
            DomainError::WrongPassword => vec![("www-authenticate", "Coffer-Link".into())],
            DomainError::RateLimited { retry_after, .. } | DomainError::Busy { retry_after } => {
                vec![("retry-after", retry_after.to_string())]
            }
            DomainError::RangeNotSatisfiable { size } => {
                vec![("content-range", format!("bytes */{size}"))]
            }
            _ => Vec::new(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        match self {
            DomainError::Incomplete(missing) => body.missing_parts = missing.clone(),
            DomainError::RateLimited { retry_after, .. } | DomainError::Busy { retry_after } => {
                body.retry_after = Some(*retry_after)
            }
            _ => {}
        }
        body
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(err: sea_orm::DbErr) -> Self {
        DomainError::internal("database", err)
    }
}

impl From<AuthFailure> for DomainError {
    fn from(failure: AuthFailure) -> Self {
        DomainError::Unauthenticated(failure)
    }
}

/// Why the domain could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A newer Coffer migrated this database.
    #[error(
        "the database was migrated by a newer version of Coffer (migration {0:?} is unknown to \
         this one); run the newer Coffer or restore a backup"
    )]
    NewerSchema(String),
    /// The blob store cannot be used.
    #[error("storage: {0}")]
    Storage(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_tell_the_caller_nothing_of_the_cause() {
        let err = DomainError::internal("database", "relation \"files\" does not exist");
        let body = err.body();
        assert_eq!((err.status(), body.error.as_str()), (500, "internal"));
        assert!(!body.message.contains("relation"));
    }

    #[test]
    fn an_incomplete_upload_names_the_missing_parts() {
        let body = DomainError::Incomplete(vec![2, 5]).body();
        assert_eq!(body.missing_parts, [2, 5]);
        assert!(body.message.contains("2 part(s)"));
    }

    #[test]
    fn limits_say_when_to_come_back_in_the_header_and_the_body() {
        let err = DomainError::rate_limited("attempts", 30);
        assert_eq!(err.status(), 429);
        assert_eq!(err.headers(), [("retry-after", "30".to_string())]);
        assert_eq!(err.body().retry_after, Some(30));
        assert_eq!(
            err.to_string(),
            "Too many attempts. Try again in 30 seconds."
        );
    }
}
