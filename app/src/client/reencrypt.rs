//! "Re-encrypt with a new key": after revoking someone, the only way to stop them reading the
//! file with the key they already have is a new key. The file is downloaded and decrypted into a
//! `TransformStream` whose other end the upload pipeline encrypts under a fresh file key (new
//! salt, new file id), so the plaintext never touches disk and memory stays bounded by the
//! stream's backpressure; then the people who keep access get new signed grants, and the old
//! file (its grants and links with it) is deleted. If anything fails, the old file is left as it
//! was and the half-made new one is discarded.

use coffer_crypto::{FileKey, FileMetadata};
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, ReadableStream, TransformStream, WritableStream};

use super::{
    download::{download_into, DownloadError, Expected, Sink},
    file_id_from_hex,
    http::{self, HttpError, Reconnect, NO_BODY},
    sharing::{self, grant},
    upload::{self, Progress, Source, UploadError},
};
use crate::{
    keyring::UnlockedKeys,
    protocol::vault::FileInfo,
    trust::{check_own_file, KeyStatus, OwnFile},
};

/// What re-encryption did.
pub struct Reencrypted {
    /// The new file.
    pub file: FileInfo,
    /// People who have access to the new version.
    pub kept: Vec<String>,
    /// People whose access could not be carried over (their key could not be confirmed).
    pub dropped: Vec<String>,
}

/// Why it stopped (the old file is untouched).
pub enum ReencryptError {
    /// Reading or decrypting the old version failed.
    Download(DownloadError),
    /// Encrypting or uploading the new version failed.
    Upload(UploadError),
    /// The server refused a step afterwards.
    Http(HttpError),
}

impl ReencryptError {
    /// Words for a person.
    pub fn message(&self) -> String {
        let why = match self {
            ReencryptError::Download(e) => e.message(),
            ReencryptError::Upload(e) => e.message(),
            ReencryptError::Http(e) => e.message(),
        };
        format!("The file was not re-encrypted and is unchanged: {why}")
    }
}

/// Re-encrypts one of the user's own files (`info`, opened with `key`, `metadata`) under a new
/// key, carries its live grants over to it (same expiry), and deletes the old file. Reading the
/// old and sending the new version ride out outages (`reconnect`).
#[allow(clippy::too_many_arguments)]
pub async fn reencrypt(
    keys: &UnlockedKeys,
    info: &FileInfo,
    key: &FileKey,
    metadata: &FileMetadata,
    content: coffer_crypto::ContentBinding,
    signal: &AbortSignal,
    progress: Progress,
    reconnect: &Reconnect,
) -> Result<Reencrypted, ReencryptError> {
    let id =
        file_id_from_hex(&info.id).ok_or(ReencryptError::Download(DownloadError::NotCoffer))?;
    // Who keeps access: read now, not from a dialog that may not have loaded yet.
    let (grants, _) = sharing::access(&info.id)
        .await
        .map_err(ReencryptError::Http)?;
    let pipe =
        TransformStream::new().map_err(|_| ReencryptError::Download(DownloadError::Crypto))?;
    let writable: WritableStream = pipe.writable();
    let writer = writable
        .get_writer()
        .map_err(|_| ReencryptError::Download(DownloadError::Crypto))?;
    let readable: ReadableStream = pipe.readable().unchecked_into();
    let content_url = format!("/api/files/{}/content", info.id);
    let created = std::cell::RefCell::new(None::<String>);
    let quiet: Progress = std::rc::Rc::new(|_| {});
    let (downloaded, uploaded) = futures::join!(
        download_into(
            &content_url,
            key,
            Expected {
                file: super::download::Expect::File(&id),
                ciphertext_size: info.ciphertext_size,
                content,
            },
            Sink::Pipe(writer),
            signal,
            &*quiet,
            reconnect,
        ),
        upload::upload_new(
            Source {
                stream: readable,
                metadata: metadata.clone(),
            },
            keys,
            signal,
            progress,
            reconnect,
            |upload_id| *created.borrow_mut() = Some(upload_id.to_string()),
        ),
    );
    let new_file = match (downloaded, uploaded) {
        (Ok(()), Ok(file)) => file,
        (down, up) => {
            // A pipe that broke makes the upload look resumable; it is not: drop it.
            let upload_id = created.borrow().clone();
            if let Some(upload_id) = upload_id {
                let _ = upload::discard(&upload_id).await;
            }
            return Err(match (down, up) {
                (Err(e), _) => ReencryptError::Download(e),
                (_, Err(e)) => ReencryptError::Upload(e),
                _ => unreachable!("one of them failed"),
            });
        }
    };
    let OwnFile::Verified { key: new_key, .. } = check_own_file(keys, false, &new_file) else {
        return Err(ReencryptError::Http(HttpError::refused(
            502,
            "The server did not store the new version as sent.",
        )));
    };
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for g in &grants {
        let who = &g.grantee;
        let carried = match sharing::look_up(keys, who).await {
            Ok(found) if matches!(found.status, KeyStatus::Verified | KeyStatus::Accepted) => {
                grant(
                    keys,
                    &new_file.id,
                    &new_key,
                    &found.username,
                    &found.public_key,
                    g.expires_at,
                )
                .await
                .is_ok()
            }
            _ => false,
        };
        if carried {
            kept.push(who.clone());
        } else {
            dropped.push(who.clone());
        }
    }
    http::call("DELETE", &format!("/api/files/{}", info.id), NO_BODY)
        .await
        .map_err(ReencryptError::Http)?;
    Ok(Reencrypted {
        file: new_file,
        kept,
        dropped,
    })
}
