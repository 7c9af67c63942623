//! `logins --base URL --user NAME --password PW [--concurrency 64] [--seconds 25] [--pid PID]
//! [--after-seconds 30]`
//!
//! A burst of correct logins: the password's keys are derived once (as a browser would once per
//! login), then `--concurrency` workers each send `POST /api/login` with that auth key, one
//! after the other, for `--seconds`. The server hashes every auth key (Argon2id, 19 MiB each)
//! under its hashing budget, so this is the probe of the budget's memory bound.
//!
//! What is printed (Markdown):
//! - answers by status: 200 (logged in), 401 (refused), 429 (the attempt limiter), 503 (the
//!   hashing queue is full: `busy`), other statuses, and transport errors (no answer);
//! - latency p50 / p99 / max, from sending a request to the last byte of its answer, for all
//!   answers and for the 200s alone;
//! - with `--pid` (the server's process id): its RSS (`/proc/PID/status` VmRSS, every 100 ms)
//!   idle (median over the 2 s before the burst), at its peak during the burst (the largest
//!   sample, and VmHWM, the kernel's own peak, reset when the burst starts), the rise of the
//!   peak above idle, and the RSS `--after-seconds` after the burst (memory given back or not).
//!
//! The workers do not honour `Retry-After` (a flood does not); the account is registered first
//! if it does not exist. Bounds: at most 1024 workers, 600 s.

use std::{collections::BTreeMap, time::Duration};

use reqwest::{header, Method};
use tokio::time::Instant;

use super::{Target, IDLE};
use crate::{
    account::{login_body, password_keys, register_or_login},
    args::Args,
    rss::{Memory, RssSampler},
    server::Server,
    stats::{mib, Latencies, Tally},
    Fallible,
};

/// What one worker saw.
#[derive(Default)]
struct Seen {
    answers: Tally,
    all: Latencies,
    ok: Latencies,
    /// The first body of each status other than 200, to show what the refusals said.
    examples: BTreeMap<String, String>,
}

pub async fn run(mut args: Args) -> Fallible<()> {
    let target = Target::from_args(&mut args)?;
    let concurrency: usize = args.number("concurrency", 64, 1..=1024)?;
    let seconds: u64 = args.number("seconds", 25, 1..=600)?;
    let after: u64 = args.number("after-seconds", 30, 0..=300)?;
    let pid: Option<u32> = args.optional_number("pid", 1..=u32::MAX)?;
    args.finish()?;

    let server = Server::new(&target.base, concurrency)?;
    register_or_login(&server, &target.user, &target.password).await?;
    let keys = password_keys(&server, &target.user, &target.password).await?;
    let body = login_body(&target.user, &keys).to_string();

    let sampler = pid.map(RssSampler::start).transpose()?;
    let settle = Instant::now();
    tokio::time::sleep(IDLE).await;
    if let Some(s) = &sampler {
        s.reset_peak();
    }
    eprintln!("logins: {concurrency} workers for {seconds} s");
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|_| worker(&server, &body, deadline));
    let mut seen = Seen::default();
    for one in futures_util::future::join_all(workers).await {
        seen.answers.merge(one.answers);
        seen.all.merge(one.all);
        seen.ok.merge(one.ok);
        for (status, body) in one.examples {
            seen.examples.entry(status).or_insert(body);
        }
    }
    let end = Instant::now();
    let memory = sampler.as_ref().map(|s| Memory {
        idle: s.median_between(settle, start).unwrap_or_default(),
        peak_sampled: s.max_between(start, end).unwrap_or_default(),
        peak_kernel: s.kernel_peak(),
        after: None,
    });
    let memory = match (memory, &sampler) {
        (Some(mut m), Some(s)) if after > 0 => {
            eprintln!("logins: burst over; RSS again in {after} s");
            tokio::time::sleep(Duration::from_secs(after)).await;
            m.after = s.now();
            Some(m)
        }
        (m, _) => m,
    };
    report(concurrency, end - start, after, &seen, memory.as_ref());
    Ok(())
}

async fn worker(server: &Server, body: &str, deadline: Instant) -> Seen {
    let mut seen = Seen::default();
    while Instant::now() < deadline {
        let sent = Instant::now();
        let res = server
            .request(Method::POST, "/api/login", None)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        match res {
            Ok(res) => {
                let status = res.status();
                let Ok(body) = res.bytes().await else {
                    seen.answers.add("error");
                    continue;
                };
                let took = sent.elapsed();
                seen.all.record(took);
                if status.is_success() {
                    seen.ok.record(took);
                } else {
                    seen.examples
                        .entry(status.as_str().to_string())
                        .or_insert_with(|| {
                            String::from_utf8_lossy(&body).chars().take(200).collect()
                        });
                }
                seen.answers.add(status.as_str());
            }
            Err(_) => {
                seen.answers.add("error");
                // Refused connections fail at once: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    seen
}

fn report(workers: usize, took: Duration, after: u64, seen: &Seen, memory: Option<&Memory>) {
    let a = &seen.answers;
    let secs = took.as_secs_f64();
    println!("| logins: {workers} workers, {secs:.1} s | |");
    println!("|---|---|");
    println!(
        "| answers | {} ({:.1}/s) |",
        a.total(),
        a.total() as f64 / secs
    );
    for (status, meaning) in [
        ("200", "logged in"),
        ("401", "refused"),
        ("429", "attempt limiter"),
        ("503", "hashing queue full (busy)"),
    ] {
        println!("| {status} ({meaning}) | {} |", a.get(status));
    }
    println!(
        "| other answers | {} |",
        a.others(&["200", "401", "429", "503"])
    );
    println!("| latency p50 / p99 / max, all | {} |", seen.all.cell());
    println!("| latency p50 / p99 / max, 200s | {} |", seen.ok.cell());
    if let Some(m) = memory {
        println!("| server RSS idle | {} |", mib(m.idle));
        println!(
            "| server RSS peak (sampled / VmHWM) | {} / {} |",
            mib(m.peak_sampled),
            m.peak_kernel.map_or("–".into(), mib)
        );
        println!("| peak above idle | {} |", mib(m.rise()));
        if let Some(rss) = m.after {
            println!("| server RSS {after} s after the burst | {} |", mib(rss));
        }
    }
    for (status, body) in &seen.examples {
        println!("\nThe first {status} said: `{body}`");
    }
}
