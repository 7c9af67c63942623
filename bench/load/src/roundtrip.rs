//! One ordinary upload and download, as the browser makes them: random content encrypted
//! whole, sent in parts of 1 MiB one after the other, completed, downloaded, and compared byte
//! for byte (ciphertext SHA-256, and the decrypted plaintext).

use std::time::Duration;

use coffer_crypto::{
    ContentDigest, FileKey, FileMetadata, StreamDecryptor, StreamEncryptor, DEFAULT_CHUNK_SIZE,
};
use coffer_protocol::vault::NewUpload;
use rand_core::RngCore;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::{account::Session, server::Server, upload, Fallible};

const PART: u64 = 1024 * 1024;

/// How a round trip went.
pub struct RoundTrip {
    pub upload: Duration,
    pub download: Duration,
    /// The ciphertext that came back is the one sent, and decrypts to the plaintext sent.
    pub identical: bool,
}

/// Uploads `size` random bytes as `name`, downloads the file and compares.
pub async fn round_trip(
    server: &Server,
    session: &Session,
    name: &str,
    size: usize,
    deadline: Instant,
) -> Fallible<RoundTrip> {
    let mut plaintext = vec![0u8; size];
    rand_core::OsRng.fill_bytes(&mut plaintext);
    let chunk_size = DEFAULT_CHUNK_SIZE;
    let started = Instant::now();
    let request = NewUpload {
        ciphertext_size: coffer_crypto::ciphertext_len(size as u64, chunk_size)
            .ok_or("too large")?,
        chunk_size,
        part_size: Some(PART),
    };
    let created = upload::create(server, session, &request, deadline).await?;
    let file_id = upload::file_id(&created.file_id)?;
    let key = FileKey::generate(&mut rand_core::OsRng);
    let mut encryptor = StreamEncryptor::new(&key, &file_id, chunk_size, &mut rand_core::OsRng)?;
    let mut ciphertext = encryptor.header().to_vec();
    ciphertext.extend(encryptor.push(&plaintext)?);
    ciphertext.extend(encryptor.finish()?);
    let ciphertext = bytes::Bytes::from(ciphertext);
    for n in 0..created.part_count {
        let from = (n * PART) as usize;
        let part = ciphertext.slice(from..(from + PART as usize).min(ciphertext.len()));
        upload::put_part(
            server,
            session,
            &created.upload_id,
            n,
            || reqwest::Body::from(part.clone()),
            deadline,
        )
        .await?;
    }
    let metadata = FileMetadata {
        name: name.to_string(),
        mime: "application/octet-stream".into(),
        size: size as u64,
        modified_ms: 0,
    };
    let version = upload::first_version(
        &session.keys,
        &file_id,
        &key,
        ContentDigest::of_ciphertext(&ciphertext)?,
        &metadata,
    )?;
    upload::complete(server, session, &created.upload_id, &version, deadline).await?;
    let uploaded = started.elapsed();

    let started = Instant::now();
    let back = upload::download(server, session, &created.file_id)
        .await?
        .bytes()
        .await?;
    let download = started.elapsed();
    let mut decryptor = StreamDecryptor::new(&key, &file_id);
    let opened = decryptor.push(&back).and_then(|mut p| {
        decryptor.finish().map(|tail| {
            p.extend(tail);
            p
        })
    });
    let identical = Sha256::digest(&back) == Sha256::digest(&ciphertext)
        && opened.is_ok_and(|p| p == plaintext);
    Ok(RoundTrip {
        upload: uploaded,
        download,
        identical,
    })
}
