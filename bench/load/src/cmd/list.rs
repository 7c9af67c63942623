//! `list --base URL --user NAME --password PW [--concurrency 64] [--seconds 20] [--limit N]`
//!
//! The file list under load: `--concurrency` connections each ask for the first page of
//! `GET /api/files` (the default page size, 100, which is what the browser asks for first; or `?limit=N`) with `Accept-Encoding: gzip`, one request after the
//! other, for `--seconds`; meanwhile a separate connection asks `GET /healthz` every 50 ms (a
//! liveness probe: it must stay quick while the server is busy). Log in first as a user with
//! files (`seed`).
//!
//! What is printed (Markdown), for each of the two: requests answered, requests per second,
//! latency p50 / p99 / max (from sending to the last byte of the answer, which is not
//! decompressed here), answers other than 200, and the size of one answer as sent (compressed,
//! with its `Content-Encoding`). Before the load, one page is fetched without compression to
//! show its uncompressed size and how many files it holds.
//!
//! Bounds: at most 1024 connections, 600 s.

use std::time::Duration;

use coffer_protocol::vault::FileList;
use reqwest::{header, Method, StatusCode};
use tokio::time::{Instant, MissedTickBehavior};

use super::Target;
use crate::{
    account::login,
    args::Args,
    server::{expect, Server},
    stats::{Latencies, Tally},
    Fallible,
};

const HEALTH_EVERY: Duration = Duration::from_millis(50);

/// What a set of requests saw.
#[derive(Default)]
struct Seen {
    answers: Tally,
    latency: Latencies,
    /// Size and `Content-Encoding` of the last answer.
    size: usize,
    encoding: String,
}

impl Seen {
    fn merge(&mut self, other: Seen) {
        self.answers.merge(other.answers);
        self.latency.merge(other.latency);
        if other.size > 0 {
            self.size = other.size;
            self.encoding = other.encoding;
        }
    }
}

pub async fn run(mut args: Args) -> Fallible<()> {
    let target = Target::from_args(&mut args)?;
    let concurrency: usize = args.number("concurrency", 64, 1..=1024)?;
    let seconds: u64 = args.number("seconds", 20, 1..=600)?;
    let limit: Option<u32> = args.optional_number("limit", 1..=1000)?;
    args.finish()?;
    let path = match limit {
        None => "/api/files".to_string(),
        Some(n) => format!("/api/files?limit={n}"),
    };
    let path = path.as_str();

    let server = Server::new(&target.base, concurrency)?;
    let session = login(&server, &target.user, &target.password).await?;
    let cookie = session.cookie.as_str();

    let plain = server
        .request(Method::GET, path, Some(cookie))
        .send()
        .await?;
    let plain = expect(plain, StatusCode::OK, "GET /api/files")
        .await?
        .bytes()
        .await?;
    let page: FileList = serde_json::from_slice(&plain)?;

    let health_server = Server::new(&target.base, 1)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    eprintln!("list: {concurrency} connections for {seconds} s, /healthz every 50 ms");
    let workers = (0..concurrency).map(|_| {
        timed_gets(deadline, || {
            server
                .request(Method::GET, path, Some(cookie))
                .header(header::ACCEPT_ENCODING, "gzip")
        })
    });
    let health = health_checks(&health_server, deadline);
    let (pages, health) = tokio::join!(futures_util::future::join_all(workers), health);
    let took = start.elapsed().as_secs_f64();
    let mut list = Seen::default();
    for one in pages {
        list.merge(one);
    }

    println!(
        "| {concurrency} connections, {took:.1} s | answered | per second | p50 / p99 / max | not 200 | one answer on the wire |"
    );
    println!("|---|---|---|---|---|---|");
    for (what, seen) in [
        (
            format!(
                "GET {path} (first page: {} files{}, gzip)",
                page.files.len(),
                if page.next.is_some() {
                    ", more after"
                } else {
                    ""
                }
            ),
            &list,
        ),
        ("GET /healthz every 50 ms".to_string(), &health),
    ] {
        println!(
            "| {what} | {} | {:.0} | {} | {} | {} B ({}) |",
            seen.latency.count(),
            seen.latency.count() as f64 / took,
            seen.latency.cell(),
            seen.answers.others(&["200"]),
            seen.size,
            if seen.encoding.is_empty() {
                "identity"
            } else {
                &seen.encoding
            },
        );
    }
    println!(
        "\nThe first page uncompressed: {} B for {} files.",
        plain.len(),
        page.files.len()
    );
    Ok(())
}

/// Sends the request `make` builds, one after the other, until `deadline`.
async fn timed_gets(deadline: Instant, make: impl Fn() -> reqwest::RequestBuilder) -> Seen {
    let mut seen = Seen::default();
    while Instant::now() < deadline {
        once(&mut seen, make()).await;
    }
    seen
}

/// `GET /healthz` every 50 ms until `deadline` (a slow answer delays the next, never doubles up).
async fn health_checks(server: &Server, deadline: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut tick = tokio::time::interval(HEALTH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while Instant::now() < deadline {
        tick.tick().await;
        once(&mut seen, server.request(Method::GET, "/healthz", None)).await;
    }
    seen
}

async fn once(seen: &mut Seen, req: reqwest::RequestBuilder) {
    let sent = Instant::now();
    let res = match req.send().await {
        Ok(res) => res,
        Err(_) => {
            seen.answers.add("error");
            tokio::time::sleep(Duration::from_millis(10)).await;
            return;
        }
    };
    let status = res.status();
    let encoding = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    match res.bytes().await {
        Ok(body) => {
            seen.latency.record(sent.elapsed());
            seen.answers.add(status.as_str());
            seen.size = body.len();
            seen.encoding = encoding;
        }
        Err(_) => seen.answers.add("error"),
    }
}
