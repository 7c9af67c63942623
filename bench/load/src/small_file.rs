//! A small file uploaded start to finish as the browser does it: one part of real Coffer
//! ciphertext (`StreamEncryptor` under a fresh file key bound to the server's file id), then
//! the first version sealed by the owner.

use coffer_crypto::{ContentDigest, FileKey, FileMetadata, StreamEncryptor, DEFAULT_CHUNK_SIZE};
use coffer_protocol::vault::NewUpload;
use tokio::time::Instant;

use crate::{
    account::Session,
    server::Server,
    upload::{self, Tries},
    Fallible,
};

/// Uploads `plaintext` as `name` (`text/plain`); returns what the requests took.
pub async fn upload(
    server: &Server,
    session: &Session,
    name: &str,
    plaintext: &[u8],
    deadline: Instant,
) -> Fallible<Tries> {
    let chunk_size = DEFAULT_CHUNK_SIZE;
    let ciphertext_size = coffer_crypto::ciphertext_len(plaintext.len() as u64, chunk_size)
        .ok_or("plaintext too long")?;
    let request = NewUpload {
        ciphertext_size,
        chunk_size,
        part_size: None,
    };
    let created = upload::create(server, session, &request, deadline).await?;
    if created.part_count != 1 {
        return Err(format!("a small file in {} parts", created.part_count).into());
    }
    let file_id = upload::file_id(&created.file_id)?;
    let mut rng = rand_core::OsRng;
    let key = FileKey::generate(&mut rng);
    let mut encryptor = StreamEncryptor::new(&key, &file_id, chunk_size, &mut rng)?;
    let mut ciphertext = encryptor.header().to_vec();
    ciphertext.extend(encryptor.push(plaintext)?);
    ciphertext.extend(encryptor.finish()?);
    let ciphertext = bytes::Bytes::from(ciphertext);
    let tries = upload::put_part(
        server,
        session,
        &created.upload_id,
        0,
        || reqwest::Body::from(ciphertext.clone()),
        deadline,
    )
    .await?;
    let metadata = FileMetadata {
        name: name.to_string(),
        mime: "text/plain".into(),
        size: plaintext.len() as u64,
        modified_ms: now_ms(),
    };
    let version = upload::first_version(
        &session.keys,
        &file_id,
        &key,
        ContentDigest::of_ciphertext(&ciphertext)?,
        &metadata,
    )?;
    upload::complete(server, session, &created.upload_id, &version, deadline).await?;
    Ok(tries)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
