//! `seed --base URL --user NAME --password PW --files N [--concurrency 16]`
//!
//! Registers NAME (or logs in when the name is taken) and uploads N small files named
//! `seed-00000.txt` … (a line of text each) as real format-v2 files: each under its own file
//! key, with an owner key slot and a version record sealed with the account's keys, so the
//! browser lists, verifies and decrypts them as the user's own. `seed-00000.txt` is uploaded
//! alone first, so it is the oldest file (the last one a newest-first listing shows); the rest
//! go `--concurrency` at a time over kept-alive connections, roughly in order.
//!
//! Prints progress to stderr and the number of files uploaded to stdout.
//! Bounds: at most 100 000 files, 256 at a time, and 120 s + 0.2 s per file in all.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::Target;
use crate::{
    account::{register_or_login, Session},
    args::Args,
    server::{is_server_error, Server},
    small_file,
    upload::Tries,
    Fallible,
};

pub async fn run(mut args: Args) -> Fallible<()> {
    let target = Target::from_args(&mut args)?;
    let files: u32 = args
        .optional_number("files", 1..=100_000)?
        .ok_or("--files is required")?;
    let concurrency: usize = args.number("concurrency", 16, 1..=256)?;
    args.finish()?;

    let started = Instant::now();
    let deadline = started + Duration::from_secs(120) + Duration::from_millis(200) * files;
    let server = Server::new(&target.base, concurrency)?;
    let session = register_or_login(&server, &target.user, &target.password).await?;
    eprintln!("seed: {} files for {:?}", files, target.user);

    let mut tries = seed_one(&server, &session, 0, deadline).await?;
    let mut done = 1u32;
    let mut uploads = futures_util::stream::iter(1..files)
        .map(|i| seed_one(&server, &session, i, deadline))
        .buffer_unordered(concurrency);
    let mut last_report = Instant::now();
    while let Some(outcome) = uploads.next().await {
        tries.add(outcome?);
        done += 1;
        if last_report.elapsed() >= Duration::from_secs(2) || done == files {
            last_report = Instant::now();
            let rate = f64::from(done) / started.elapsed().as_secs_f64();
            eprintln!("seed: {done}/{files} ({rate:.0} files/s)");
        }
    }
    eprintln!(
        "seed: {done} files in {:.1} s; {} busy answers waited out, {} requests sent again after \
         a transport error, {} files started over after a server error",
        started.elapsed().as_secs_f64(),
        tries.busy,
        tries.transport_errors,
        tries.restarts
    );
    println!("{done}");
    Ok(())
}

/// The name of seed file `i`.
pub fn seed_name(i: u32) -> String {
    format!("seed-{i:05}.txt")
}

/// Uploads seed file `i`; an upload the server fails (a 5xx, e.g. SQLite's "database is
/// locked" after its busy timeout) is started over, at most [`MAX_RESTARTS`] times, and counted.
async fn seed_one(
    server: &Server,
    session: &Session,
    i: u32,
    deadline: Instant,
) -> Fallible<Tries> {
    let plaintext = format!("Coffer seed file {i}\n");
    let mut restarts = 0;
    loop {
        match small_file::upload(
            server,
            session,
            &seed_name(i),
            plaintext.as_bytes(),
            deadline,
        )
        .await
        {
            Ok(mut tries) => {
                tries.restarts = restarts;
                return Ok(tries);
            }
            Err(e) if is_server_error(e.as_ref()) && restarts < MAX_RESTARTS => {
                eprintln!("seed: {}: {e}; starting it over", seed_name(i));
                restarts += 1;
            }
            Err(e) => return Err(format!("{}: {e}", seed_name(i)).into()),
        }
    }
}

/// How often one file is started over after a server failure.
const MAX_RESTARTS: u32 = 3;
