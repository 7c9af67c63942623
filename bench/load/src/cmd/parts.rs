//! `parts --base URL --user NAME --password PW [--parts 200] [--part-bytes 8388608] [--pid PID]
//! [--after-seconds 30]`
//!
//! One upload of `--parts` parts of `--part-bytes` each, every part PUT at the same time (one
//! connection each), as a client that ignores any pacing would. The server holds each part in
//! memory while it arrives, against its part-buffer budgets; a part that does not fit is
//! answered `503 busy` before it is read, and is sent again after `Retry-After` until stored.
//! Then the upload is completed (a format-v2 first version) and downloaded, and what comes back
//! is checked: its SHA-256 must equal that of what was sent, and it must decrypt (the content is
//! real Coffer ciphertext of a fixed pattern, made chunk by chunk while it is sent, so the tool
//! holds no more than a chunk per request; see pattern.rs).
//!
//! What is printed (Markdown):
//! - the ciphertext sent, and the time from the first PUT to the last part stored;
//! - `503 busy` answers waited out (all parts together), and requests sent again after a
//!   transport error;
//! - with `--pid`: the server's RSS idle (median of the 2 s before), at its peak while the parts
//!   arrived (largest 100 ms sample and VmHWM, reset at the start), the rise above idle, and the
//!   RSS `--after-seconds` after the last part (memory given back or not);
//! - the download: time, MB/s (10^6 bytes of ciphertext per second, including this tool's SHA-256
//!   and decryption), and whether the SHA-256 matched and the content decrypted to the pattern.
//!
//! Bounds: at most 10 000 parts of 64 KiB ..= 64 MiB, 30 minutes in all.

use std::{sync::Arc, time::Duration};

use coffer_crypto::{FileKey, FileMetadata, StreamDecryptor, DEFAULT_CHUNK_SIZE};
use coffer_protocol::vault::NewUpload;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::{Target, IDLE};
use crate::{
    account::register_or_login,
    args::Args,
    pattern::PatternFile,
    rss::{Memory, RssSampler},
    server::Server,
    stats::mib,
    upload::{self, Tries},
    Fallible,
};

/// Longest the whole probe may take.
const LIMIT: Duration = Duration::from_secs(30 * 60);

pub async fn run(mut args: Args) -> Fallible<()> {
    let target = Target::from_args(&mut args)?;
    let parts: u64 = args.number("parts", 200, 1..=10_000)?;
    let part_bytes: u64 = args.number("part-bytes", 8 * 1024 * 1024, 65_536..=64 * 1024 * 1024)?;
    let pid: Option<u32> = args.optional_number("pid", 1..=u32::MAX)?;
    let after_secs: u64 = args.number("after-seconds", 30, 1..=300)?;
    args.finish()?;
    let deadline = Instant::now() + LIMIT;

    let server = Server::new(&target.base, parts as usize)?;
    let session = register_or_login(&server, &target.user, &target.password).await?;
    let chunk_size = DEFAULT_CHUNK_SIZE;
    let plaintext_len = PatternFile::plaintext_for(parts * part_bytes, chunk_size)
        .ok_or("--part-bytes too small for one chunk")?;
    let ciphertext_size =
        coffer_crypto::ciphertext_len(plaintext_len, chunk_size).ok_or("the file is too large")?;
    let request = NewUpload {
        ciphertext_size,
        chunk_size,
        part_size: Some(part_bytes),
    };
    let created = upload::create(&server, &session, &request, deadline).await?;
    if created.part_count != parts {
        return Err(format!(
            "{} bytes make {} parts, not {parts}",
            ciphertext_size, created.part_count
        )
        .into());
    }
    let file_id = upload::file_id(&created.file_id)?;
    let key = FileKey::generate(&mut rand_core::OsRng);
    let file = Arc::new(PatternFile::new(&key, &file_id, plaintext_len, chunk_size)?);
    eprintln!(
        "parts: digest of {} of ciphertext before sending",
        mib(ciphertext_size)
    );
    let (sent_sha, content_digest) = {
        let file = file.clone();
        tokio::task::spawn_blocking(move || file.digests()).await??
    };

    let sampler = pid.map(RssSampler::start).transpose()?;
    let settle = Instant::now();
    tokio::time::sleep(IDLE).await;
    if let Some(s) = &sampler {
        s.reset_peak();
    }
    eprintln!("parts: {parts} parts of {} at once", mib(part_bytes));
    let start = Instant::now();
    let puts = (0..parts).map(|n| {
        let (from, to) = (n * part_bytes, (n + 1) * part_bytes);
        let file = &file;
        let (server, session, upload_id) = (&server, &session, &created.upload_id);
        async move {
            upload::put_part(
                server,
                session,
                upload_id,
                n,
                || reqwest::Body::wrap_stream(file.range(from, to)),
                deadline,
            )
            .await
        }
    });
    let mut tries = Tries::default();
    for outcome in futures_util::future::join_all(puts).await {
        tries.add(outcome?);
    }
    let stored = Instant::now();
    let mut memory = sampler.as_ref().map(|s| Memory {
        idle: s.median_between(settle, start).unwrap_or_default(),
        peak_sampled: s.max_between(start, stored).unwrap_or_default(),
        peak_kernel: s.kernel_peak(),
        after: None,
    });
    if let (Some(m), Some(s)) = (&mut memory, &sampler) {
        eprintln!("parts: all stored; RSS again in {after_secs} s");
        tokio::time::sleep(Duration::from_secs(after_secs)).await;
        m.after = s.now();
    }

    let metadata = FileMetadata {
        name: format!("parts-{parts}x{part_bytes}.bin"),
        mime: "application/octet-stream".into(),
        size: plaintext_len,
        modified_ms: 0,
    };
    let version = upload::first_version(&session.keys, &file_id, &key, content_digest, &metadata)?;
    upload::complete(&server, &session, &created.upload_id, &version, deadline).await?;

    eprintln!("parts: stored and completed; downloading");
    let down_start = Instant::now();
    let res = upload::download(&server, &session, &created.file_id).await?;
    let mut body = res.bytes_stream();
    let mut sha = Sha256::new();
    let mut decryptor = StreamDecryptor::new(&key, &file_id);
    let (mut received, mut plain_at, mut pattern_ok) = (0u64, 0u64, true);
    while let Some(piece) = body.next().await {
        let piece = piece?;
        received += piece.len() as u64;
        sha.update(&piece);
        let plain = decryptor.push(&piece)?;
        pattern_ok &= PatternFile::is_pattern(plain_at, &plain);
        plain_at += plain.len() as u64;
    }
    let tail = decryptor.finish()?;
    pattern_ok &= PatternFile::is_pattern(plain_at, &tail);
    plain_at += tail.len() as u64;
    let down = down_start.elapsed();
    let same_sha = <[u8; 32]>::from(sha.finalize()) == sent_sha;
    let decrypted = pattern_ok && plain_at == plaintext_len;

    println!("| parts: {parts} × {} at once | |", mib(part_bytes));
    println!("|---|---|");
    println!("| ciphertext sent | {} |", mib(ciphertext_size));
    println!(
        "| first PUT to last part stored | {:.1} s |",
        (stored - start).as_secs_f64()
    );
    println!("| 503 busy answers waited out | {} |", tries.busy);
    println!(
        "| requests sent again after a transport error | {} |",
        tries.transport_errors
    );
    if let Some(m) = &memory {
        println!("| server RSS idle | {} |", mib(m.idle));
        println!(
            "| server RSS peak (sampled / VmHWM) | {} / {} |",
            mib(m.peak_sampled),
            m.peak_kernel.map_or("–".into(), mib)
        );
        println!("| peak above idle | {} |", mib(m.rise()));
        if let Some(after) = m.after {
            println!(
                "| server RSS {after_secs} s after the last part | {} |",
                mib(after)
            );
        }
    }
    println!(
        "| download + check | {:.1} s ({:.0} MB/s) |",
        down.as_secs_f64(),
        received as f64 / 1e6 / down.as_secs_f64()
    );
    println!(
        "| SHA-256 of the download = of what was sent | {} |",
        if same_sha && received == ciphertext_size {
            "yes"
        } else {
            "**NO**"
        }
    );
    println!(
        "| decrypts to the pattern | {} |",
        if decrypted { "yes" } else { "**NO**" }
    );
    if !(same_sha && decrypted && received == ciphertext_size) {
        return Err("the file that came back is not the file that was sent".into());
    }
    Ok(())
}
