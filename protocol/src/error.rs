//! The one error body every route answers with, server functions included:
//! `{"error": code, "message": words for a person}`, plus `missing_parts` for an incomplete
//! upload and `retry_after` (seconds, as in the `Retry-After` header) for a limit.

use serde::{Deserialize, Serialize};

/// An error answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, one of [`code`].
    #[serde(default)]
    pub error: String,
    /// Words for a person. Never SQL, paths or other internals.
    #[serde(default)]
    pub message: String,
    /// For `incomplete`: the parts still missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_parts: Vec<u64>,
    /// For `rate_limited` and `busy`: seconds to wait before trying again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    /// A body with a code and a message.
    pub fn new(error: &str, message: impl Into<String>) -> Self {
        ErrorBody {
            error: error.to_string(),
            message: message.into(),
            ..Default::default()
        }
    }
}

/// The error codes, with the HTTP status each is sent with.
pub mod code {
    /// 400: the request is malformed or breaks a rule; the message says which.
    pub const INVALID: &str = "invalid";
    /// 401: wrong username or password (deliberately the same for unknown users).
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// 401: the password proof passed; the login waits for the second factor (a code).
    pub const SECOND_FACTOR_REQUIRED: &str = "second_factor_required";
    /// 401: the password proof passed; the login waits for a code sent to the user's address
    /// (the server requires a verified one).
    pub const EMAIL_VERIFICATION_REQUIRED: &str = "email_verification_required";
    /// 401: no session or token.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// 401: a session or token that has expired.
    pub const TOKEN_EXPIRED: &str = "token_expired";
    /// 401: an unknown, revoked or malformed session or token.
    pub const INVALID_TOKEN: &str = "invalid_token";
    /// 401: a share link's token (password) is wrong.
    pub const WRONG_PASSWORD: &str = "wrong_password";
    /// 403: not allowed (e.g. a cross-site request).
    pub const FORBIDDEN: &str = "forbidden";
    /// 404: no such thing *for this caller*.
    pub const NOT_FOUND: &str = "not_found";
    /// 409: it exists already, or changed meanwhile.
    pub const CONFLICT: &str = "conflict";
    /// 409: a file version that is not the next one.
    pub const VERSION_CONFLICT: &str = "version_conflict";
    /// 409: an upload completed before all its parts arrived.
    pub const INCOMPLETE: &str = "incomplete";
    /// 413: a file or part larger than allowed.
    pub const TOO_LARGE: &str = "too_large";
    /// 413: over the user's quota.
    pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
    /// 416: a `Range` outside the file.
    pub const RANGE_NOT_SATISFIABLE: &str = "range_not_satisfiable";
    /// 429: too many attempts.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 500: a server-side failure; details are in the server log only.
    pub const INTERNAL: &str = "internal";
    /// 503: the server is at a limit it sets itself (password hashing, upload buffers); retry
    /// after `retry_after` seconds. Nothing was done.
    pub const BUSY: &str = "busy";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_fields_stay_out_of_the_json_when_unused() {
        let body = ErrorBody::new(code::NOT_FOUND, "There is no such file.");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":"not_found","message":"There is no such file."}"#
        );
    }

    #[test]
    fn a_body_without_fields_still_reads() {
        let body: ErrorBody = serde_json::from_str("{}").unwrap();
        assert_eq!(body, ErrorBody::default());
    }
}
