//! Accepting connections, with the timeouts a server on the open internet needs (axum's own
//! `serve` sets none): a client must send its request headers within `header_timeout`, which
//! also ends a kept-alive connection that stays idle that long, and a request body must keep
//! arriving ([`crate::http::slow`]). A cut slow client is counted and logged. Shutdown is
//! graceful: no new connections, requests in flight finish.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
};

use axum::{body::Body, extract::ConnectInfo, http::Request, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::{config::HttpSettings, http::client_addr};

/// Connections cut because their headers did not arrive in time (or they idled), since start.
static SLOW_HEADERS: AtomicU64 = AtomicU64::new(0);

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    http: HttpSettings,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(http.header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(http.header_timeout))
        .keep_alive_timeout(http.header_timeout);
    let graceful = GracefulShutdown::new();
    let trusted = std::sync::Arc::new(http.trusted_proxies.clone());
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(%e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let trusted = trusted.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            // Every reader of the client's address (rate limits, the sessions list, the slow
            // body guard) takes it from here: the peer, or whom trusted proxies forward for.
            let client = client_addr::resolve(remote.ip(), req.headers(), &trusted);
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(client, remote.port())));
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(
                    router
                        .oneshot(req.map(Body::new))
                        .await
                        .unwrap_or_else(|e| match e {}),
                )
            }
        });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                note_connection_error(remote, e.as_ref());
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

fn note_connection_error(remote: SocketAddr, err: &(dyn std::error::Error + 'static)) {
    let timed_out = err
        .downcast_ref::<hyper::Error>()
        .is_some_and(hyper::Error::is_timeout);
    if timed_out {
        let total = SLOW_HEADERS.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            client = %remote.ip(),
            total,
            "cut a slow or idle client: no request headers in time"
        );
    } else {
        tracing::debug!(client = %remote.ip(), %err, "connection ended with an error");
    }
}
