//! Encrypt-and-upload, streamed: `Blob.stream()` → batches of 64 KiB chunks sealed by WebCrypto in
//! the crypto worker with the crypto crate's schedule ([`BATCHES_IN_FLIGHT`] at a time, so reading
//! and sealing overlap) → parts of [`PART_SIZE`] bytes → `PUT /api/uploads/{id}/parts/{n}`,
//! [`PARTS_IN_FLIGHT`] at a time, each retried with backoff → `POST …/complete`.

use std::{cell::Cell, collections::VecDeque, rc::Rc};

use coffer_crypto::{
    chunk_count, ciphertext_len, open_metadata, seal_metadata, unwrap_file_key, wrap_file_key,
    ChunkSchedule, FileId, FileKey, FileMetadata, DEFAULT_CHUNK_SIZE, MAX_MIME_LEN, MAX_NAME_LEN,
    TAG_LEN,
};
use futures::channel::oneshot;
use js_sys::Uint8Array;
use rand_core::OsRng;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob, File};

use super::{
    bytes::{ByteQueue, StreamReader},
    file_id_from_hex,
    http::{self, HttpError, NO_BODY},
    pending::{self, PendingUpload},
    sleep_ms,
    webcrypto::{chunks_per_batch, Batch, ChunkCipher, Op},
};
use crate::{
    keyring::UnlockedKeys,
    wire::vault::{Completion, FileInfo, NewUpload, UploadCreated, UploadInfo},
};

/// Plaintext bytes per STREAM chunk.
pub const CHUNK_SIZE: u32 = DEFAULT_CHUNK_SIZE;
/// Ciphertext bytes per part.
pub const PART_SIZE: u64 = 4 * 1024 * 1024;
/// Parts sent at the same time (and so, with the one being filled, the parts held in memory).
pub const PARTS_IN_FLIGHT: usize = 3;
/// Batches handed to the crypto worker and not yet back.
const BATCHES_IN_FLIGHT: usize = 4;
/// Attempts per part after the first; waits 0.5, 1, 2, 4, 8, 15 s in between.
const RETRIES: u32 = 6;

/// Why an upload did not finish.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadError {
    /// The server refused or could not be reached (after retries).
    Http(HttpError),
    /// The user cancelled.
    Cancelled,
    /// The file could not be read (moved, deleted, permission withdrawn).
    Read,
    /// The file's size changed while it was being read.
    Changed,
    /// The file picked to resume an upload is not the one that was being uploaded.
    NotTheSameFile(String),
    /// The file is bigger than anything Coffer can store.
    TooLarge,
    /// The file name is longer than the metadata format allows.
    NameTooLong,
    /// Encryption failed in the browser.
    Crypto,
    /// The server answered something this browser does not understand.
    Protocol,
}

impl UploadError {
    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            UploadError::Http(e) => e.message(),
            UploadError::Cancelled => "Cancelled.".into(),
            UploadError::Read => "The file could not be read. Was it moved or deleted?".into(),
            UploadError::Changed => {
                "The file changed while it was being uploaded. Try again.".into()
            }
            UploadError::NotTheSameFile(name) => {
                format!("That is not the file this upload was for. Pick “{name}” again.")
            }
            UploadError::TooLarge => "This file is too large for Coffer.".into(),
            UploadError::NameTooLong => {
                format!(
                    "The file name is longer than {MAX_NAME_LEN} bytes. Rename it and try again."
                )
            }
            UploadError::Crypto => "This browser could not encrypt the file.".into(),
            UploadError::Protocol => "The server's answer could not be understood.".into(),
        }
    }

    /// Whether the upload stays on the server so it can be resumed later.
    pub fn resumable(&self) -> bool {
        matches!(
            self,
            UploadError::Http(HttpError::Network)
                | UploadError::Http(HttpError::Status { status: 500.., .. })
                | UploadError::Read
        )
    }
}

impl From<HttpError> for UploadError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Aborted => UploadError::Cancelled,
            e => UploadError::Http(e),
        }
    }
}

impl From<coffer_crypto::Error> for UploadError {
    fn from(e: coffer_crypto::Error) -> Self {
        match e {
            coffer_crypto::Error::MetadataTooLong => UploadError::NameTooLong,
            _ => UploadError::Crypto,
        }
    }
}

/// Called with the ciphertext bytes the server has confirmed so far.
pub type Progress = Rc<dyn Fn(u64)>;

/// Where the ciphertext goes.
struct Plan {
    upload_id: String,
    part_size: u64,
    part_count: u64,
    ciphertext_size: u64,
    /// Parts the server already has (when resuming).
    skip: Vec<u64>,
}

/// The ciphertext size a plaintext of `size` bytes has, or `None` if none can.
pub fn ciphertext_size_of(size: u64) -> Option<u64> {
    ciphertext_len(size, CHUNK_SIZE)
}

fn metadata_of(file: &File) -> Result<FileMetadata, UploadError> {
    let name = file.name();
    if name.len() > MAX_NAME_LEN {
        return Err(UploadError::NameTooLong);
    }
    let mime = file.type_();
    Ok(FileMetadata {
        name,
        mime: if mime.len() <= MAX_MIME_LEN {
            mime
        } else {
            String::new()
        },
        size: file.size() as u64,
        modified_ms: file.last_modified() as i64,
    })
}

/// Encrypts and uploads a new file. `on_created` gets the upload id once the server made one.
pub async fn upload_new(
    file: &File,
    keys: &UnlockedKeys,
    signal: &AbortSignal,
    progress: Progress,
    on_created: impl FnOnce(&str),
) -> Result<FileInfo, UploadError> {
    let metadata = metadata_of(file)?;
    let ciphertext_size = ciphertext_size_of(metadata.size).ok_or(UploadError::TooLarge)?;
    let created: UploadCreated = http::json(
        "POST",
        "/api/uploads",
        Some(&NewUpload {
            ciphertext_size,
            chunk_size: CHUNK_SIZE,
            part_size: PART_SIZE,
        }),
    )
    .await?;
    on_created(&created.upload_id);
    let upload_id = created.upload_id.clone();
    let result = async {
        let file_id = file_id_from_hex(&created.file_id).ok_or(UploadError::Protocol)?;
        let key = FileKey::generate(&mut OsRng);
        let schedule = ChunkSchedule::for_encryption(&key, &file_id, CHUNK_SIZE, &mut OsRng)?;
        let sealed_metadata = seal_metadata(&key, &file_id, &metadata, &mut OsRng)?;
        let wrapped_key = wrap_file_key(&keys.public_key(), &key, &file_id, &mut OsRng);
        pending::save(PendingUpload {
            upload_id: created.upload_id.clone(),
            file_id: created.file_id.clone(),
            username: keys.username.clone(),
            header: schedule.header().to_vec(),
            wrapped_key: wrapped_key.clone(),
            sealed_metadata: sealed_metadata.clone(),
        });
        let plan = Plan {
            upload_id: created.upload_id.clone(),
            part_size: created.part_size,
            part_count: created.part_count,
            ciphertext_size,
            skip: Vec::new(),
        };
        send_ciphertext(file, &schedule, &plan, signal, &progress).await?;
        complete(&plan.upload_id, sealed_metadata, wrapped_key).await
    }
    .await;
    settle(&upload_id, &result).await;
    result
}

/// Resumes an upload this browser started: re-creates the same ciphertext from the same file
/// and sends only the parts the server is missing.
pub async fn resume(
    file: &File,
    record: &PendingUpload,
    info: &UploadInfo,
    keys: &UnlockedKeys,
    signal: &AbortSignal,
    progress: Progress,
) -> Result<FileInfo, UploadError> {
    let file_id: FileId = file_id_from_hex(&record.file_id).ok_or(UploadError::Protocol)?;
    let key = unwrap_file_key(&keys.identity, &record.wrapped_key, &file_id)?;
    let expected = open_metadata(&key, &file_id, &record.sealed_metadata)?;
    let size = file.size() as u64;
    if file.name() != expected.name
        || size != expected.size
        || ciphertext_len(size, info.chunk_size) != Some(info.ciphertext_size)
    {
        return Err(UploadError::NotTheSameFile(expected.name));
    }
    let schedule = ChunkSchedule::for_decryption(&key, &file_id, &record.header)?;
    let plan = Plan {
        upload_id: info.upload_id.clone(),
        part_size: info.part_size,
        part_count: info.part_count,
        ciphertext_size: info.ciphertext_size,
        skip: info.received_parts.clone(),
    };
    let result = async {
        send_ciphertext(file, &schedule, &plan, signal, &progress).await?;
        complete(
            &plan.upload_id,
            record.sealed_metadata.clone(),
            record.wrapped_key.clone(),
        )
        .await
    }
    .await;
    settle(&plan.upload_id, &result).await;
    result
}

/// Cancels an upload on the server and forgets it here.
pub async fn discard(upload_id: &str) -> Result<(), HttpError> {
    let result = http::call("DELETE", &format!("/api/uploads/{upload_id}"), NO_BODY).await;
    match result {
        Ok(_) | Err(HttpError::Status { status: 404, .. }) => {
            pending::remove(upload_id);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// After an upload ends: keep a resumable one; otherwise cancel it on the server and forget it.
async fn settle(upload_id: &str, result: &Result<FileInfo, UploadError>) {
    match result {
        Ok(_) => pending::remove(upload_id),
        Err(e) if e.resumable() => {}
        Err(_) => {
            if let Err(e) = discard(upload_id).await {
                leptos::logging::warn!("could not cancel the upload on the server: {e}");
            }
        }
    }
}

async fn complete(
    upload_id: &str,
    sealed_metadata: Vec<u8>,
    wrapped_key: Vec<u8>,
) -> Result<FileInfo, UploadError> {
    Ok(http::json(
        "POST",
        &format!("/api/uploads/{upload_id}/complete"),
        Some(&Completion {
            sealed_metadata,
            wrapped_key,
        }),
    )
    .await?)
}

fn js_crypto(_: JsValue) -> UploadError {
    UploadError::Crypto
}

fn js_read(_: JsValue) -> UploadError {
    UploadError::Read
}

async fn send_ciphertext(
    file: &File,
    schedule: &ChunkSchedule,
    plan: &Plan,
    signal: &AbortSignal,
    progress: &Progress,
) -> Result<(), UploadError> {
    let size = file.size() as u64;
    let chunk = u64::from(schedule.chunk_size());
    let chunks = chunk_count(size, schedule.chunk_size()).ok_or(UploadError::TooLarge)?;
    let per_batch = chunks_per_batch(schedule.chunk_size());
    let cipher = ChunkCipher::new(
        schedule.payload_key_bytes(),
        schedule.associated_data(),
        Op::Seal,
        (per_batch * (chunk + TAG_LEN as u64)) as u32,
    )
    .await
    .map_err(js_crypto)?;
    let mut reader = StreamReader::new(&file.stream()).map_err(js_read)?;
    let result = async {
        let mut plain = ByteQueue::new();
        let mut sealed = ByteQueue::new();
        sealed.push(Uint8Array::from(schedule.header()));
        let sent = Rc::new(Cell::new(0u64));
        let mut in_flight: VecDeque<oneshot::Receiver<Result<(), UploadError>>> = VecDeque::new();
        let mut next_chunk = 0u64;
        let mut sealing: VecDeque<Batch> = VecDeque::new();
        for part in 0..plan.part_count {
            let part_len = (plan.ciphertext_size - part * plan.part_size).min(plan.part_size);
            while sealed.len() < part_len {
                // Keep the crypto worker busy: read and hand over the next batches while it
                // seals the earlier ones.
                while sealing.len() < BATCHES_IN_FLIGHT && next_chunk < chunks {
                    if signal.aborted() {
                        return Err(UploadError::Cancelled);
                    }
                    let batch_end = (next_chunk + per_batch).min(chunks);
                    let layout = cipher.layout(schedule, size, chunks, next_chunk..batch_end)?;
                    let want = layout.input_len;
                    plain.fill_from(&mut reader, want).await.map_err(js_read)?;
                    if plain.len() < want {
                        return Err(UploadError::Changed);
                    }
                    let input = plain.take_into(want, &cipher.buffer());
                    sealing.push_back(cipher.start(input, &layout).map_err(js_crypto)?);
                    next_chunk = batch_end;
                }
                let Some(batch) = sealing.pop_front() else {
                    break;
                };
                // The sealed batch is NOT given back to the cipher's pool: each part becomes a
                // `Blob`, and Chromium holds a Blob's bytes in its blob storage until the Blob
                // object is garbage-collected. A fresh 2 MiB buffer per batch is external
                // memory V8 counts, so it keeps collecting as the upload goes, as it did when
                // WebCrypto's results were allocated on this thread (a precaution: Chromium was
                // seen holding ~2 GiB of a page's upload Blobs, docs/PERFORMANCE.md).
                sealed.push(batch.finish().await.map_err(|_| UploadError::Crypto)?);
            }
            if sealed.len() < part_len {
                return Err(UploadError::Protocol);
            }
            let pieces = sealed.take_pieces(part_len);
            if plan.skip.contains(&part) {
                sent.set(sent.get() + part_len);
                progress(sent.get());
                continue;
            }
            let body = Blob::new_with_buffer_source_sequence(&pieces).map_err(js_crypto)?;
            while in_flight.len() >= PARTS_IN_FLIGHT {
                wait(in_flight.pop_front()).await?;
            }
            in_flight.push_back(spawn_part(
                format!("/api/uploads/{}/parts/{part}", plan.upload_id),
                body,
                part_len,
                signal.clone(),
                sent.clone(),
                progress.clone(),
            ));
        }
        // The file must end exactly where its size said.
        plain.fill_from(&mut reader, 1).await.map_err(js_read)?;
        if !plain.is_empty() {
            return Err(UploadError::Changed);
        }
        while let Some(next) = in_flight.pop_front() {
            wait(Some(next)).await?;
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        reader.cancel();
    }
    result
}

async fn wait(
    receiver: Option<oneshot::Receiver<Result<(), UploadError>>>,
) -> Result<(), UploadError> {
    match receiver {
        Some(r) => r.await.unwrap_or(Err(UploadError::Cancelled)),
        None => Ok(()),
    }
}

fn spawn_part(
    url: String,
    body: Blob,
    len: u64,
    signal: AbortSignal,
    sent: Rc<Cell<u64>>,
    progress: Progress,
) -> oneshot::Receiver<Result<(), UploadError>> {
    let (tx, rx) = oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let result = put_part(&url, &body, &signal).await;
        if result.is_ok() {
            sent.set(sent.get() + len);
            progress(sent.get());
        }
        let _ = tx.send(result);
    });
    rx
}

async fn put_part(url: &str, body: &Blob, signal: &AbortSignal) -> Result<(), UploadError> {
    let mut delay_ms = 500;
    let mut attempt = 0;
    loop {
        let result = http::send(
            "PUT",
            url,
            Some(body.as_ref()),
            &[("Content-Type", "application/octet-stream")],
            Some(signal),
        )
        .await;
        match result {
            Ok(_) => return Ok(()),
            Err(e) if e.retryable() && attempt < RETRIES => {
                attempt += 1;
                sleep_ms(delay_ms).await;
                delay_ms = (delay_ms * 2).min(15_000);
                if signal.aborted() {
                    return Err(UploadError::Cancelled);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}
