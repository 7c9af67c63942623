//! Server-rendered pages, guarded against a render that never finishes.
//!
//! Leptos streams a page's HTML while its `<Suspense>` boundaries resolve. A render that never
//! finishes leaves the response open for good: the browser shows the page but never fires
//! `load`, and the app never hydrates. Upstream reports such hangs (leptos-rs/leptos#4851,
//! #4647). The one seen here (a login page that never loaded in the e2e run) turned out to be a
//! panic inside the render (a thread-local value dropped on another thread; fixed in the pages,
//! tested by `pages_rendered_concurrently_on_many_threads_all_answer_whole`), but the guard
//! stays for the upstream kind: a page GET is idempotent, so it is rendered into a buffer under
//! a deadline and, when the render stalls, dropped (which cancels it) and rendered again. Pages are small and their resources
//! are quick database reads, so buffering costs little; everything else (scripts, Wasm, server
//! functions, anything not `text/html`) passes through untouched and streams as before.

use std::{convert::Infallible, time::Duration};

use axum::{
    body::Body,
    http::{header, Method, Request, Response, StatusCode},
};
use tower::{Service, ServiceExt};

/// How long one render of a page may take before it counts as stalled.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(8);
/// Renders of one page before giving up.
const ATTEMPTS: u32 = 3;
/// A page larger than this is not a page this app renders.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Answers `req` with `site` (the router of the app's pages and static files), rendering HTML
/// pages again when a render stalls for longer than `deadline`.
pub async fn guarded<S>(site: S, req: Request<Body>, deadline: Duration) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone,
{
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return call(site, req).await;
    }
    let (parts, body) = req.into_parts();
    // A GET's body is empty; it is not read, and every attempt gets an empty one.
    drop(body);
    for attempt in 1..=ATTEMPTS {
        let res = call(
            site.clone(),
            Request::from_parts(parts.clone(), Body::empty()),
        )
        .await;
        if !is_html(&res) {
            return res;
        }
        let (head, body) = res.into_parts();
        match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_PAGE_BYTES)).await {
            Ok(Ok(bytes)) => return Response::from_parts(head, Body::from(bytes)),
            Ok(Err(e)) => {
                tracing::warn!(path = %parts.uri.path(), %e, "a page could not be rendered");
                return unavailable();
            }
            Err(_) => tracing::warn!(
                path = %parts.uri.path(),
                attempt,
                "a page render stalled; rendering it again"
            ),
        }
    }
    unavailable()
}

async fn call<S>(site: S, req: Request<Body>) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    match site.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

fn is_html(res: &Response<Body>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn unavailable() -> Response<Body> {
    let mut res = Response::new(Body::from(
        "This page could not be prepared just now. Please reload it.",
    ));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    res
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    };

    use futures_util::stream;

    use super::*;

    /// A site whose first `stalls` HTML renders send a first chunk and then never finish.
    fn site(
        stalls: u32,
        content_type: &'static str,
    ) -> (
        impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone,
        Arc<AtomicU32>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let svc = tower::service_fn(move |_req: Request<Body>| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let body = if n < stalls {
                    let first = stream::iter([Ok::<_, Infallible>(
                        axum::body::Bytes::from_static(b"<html><body>half"),
                    )]);
                    Body::from_stream(first.chain(stream::pending()))
                } else {
                    Body::from("<html><body>whole</body></html>")
                };
                let mut res = Response::new(body);
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
                Ok::<_, Infallible>(res)
            }
        });
        (svc, calls)
    }

    use futures_util::StreamExt;

    async fn text(res: Response<Body>) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    const SHORT: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn a_stalled_render_is_rendered_again() {
        let (svc, calls) = site(1, "text/html; charset=utf-8");
        let res = guarded(
            svc,
            Request::get("/login").body(Body::empty()).unwrap(),
            SHORT,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(text(res).await, "<html><body>whole</body></html>");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_page_that_always_stalls_ends_in_a_503_not_a_hang() {
        let (svc, calls) = site(u32::MAX, "text/html");
        let res = guarded(
            svc,
            Request::get("/vault").body(Body::empty()).unwrap(),
            SHORT,
        )
        .await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn a_quick_page_is_rendered_once() {
        let (svc, calls) = site(0, "text/html");
        let res = guarded(svc, Request::get("/").body(Body::empty()).unwrap(), SHORT).await;
        assert_eq!(text(res).await, "<html><body>whole</body></html>");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn other_content_and_other_methods_pass_through_unbuffered() {
        // Not HTML: handed back as it is (still streaming), not waited for.
        let (svc, calls) = site(1, "application/wasm");
        let res = guarded(
            svc,
            Request::get("/pkg/coffer.wasm")
                .body(Body::empty())
                .unwrap(),
            SHORT,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let mut body = res.into_body().into_data_stream();
        assert_eq!(
            &body.next().await.unwrap().unwrap()[..],
            b"<html><body>half"
        );
        // A POST is never sent twice.
        let (svc, calls) = site(1, "text/html");
        let res = guarded(
            svc,
            Request::post("/api/x").body(Body::empty()).unwrap(),
            SHORT,
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
