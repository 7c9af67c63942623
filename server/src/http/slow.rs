//! Request bodies that must keep arriving: each body is measured in windows of `body_window`
//! spent *waiting for the client* (time the server spends elsewhere does not count against it),
//! and a window that brings less than `body_min_bytes_per_second` (nothing at all, or a
//! trickle meant to hold the connection open) ends the body with an error, which the route
//! answers as an incomplete request and the server counts and logs. Bodies that arrive at a
//! real network's pace are untouched, however long they take in all.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    middleware::Next,
    response::Response,
};
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::config::HttpSettings;

/// Bodies cut for being too slow, since start.
static SLOW_BODIES: AtomicU64 = AtomicU64::new(0);

/// What the paced body yields.
type Chunk = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Why a body was cut.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct TooSlow;

/// Middleware: wraps the request body in the rate check.
pub async fn require_body_progress(settings: HttpSettings, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let client = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    // Fused: a handler may poll a body again after its end (e.g. draining a refused part).
    let body = Body::from_stream(paced(body, settings, client).fuse());
    next.run(Request::from_parts(parts, body)).await
}

struct Pace {
    inner: axum::body::BodyDataStream,
    window: Duration,
    min_per_window: u64,
    /// Waiting time left in the current window.
    left: Duration,
    bytes_in_window: u64,
    client: String,
    done: bool,
}

fn paced(
    body: Body,
    settings: HttpSettings,
    client: String,
) -> impl futures_util::Stream<Item = Chunk> {
    let window = settings.body_window;
    let pace = Pace {
        inner: body.into_data_stream(),
        window,
        min_per_window: settings
            .body_min_bytes_per_second
            .saturating_mul(window.as_secs().max(1)),
        left: window,
        bytes_in_window: 0,
        client,
        done: false,
    };
    futures_util::stream::unfold(pace, |mut pace| async move {
        if pace.done {
            return None;
        }
        loop {
            let started = Instant::now();
            let next = tokio::time::timeout(pace.left, pace.inner.next()).await;
            pace.left = pace.left.saturating_sub(started.elapsed());
            match next {
                Ok(Some(Ok(chunk))) => {
                    pace.bytes_in_window += chunk.len() as u64;
                    if pace.left.is_zero() && !pace.next_window() {
                        return pace.cut();
                    }
                    return Some((Ok(chunk), pace));
                }
                Ok(Some(Err(e))) => {
                    pace.done = true;
                    return Some((Err(Box::new(e) as _), pace));
                }
                Ok(None) => return None,
                Err(_) => {
                    if !pace.next_window() {
                        return pace.cut();
                    }
                }
            }
        }
    })
}

impl Pace {
    /// Closes the window that ended: whether it brought enough, and a new one if so.
    fn next_window(&mut self) -> bool {
        if self.bytes_in_window < self.min_per_window {
            return false;
        }
        self.bytes_in_window = 0;
        self.left = self.window;
        true
    }

    fn cut(mut self) -> Option<(Chunk, Self)> {
        self.done = true;
        let total = SLOW_BODIES.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            client = %self.client,
            total,
            "cut a slow client: its request body stalled or trickled"
        );
        Some((Err(Box::new(TooSlow)), self))
    }
}
