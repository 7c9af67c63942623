//! `fetch()` for the vault routes, with errors in words; whether Coffer can be reached; and how
//! a transfer rides out an outage ([`Outage`], [`patiently`]).

use std::{cell::RefCell, future::Future, rc::Rc};

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, Response};

use super::{now_ms, sleep_ms};
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

    /// Whether the server could not be reached or could not work (a network error, or a 5xx
    /// other than `503 busy`): a transfer waits for it to come back rather than failing.
    pub fn outage(&self) -> bool {
        match self {
            HttpError::Network => true,
            HttpError::Status { status, .. } => {
                (500..600).contains(status) && self.busy().is_none()
            }
            HttpError::Aborted => false,
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
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(why) => {
            let e = aborted_or_network(signal, &why);
            if e == HttpError::Network {
                report(false);
            }
            return Err(e);
        }
    };
    let response: Response = answer.dyn_into().map_err(|_| HttpError::Network)?;
    // A gateway's 502/504 says the same as no answer: Coffer itself is not there.
    report(!matches!(response.status(), 502 | 504));
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(&response).await)
    }
}

/// Whether Coffer answered the last request, and who wants to know.
struct Reach {
    reachable: bool,
    /// Counts answers, so a wait can tell that one came in meanwhile.
    answers: u64,
    listeners: Vec<Rc<dyn Fn(bool)>>,
}

thread_local! {
    static REACH: RefCell<Reach> = RefCell::new(Reach {
        reachable: true,
        answers: 0,
        listeners: Vec::new(),
    });
}

/// Tells the page whether Coffer answered a request (`true`) or did not (`false`): the vault's
/// requests here, server functions in `crate::error`.
pub(crate) fn report(reachable: bool) {
    let changed = REACH.with(|r| {
        let mut r = r.borrow_mut();
        if reachable {
            r.answers += 1;
        }
        let changed = r.reachable != reachable;
        r.reachable = reachable;
        changed.then(|| r.listeners.clone())
    });
    for listener in changed.unwrap_or_default() {
        listener(reachable);
    }
}

/// Calls `listener` whenever Coffer stops or starts answering this page's requests (the offline
/// banner; reloading what failed). It lives as long as the page.
pub fn on_reachability(listener: impl Fn(bool) + 'static) {
    REACH.with(|r| r.borrow_mut().listeners.push(Rc::new(listener)));
}

/// Whether the last request this page sent got an answer.
pub fn reachable() -> bool {
    REACH.with(|r| r.borrow().reachable)
}

fn answers() -> u64 {
    REACH.with(|r| r.borrow().answers)
}

/// How one transfer rides out an outage. Every request of the transfer that finds no server
/// (see [`HttpError::outage`]) asks it when to try again, and tells it when the server answers;
/// the page behind it decides the waits and shows them ("Reconnecting… (next try in 4 s)").
pub trait Outage {
    /// A request failed for want of the server at `now_ms` (the [`now_ms`] clock): when the
    /// next try may go.
    fn failed(&self, now_ms: f64) -> f64;
    /// The server answered (whatever it said).
    fn answered(&self);
}

/// A transfer's [`Outage`], shared by its requests.
pub type Reconnect = Rc<dyn Outage>;

/// How often a wait looks whether it was cancelled or the server came back meanwhile.
const WAIT_SLICE_MS: u32 = 250;

/// Waits before trying again after a request found no server: until the time `outage` sets, or
/// sooner if any request of this page (another transfer, the offline banner's probe) gets an
/// answer meanwhile. `Err(Aborted)` as soon as `signal` is aborted.
pub async fn wait_for_server(
    outage: &dyn Outage,
    signal: Option<&AbortSignal>,
) -> Result<(), HttpError> {
    let due = outage.failed(now_ms());
    let seen = answers();
    while now_ms() < due && answers() == seen {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(HttpError::Aborted);
        }
        sleep_ms(WAIT_SLICE_MS).await;
    }
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(HttpError::Aborted);
    }
    Ok(())
}

/// Waits `seconds` (with a little jitter, so requests told to wait together do not come back
/// together), or until `signal` is aborted.
pub async fn wait_turn(seconds: u64, signal: Option<&AbortSignal>) -> Result<(), HttpError> {
    let due = now_ms() + (seconds * 1000) as f64 + js_sys::Math::random() * 500.0;
    while now_ms() < due {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(HttpError::Aborted);
        }
        sleep_ms(WAIT_SLICE_MS).await;
    }
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(HttpError::Aborted);
    }
    Ok(())
}

/// Other refusals worth another try (`408`, `429`): this many, after the wait the server asks
/// for (or 1 s).
const REFUSAL_RETRIES: u32 = 3;

/// Sends a request (`request` makes it anew each time) until the server answers it: an outage
/// waits through `outage` for as long as it lasts, `503 busy` waits its turn (it is not a
/// failure), `408`/`429` are tried again a few times. `gone` says the answer is no longer wanted
/// (stops the waiting too). Every other answer is returned.
pub async fn patiently<T, F, Fut>(
    outage: &dyn Outage,
    signal: Option<&AbortSignal>,
    gone: impl Fn() -> bool,
    mut request: F,
) -> Result<T, HttpError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HttpError>>,
{
    let mut refused = 0;
    loop {
        let result = request().await;
        if gone() {
            return Err(HttpError::Aborted);
        }
        match result {
            Err(e) if e.outage() => wait_for_server(outage, signal).await?,
            Err(HttpError::Aborted) => return Err(HttpError::Aborted),
            Err(e) => {
                outage.answered();
                match e.busy() {
                    Some(seconds) => wait_turn(seconds, signal).await?,
                    None if e.retryable() && refused < REFUSAL_RETRIES => {
                        refused += 1;
                        let seconds = match &e {
                            HttpError::Status { retry_after, .. } => retry_after.unwrap_or(1),
                            _ => 1,
                        };
                        wait_turn(seconds.clamp(1, 60), signal).await?;
                    }
                    None => return Err(e),
                }
            }
            Ok(answer) => {
                outage.answered();
                return Ok(answer);
            }
        }
        if gone() {
            return Err(HttpError::Aborted);
        }
    }
}

/// A `fetch` that threw: cancelled (by `signal`, or by the page going away: `AbortError`), or
/// no answer.
fn aborted_or_network(signal: Option<&AbortSignal>, why: &JsValue) -> HttpError {
    let name = js_sys::Reflect::get(why, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if signal.is_some_and(|s| s.aborted()) || name.as_deref() == Some("AbortError") {
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
    call_until(method, url, body, None).await
}

/// [`call`] that `signal` can abort.
pub async fn call_until(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
    signal: Option<&AbortSignal>,
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
    send(method, url, json.as_ref(), headers, signal).await
}

/// Like [`call`], and parses the JSON answer.
pub async fn json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
) -> Result<T, HttpError> {
    json_until(method, url, body, None).await
}

/// [`json`] that `signal` can abort.
pub async fn json_until<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&impl Serialize>,
    signal: Option<&AbortSignal>,
) -> Result<T, HttpError> {
    let response = call_until(method, url, body, signal).await?;
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
