//! `slowloris --base URL --user NAME --password PW [--connections 1000] [--seconds 60]
//! [--every-seconds 5]`
//!
//! Slow clients against an ordinary one. `--connections` connections are opened (over the first
//! second) and each sends one byte every `--every-seconds`, in three kinds, a third each:
//! - **headers**: a `GET /healthz` whose headers never end (one more byte of a header value);
//! - **JSON body**: a `POST /api/kdf-params` declaring 1000 bytes of body, sent as spaces;
//! - **part body**: a `PUT` of a 64 KiB part of an upload of the account `NAME-slow` (registered
//!   here), each connection a different part, sent as zeros. These hold the part-buffer budget
//!   while they last.
//!
//! Five seconds after the last one opened, while they all trickle, the account NAME makes one
//! ordinary round trip: a 4 MiB file uploaded in 1 MiB parts, downloaded and compared byte for
//! byte (roundtrip.rs). After `--seconds` the connections still open are dropped.
//!
//! What is printed (Markdown): per kind, the connections opened, how many the server cut (closed
//! or reset, or answered: the statuses it answered with), when (seconds after the connection
//! opened: first / median / last cut), and how many were still open at the end; then the round
//! trip's upload and download times and whether the file came back byte-identical.
//!
//! Bounds: at most 5000 connections, 600 s.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use super::Target;
use crate::{
    account::{register_or_login, Session},
    args::Args,
    pattern::PatternFile,
    roundtrip::{round_trip, RoundTrip},
    server::Server,
    upload, Fallible,
};
use coffer_protocol::vault::NewUpload;

/// The part size of the slow parts: the smallest the server allows.
const SLOW_PART: u64 = 64 * 1024;
/// The size of the ordinary round trip.
const ROUND_TRIP_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Headers,
    JsonBody,
    PartBody,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Headers, Kind::JsonBody, Kind::PartBody];

    fn name(self) -> &'static str {
        match self {
            Kind::Headers => "headers (GET /healthz)",
            Kind::JsonBody => "JSON body (POST /api/kdf-params)",
            Kind::PartBody => "part body (PUT a 64 KiB part)",
        }
    }

    /// The byte sent every interval: one that keeps the request valid so far.
    fn trickle(self) -> u8 {
        match self {
            Kind::Headers => b'a',
            Kind::JsonBody => b' ',
            Kind::PartBody => 0,
        }
    }
}

/// What became of one slow connection.
struct Outcome {
    kind: Kind,
    opened: bool,
    /// When the server cut it (closed, reset, or answered), after it opened.
    cut_after: Option<Duration>,
    /// The status the server answered with, if it answered before closing.
    answer: Option<u16>,
}

pub async fn run(mut args: Args) -> Fallible<()> {
    let target = Target::from_args(&mut args)?;
    let connections: usize = args.number("connections", 1000, 3..=5000)?;
    let seconds: u64 = args.number("seconds", 60, 10..=600)?;
    let every: u64 = args.number("every-seconds", 5, 1..=60)?;
    args.finish()?;
    let every = Duration::from_secs(every);

    let server = Server::new(&target.base, 8)?;
    let victim = register_or_login(&server, &target.user, &target.password).await?;
    let attacker_name = format!("{}-slow", target.user);
    let attacker = register_or_login(&server, &attacker_name, &target.password).await?;
    let slow_parts = connections.div_ceil(3) as u64;
    let upload_id = slow_upload(&server, &attacker, slow_parts).await?;

    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    eprintln!("slowloris: {connections} slow connections for {seconds} s, a byte every {every:?}");
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let kind = Kind::ALL[i % 3];
        let opening = opening(
            &server.addr,
            kind,
            &attacker.cookie,
            &upload_id,
            1 + i as u64 / 3,
        );
        let addr = server.addr.clone();
        // Spread the opening over a second, and the trickle over the interval.
        let open_at = start + Duration::from_millis(i as u64 * 1000 / connections as u64);
        let phase = every * (i % 10) as u32 / 10;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(open_at).await;
            slow_connection(&addr, kind, opening, every, phase, until).await
        }));
    }

    tokio::time::sleep_until(start + Duration::from_secs(6)).await;
    eprintln!("slowloris: all opened; an ordinary 4 MiB upload and download meanwhile");
    let trip_start = start.elapsed();
    let trip = round_trip(&server, &victim, "ordinary.bin", ROUND_TRIP_BYTES, until).await;
    if let Ok(t) = &trip {
        eprintln!(
            "slowloris: round trip done (upload {:.2} s, download {:.2} s)",
            t.upload.as_secs_f64(),
            t.download.as_secs_f64()
        );
    }
    let mut outcomes = Vec::with_capacity(connections);
    for task in tasks {
        outcomes.push(task.await?);
    }
    report(&outcomes, seconds, trip_start, &trip);
    match trip {
        Ok(t) if t.identical => Ok(()),
        Ok(_) => Err("the ordinary file did not come back byte-identical".into()),
        Err(e) => Err(format!("the ordinary round trip failed: {e}").into()),
    }
}

/// An upload of the attacker's with at least `parts + 1` parts of 64 KiB (part 0, which must
/// start with the header, is left alone).
async fn slow_upload(server: &Server, attacker: &Session, parts: u64) -> Fallible<String> {
    let chunk_size = coffer_crypto::DEFAULT_CHUNK_SIZE;
    let plaintext = PatternFile::plaintext_for((parts + 2) * SLOW_PART, chunk_size)
        .ok_or("no plaintext fits")?;
    let request = NewUpload {
        ciphertext_size: coffer_crypto::ciphertext_len(plaintext, chunk_size).ok_or("too large")?,
        chunk_size,
        part_size: Some(SLOW_PART),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let created = upload::create(server, attacker, &request, deadline).await?;
    if created.part_count <= parts {
        return Err(format!("the slow upload has only {} parts", created.part_count).into());
    }
    Ok(created.upload_id)
}

/// The bytes a slow connection starts with: a request up to where it starts to trickle.
fn opening(addr: &str, kind: Kind, cookie: &str, upload_id: &str, part: u64) -> Vec<u8> {
    match kind {
        Kind::Headers => format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: "),
        Kind::JsonBody => format!(
            "POST /api/kdf-params HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        ),
        Kind::PartBody => format!(
            "PUT /api/uploads/{upload_id}/parts/{part} HTTP/1.1\r\nHost: {addr}\r\n\
             Cookie: {cookie}\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {SLOW_PART}\r\n\r\n"
        ),
    }
    .into_bytes()
}

/// Opens a connection, sends `opening`, then one byte every `every` (the first after `phase`)
/// until the server cuts it or `until`.
async fn slow_connection(
    addr: &str,
    kind: Kind,
    opening: Vec<u8>,
    every: Duration,
    phase: Duration,
    until: Instant,
) -> Outcome {
    let mut outcome = Outcome {
        kind,
        opened: false,
        cut_after: None,
        answer: None,
    };
    let Ok(stream) = TcpStream::connect(addr).await else {
        return outcome;
    };
    outcome.opened = true;
    let opened = Instant::now();
    let (mut rd, mut wr) = stream.into_split();
    if wr.write_all(&opening).await.is_err() {
        outcome.cut_after = Some(opened.elapsed());
        return outcome;
    }
    let mut tick = tokio::time::interval_at(opened + phase.max(Duration::from_millis(1)), every);
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = rd.read(&mut buf) => match read {
                Ok(n) if n > 0 => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        outcome.answer = status_of(&got);
                        outcome.cut_after = Some(opened.elapsed());
                        return outcome;
                    }
                }
                _ => {
                    outcome.answer = status_of(&got);
                    outcome.cut_after = Some(opened.elapsed());
                    return outcome;
                }
            },
            _ = tick.tick() => {
                if wr.write_all(&[kind.trickle()]).await.is_err() {
                    outcome.cut_after = Some(opened.elapsed());
                    return outcome;
                }
            }
            () = tokio::time::sleep_until(until) => return outcome,
        }
    }
}

/// The status code of an HTTP/1.1 answer's first line.
fn status_of(answer: &[u8]) -> Option<u16> {
    std::str::from_utf8(answer)
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The answers and, beside them, the cuts without one.
fn answered(answers: &crate::stats::Tally, cuts: u64) -> String {
    let silent = cuts.saturating_sub(answers.total());
    match (answers.total(), silent) {
        (0, 0) => "–".into(),
        (0, _) => "closed without an answer".into(),
        (_, 0) => answers.others(&[]),
        (_, _) => format!("{}, {silent} closed without one", answers.others(&[])),
    }
}

fn report(outcomes: &[Outcome], seconds: u64, trip_start: Duration, trip: &Fallible<RoundTrip>) {
    println!(
        "| slow connections ({seconds} s) | opened | cut by the server | answered with | cut after (first / median / last) | still open at the end |"
    );
    println!("|---|---|---|---|---|---|");
    for kind in Kind::ALL {
        let of_kind: Vec<&Outcome> = outcomes.iter().filter(|o| o.kind == kind).collect();
        let opened = of_kind.iter().filter(|o| o.opened).count();
        let mut cuts: Vec<Duration> = of_kind.iter().filter_map(|o| o.cut_after).collect();
        cuts.sort_unstable();
        let mut answers = crate::stats::Tally::default();
        for o in &of_kind {
            if let Some(status) = o.answer {
                answers.add(status.to_string());
            }
        }
        let when = match (cuts.first(), cuts.get(cuts.len() / 2), cuts.last()) {
            (Some(a), Some(m), Some(z)) => format!(
                "{:.1} / {:.1} / {:.1} s",
                a.as_secs_f64(),
                m.as_secs_f64(),
                z.as_secs_f64()
            ),
            _ => "–".into(),
        };
        println!(
            "| {} | {opened} | {} | {} | {when} | {} |",
            kind.name(),
            cuts.len(),
            answered(&answers, cuts.len() as u64),
            opened - cuts.len(),
        );
    }
    match trip {
        Ok(t) => println!(
            "\nMeanwhile (from {:.1} s): an ordinary 4 MiB upload took {:.2} s, its download {:.2} s; byte-identical: {}.",
            trip_start.as_secs_f64(),
            t.upload.as_secs_f64(),
            t.download.as_secs_f64(),
            if t.identical { "yes" } else { "**NO**" }
        ),
        Err(e) => println!("\nMeanwhile: the ordinary 4 MiB round trip **failed**: {e}"),
    }
}
