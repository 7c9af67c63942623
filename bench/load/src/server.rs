//! The server under test: a loopback base URL (anything else is refused, so these tools cannot
//! be pointed at somebody else's server) and requests made the way the app's `fetch` makes them
//! (same-origin headers, the session cookie).

use std::time::Duration;

use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::Fallible;

/// Hosts a base URL may name.
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// Longest `Retry-After` honoured; a server asking for more is waited on this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A Coffer server on this machine.
pub struct Server {
    base: String,
    /// `host:port`, for raw sockets.
    pub addr: String,
    http: reqwest::Client,
}

impl Server {
    /// Checks `base` and prepares a client keeping up to `connections` connections alive.
    pub fn new(base: &str, connections: usize) -> Fallible<Self> {
        let url = reqwest::Url::parse(base).map_err(|e| format!("--base {base:?}: {e}"))?;
        let host = url.host_str().unwrap_or_default();
        if url.scheme() != "http" || !LOOPBACK_HOSTS.contains(&host) {
            return Err(format!(
                "--base {base:?}: only http://127.0.0.1 or http://localhost (this machine) is allowed"
            )
            .into());
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(format!("--base {base:?}: give the server's root, without a path").into());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(connections)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Server {
            base: format!("http://{host}:{port}"),
            addr: format!("{host}:{port}"),
            http,
        })
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request as the app's `fetch` sends it, with `cookie` (`name=value`) if given.
    pub fn request(&self, method: Method, path: &str, cookie: Option<&str>) -> RequestBuilder {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, &self.base);
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        req
    }

    /// POSTs a JSON body.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        cookie: Option<&str>,
    ) -> Fallible<Response> {
        Ok(self
            .request(Method::POST, path, cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await?)
    }
}

/// The session cookie a response sets, as `name=value` for a `Cookie` header.
pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, value)| name.ends_with("coffer_session") && !value.is_empty())
        })
        .map(str::to_string)
}

/// How long a 503 or 429 asks to wait (1 s when it does not say; at most 30 s).
pub fn retry_after(res: &Response) -> Duration {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
        .min(MAX_RETRY_AFTER)
}

/// An answer other than the one expected.
#[derive(Debug)]
pub struct Unexpected {
    pub status: StatusCode,
    message: String,
}

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Unexpected {}

/// The response if its status is `expected`; otherwise an [`Unexpected`] naming `what` and
/// carrying the server's answer.
pub async fn expect(res: Response, expected: StatusCode, what: &str) -> Fallible<Response> {
    if res.status() == expected {
        return Ok(res);
    }
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    Err(Box::new(Unexpected {
        status,
        message: format!("{what}: expected {expected}, got {status}: {}", clip(&body)),
    }))
}

/// Whether `e` is a 5xx answer (the server failed, rather than refused).
pub fn is_server_error(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.downcast_ref::<Unexpected>()
        .is_some_and(|u| u.status.is_server_error())
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(300) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_roots_are_accepted() {
        for base in ["http://127.0.0.1:3000", "http://localhost:8080/"] {
            assert!(Server::new(base, 1).is_ok(), "{base}");
        }
        for base in [
            "http://example.org",
            "http://10.0.0.1:3000",
            "http://127.0.0.2:3000",
            "https://127.0.0.1:3000",
            "http://127.0.0.1:3000/api",
            "http://localhost.example.org",
        ] {
            assert!(Server::new(base, 1).is_err(), "{base}");
        }
    }
}
