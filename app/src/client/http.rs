//! `fetch()` for the vault routes, with errors in words.

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, Response};

use crate::protocol::ErrorBody;

/// Why a request to the vault failed.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpError {
    /// No answer (offline, connection reset, server restarting). Worth retrying.
    Network,
    /// The user cancelled.
    Aborted,
    /// The server answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// The body's `error` code.
        code: String,
        /// The body's `message`, words for a person.
        message: String,
        /// For `409 incomplete`: the parts still missing.
        missing_parts: Vec<u64>,
        /// For `429` and `503`: seconds the server asks to wait.
        retry_after: Option<u64>,
    },
}

impl HttpError {
    /// A refusal made up on this side (the server's answer was not what it should be).
    pub fn refused(status: u16, message: &str) -> Self {
        HttpError::Status {
            status,
            code: "invalid".into(),
            message: message.into(),
            missing_parts: Vec::new(),
            retry_after: None,
        }
    }

    /// When the server is at a limit it sets itself (`503 busy`): how long it asks to wait.
    /// Such a request did nothing and is simply sent again.
    pub fn busy(&self) -> Option<u64> {
        match self {
            HttpError::Status {
                status: 503,
                retry_after,
                ..
            } => Some(retry_after.unwrap_or(1).clamp(1, 60)),
            _ => None,
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            HttpError::Network => true,
            HttpError::Aborted => false,
            HttpError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        }
    }

    /// Whether the session is gone (the user must log in again).
    pub fn unauthenticated(&self) -> bool {
        matches!(self, HttpError::Status { status: 401, .. })
    }

    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            HttpError::Network => {
                "Could not reach Coffer. Check your connection and try again.".into()
            }
            HttpError::Aborted => "Cancelled.".into(),
            HttpError::Status { status: 401, .. } => {
                "Your session has ended. Log in again to continue.".into()
            }
            HttpError::Status { status: 404, .. } => {
                "Coffer no longer has this file or upload.".into()
            }
            HttpError::Status { message, .. } if !message.is_empty() => message.clone(),
            HttpError::Status { status, .. } => format!("The server answered with error {status}."),
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Sends one request; a non-2xx answer becomes [`HttpError::Status`] with the server's words.
pub async fn send(
    method: &str,
    url: &str,
    body: Option<&JsValue>,
    headers: &[(&str, &str)],
    signal: Option<&AbortSignal>,
) -> Result<Response, HttpError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = body {
        init.set_body(body);
    }
    if !headers.is_empty() {
        let list = Headers::new().map_err(|_| HttpError::Network)?;
        for (name, value) in headers {
            list.set(name, value).map_err(|_| HttpError::Network)?;
        }
        init.set_headers(&list);
    }
    if let Some(signal) = signal {
        init.set_signal(Some(signal));
    }
    let window = web_sys::window().ok_or(HttpError::Network)?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| aborted_or_network(signal))?;
    let response: Response = answer.dyn_into().map_err(|_| HttpError::Network)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(&response).await)
    }
}

fn aborted_or_network(signal: Option<&AbortSignal>) -> HttpError {
    if signal.is_some_and(|s| s.aborted()) {
        HttpError::Aborted
    } else {
        HttpError::Network
    }
}

async fn text_of(response: &Response) -> Result<String, HttpError> {
    let promise = response.text().map_err(|_| HttpError::Network)?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|_| HttpError::Network)?;
    Ok(text.as_string().unwrap_or_default())
}

async fn error_from(response: &Response) -> HttpError {
    let body: ErrorBody = match text_of(response).await {
        Ok(text) => serde_json::from_str(&text).unwrap_or_default(),
        Err(_) => ErrorBody::default(),
    };
    HttpError::Status {
        status: response.status(),
        code: body.error,
        message: body.message,
        missing_parts: body.missing_parts,
        retry_after: body.retry_after,
    }
}

/// Sends `body` as JSON (if any) and returns the answer's body, ignored or parsed by the caller.
pub async fn call(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
) -> Result<Response, HttpError> {
    let json = body
        .map(|b| serde_json::to_string(b).map(|s| JsValue::from_str(&s)))
        .transpose()
        .map_err(|_| HttpError::Network)?;
    let headers: &[(&str, &str)] = if json.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    send(method, url, json.as_ref(), headers, None).await
}

/// Like [`call`], and parses the JSON answer.
pub async fn json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
) -> Result<T, HttpError> {
    let response = call(method, url, body).await?;
    let text = text_of(&response).await?;
    serde_json::from_str(&text).map_err(|_| HttpError::Status {
        status: response.status(),
        code: "unreadable".into(),
        message: "The server's answer could not be read.".into(),
        missing_parts: Vec::new(),
        retry_after: None,
    })
}

/// A request without a body.
pub const NO_BODY: Option<&()> = None;
