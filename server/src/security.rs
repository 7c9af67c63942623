//! Security middleware: response headers for every response, and the
//! cross-site check for every state-changing request (Leptos does not check
//! Origin for server functions; Coffer does, here).

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Rejects cross-site state-changing requests.
///
/// Browsers send `Sec-Fetch-Site` (and `Origin`) on every POST; anything but
/// `same-origin` (or `none`, a user-initiated navigation) is refused. Clients
/// that send neither header are not browsers and cannot carry a victim's
/// cookies (which are also `SameSite=Strict`), so they pass.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return forbidden();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin.to_str().ok().and_then(|o| {
            o.strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
        });
        if host.is_none() || origin_host != host {
            return forbidden();
        }
    }
    next.run(req).await
}

fn forbidden() -> Response {
    let body = coffer_protocol::ErrorBody::new(
        coffer_protocol::code::FORBIDDEN,
        "Cross-site requests are not allowed.",
    );
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// A strict CSP for responses that are not app pages (JSON, files). App pages
/// get a per-response nonce CSP from the shell instead.
const FALLBACK_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds Coffer's security headers to every response.
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "no-referrer");
    set("x-frame-options", "DENY");
    set("cross-origin-opener-policy", "same-origin");
    set("cross-origin-resource-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set("content-security-policy", FALLBACK_CSP);
    res
}
