//! Encrypt-and-upload, streamed: `Blob.stream()` → batches of 64 KiB chunks sealed by WebCrypto in
//! the crypto worker with the crypto crate's schedule ([`BATCHES_IN_FLIGHT`] at a time, so reading
//! and sealing overlap) → parts of [`PART_SIZE`] bytes → `PUT /api/uploads/{id}/parts/{n}`,
//! [`PARTS_IN_FLIGHT`] at a time → `POST …/complete` with the first version of the file: the
//! owner key slot and the signed version record over the content digest, which the crypto
//! worker's per-chunk digests add up to (docs/CRYPTO.md §6.5, §13).
//!
//! Every request rides out an outage ([`http::patiently`]): while the server cannot be reached
//! the parts wait for it (the page shows "Reconnecting…") for as long as the page is open, and
//! the upload goes on from the parts that arrived once it answers. The reading stops meanwhile
//! (at most [`PARTS_IN_FLIGHT`] parts are held), so memory stays bounded however long it lasts.
//!
//! Before each part is sent its digest is recorded in `localStorage` (`pending`, `crate::resume`);
//! a resume recomputes every part and stops at the first one that differs, so the same nonces
//! never seal different bytes whatever the server says it has.

use std::{cell::Cell, collections::VecDeque, rc::Rc};

use coffer_crypto::{
    chunk_count, ciphertext_len, open_metadata, seal_file_version, seal_metadata, unwrap_file_key,
    wrap_file_key, ChunkSchedule, ContentDigest, FileId, FileKey, FileMetadata, FileVersion,
    DEFAULT_CHUNK_SIZE, MAX_MIME_LEN, MAX_NAME_LEN, TAG_LEN,
};
use futures::channel::oneshot;
use js_sys::Uint8Array;
use rand_core::OsRng;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob, File, ReadableStream};

use super::{
    bytes::{ByteQueue, StreamReader},
    file_id_from_hex,
    http::{self, HttpError, Outage, Reconnect, NO_BODY},
    pending::{self, PendingUpload},
    webcrypto::{chunks_per_batch, Batch, ChunkCipher, Op},
};
use crate::{
    keyring::UnlockedKeys,
    protocol::vault::{FileInfo, NewUpload, NewVersion, UploadCreated, UploadInfo},
    resume::{check_part, chunks_of_part, part_digest, PartCheck},
};

/// Plaintext bytes per STREAM chunk.
pub const CHUNK_SIZE: u32 = DEFAULT_CHUNK_SIZE;
/// Ciphertext bytes per part.
pub const PART_SIZE: u64 = 4 * 1024 * 1024;
/// Parts sent at the same time (and so, with the one being filled, the parts held in memory).
pub const PARTS_IN_FLIGHT: usize = 3;
/// Batches handed to the crypto worker and not yet back.
const BATCHES_IN_FLIGHT: usize = 4;

/// Why an upload did not finish.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadError {
    /// The server refused.
    Http(HttpError),
    /// The user cancelled.
    Cancelled,
    /// The file could not be read (moved, deleted, permission withdrawn).
    Read,
    /// The file's size changed while it was being read.
    Changed,
    /// The file picked to resume an upload is not the one that was being uploaded.
    NotTheSameFile(String),
    /// The file's bytes differ from what was sent before: resuming would seal different bytes
    /// under the same key and nonces. Only a fresh upload (new key, new salt) is safe.
    ChangedSinceStart,
    /// The upload was started by an older Coffer that kept no record of what it sent, so it
    /// cannot be resumed safely.
    CannotResume,
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
            UploadError::ChangedSinceStart => "This file changed since the upload started, so it \
                cannot be resumed: nothing more was sent. Upload it as a new file instead."
                .into(),
            UploadError::CannotResume => "This upload was started by an older version of Coffer \
                and cannot be resumed safely. Upload the file again."
                .into(),
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
    /// Parts the server says it already has (when resuming).
    skip: Vec<u64>,
}

/// This browser's own record of the parts it sent (see `crate::resume`).
struct Ledger {
    upload_id: String,
    digests: Vec<String>,
    /// Set when the record could not be written: the upload goes on but cannot be resumed.
    lost: bool,
}

impl Ledger {
    fn load(upload_id: &str) -> Self {
        Self {
            upload_id: upload_id.to_string(),
            digests: pending::part_digests(upload_id),
            lost: false,
        }
    }

    /// Checks part `n` against the record, and records it (before it is sent) if it is new.
    /// `server_has` is whether the server claims the part: a part it claims but this browser
    /// never recorded is not trusted either.
    fn admit(&mut self, n: u64, digest: String, server_has: bool) -> Result<(), UploadError> {
        let recorded = self.digests.get(n as usize).map(String::as_str);
        match check_part(recorded, &digest) {
            PartCheck::Same => Ok(()),
            PartCheck::Changed => Err(UploadError::ChangedSinceStart),
            PartCheck::New if server_has => Err(UploadError::CannotResume),
            PartCheck::New => {
                if self.digests.len() as u64 != n {
                    // Parts are recorded in order; a gap means the record is not this upload's.
                    return Err(UploadError::CannotResume);
                }
                self.digests.push(digest);
                if !self.lost && !pending::set_part_digests(&self.upload_id, &self.digests) {
                    self.lost = true;
                    pending::remove(&self.upload_id);
                    leptos::logging::warn!(
                        "could not record the upload's progress; it cannot be resumed"
                    );
                }
                Ok(())
            }
        }
    }
}

/// The plaintext to encrypt: a stream of exactly `metadata.size` bytes.
pub struct Source {
    /// `File.stream()`, or a decrypting pipe (re-encryption).
    pub stream: ReadableStream,
    /// Name, type, size, modification time.
    pub metadata: FileMetadata,
}

impl Source {
    /// A picked or dropped file.
    pub fn file(file: &File) -> Result<Self, UploadError> {
        Ok(Self {
            stream: file.stream(),
            metadata: metadata_of(file)?,
        })
    }
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

/// Encrypts and uploads a new file. `on_created` gets the upload id once the server made one;
/// `reconnect` waits out outages.
pub async fn upload_new(
    source: Source,
    keys: &UnlockedKeys,
    signal: &AbortSignal,
    progress: Progress,
    reconnect: &Reconnect,
    on_created: impl FnOnce(&str),
) -> Result<FileInfo, UploadError> {
    let metadata = source.metadata;
    let ciphertext_size = ciphertext_size_of(metadata.size).ok_or(UploadError::TooLarge)?;
    let new_upload = NewUpload {
        ciphertext_size,
        chunk_size: CHUNK_SIZE,
        part_size: Some(PART_SIZE),
    };
    // If an answer is lost, the upload made for it is left unfinished; the janitor removes it.
    let created: UploadCreated = http::patiently(&**reconnect, Some(signal), never, || {
        http::json_until("POST", "/api/uploads", Some(&new_upload), Some(signal))
    })
    .await?;
    on_created(&created.upload_id);
    let upload_id = created.upload_id.clone();
    let result = async {
        let file_id = file_id_from_hex(&created.file_id).ok_or(UploadError::Protocol)?;
        let key = FileKey::generate(&mut OsRng);
        let schedule = ChunkSchedule::for_encryption(&key, &file_id, CHUNK_SIZE, &mut OsRng)?;
        let sealed_metadata = seal_metadata(&key, &file_id, &metadata, &mut OsRng)?;
        pending::save(PendingUpload {
            format: pending::FORMAT,
            upload_id: created.upload_id.clone(),
            file_id: created.file_id.clone(),
            username: keys.username.clone(),
            header: schedule.header().to_vec(),
            // Only for this browser, to find the key again on resume.
            wrapped_key: wrap_file_key(&keys.public_key(), &key, &file_id, &mut OsRng),
            sealed_metadata: sealed_metadata.clone(),
        });
        let plan = Plan {
            upload_id: created.upload_id.clone(),
            part_size: created.part_size,
            part_count: created.part_count,
            ciphertext_size,
            skip: Vec::new(),
        };
        let mut ledger = Ledger::load(&plan.upload_id);
        let sending = Sending {
            signal,
            progress: &progress,
            reconnect,
        };
        let digest = send_ciphertext(
            &source.stream,
            metadata.size,
            &schedule,
            &plan,
            &mut ledger,
            &sending,
        )
        .await?;
        let version = seal_first_version(keys, &file_id, &key, sealed_metadata, digest)?;
        complete(&plan.upload_id, &version, &sending).await
    }
    .await;
    settle(&upload_id, &result, reconnect).await;
    result
}

/// Resumes an upload this browser started: re-creates the same ciphertext from the same file,
/// checks every part against what was sent before, and sends only the parts the server is
/// missing.
pub async fn resume(
    file: &File,
    record: &PendingUpload,
    info: &UploadInfo,
    keys: &UnlockedKeys,
    signal: &AbortSignal,
    progress: Progress,
    reconnect: &Reconnect,
) -> Result<FileInfo, UploadError> {
    if record.format != pending::FORMAT {
        return Err(UploadError::CannotResume);
    }
    let file_id: FileId = file_id_from_hex(&record.file_id).ok_or(UploadError::Protocol)?;
    let key = unwrap_file_key(&keys.identity, &record.wrapped_key, &file_id)?;
    let expected = open_metadata(&key, &file_id, &record.sealed_metadata)?;
    let size = file.size() as u64;
    if file.name() != expected.name
        || size != expected.size
        || file.last_modified() as i64 != expected.modified_ms
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
        let mut ledger = Ledger::load(&plan.upload_id);
        let sending = Sending {
            signal,
            progress: &progress,
            reconnect,
        };
        let digest = send_ciphertext(
            &file.stream(),
            size,
            &schedule,
            &plan,
            &mut ledger,
            &sending,
        )
        .await?;
        let sealed_metadata = record.sealed_metadata.clone();
        let version = seal_first_version(keys, &file_id, &key, sealed_metadata, digest)?;
        complete(&plan.upload_id, &version, &sending).await
    }
    .await;
    settle(&plan.upload_id, &result, reconnect).await;
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
/// A cancel that finds no server is sent again in the background once it is back (the upload
/// itself is over).
async fn settle(upload_id: &str, result: &Result<FileInfo, UploadError>, reconnect: &Reconnect) {
    match result {
        Ok(_) => pending::remove(upload_id),
        Err(e) if e.resumable() => {}
        Err(_) => match discard(upload_id).await {
            Err(e) if e.outage() => {
                let (upload_id, reconnect) = (upload_id.to_string(), reconnect.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = http::patiently(&*reconnect, None, never, || discard(&upload_id)).await;
                });
            }
            Err(e) => leptos::logging::warn!("could not cancel the upload on the server: {e}"),
            Ok(()) => {}
        },
    }
}

/// No caller stops waiting for this answer other than by the abort signal.
fn never() -> bool {
    false
}

/// The first version of the file, over the content digest of what was sent.
fn seal_first_version(
    keys: &UnlockedKeys,
    file_id: &FileId,
    key: &FileKey,
    sealed_metadata: Vec<u8>,
    content_digest: [u8; 32],
) -> Result<NewVersion, UploadError> {
    let sealed = seal_file_version(
        &keys.account_key,
        &keys.identity,
        file_id,
        &FileVersion::first(content_digest),
        &sealed_metadata,
        key,
        &mut OsRng,
    )?;
    Ok(NewVersion {
        sealed_metadata,
        key_slot: sealed.key_slot,
        version_record: sealed.record,
    })
}

/// Makes the upload a file with its first version.
async fn complete(
    upload_id: &str,
    version: &NewVersion,
    sending: &Sending<'_>,
) -> Result<FileInfo, UploadError> {
    let url = format!("/api/uploads/{upload_id}/complete");
    let signal = Some(sending.signal);
    Ok(http::patiently(&**sending.reconnect, signal, never, || {
        http::json_until("POST", &url, Some(version), signal)
    })
    .await?)
}

/// What every request of one upload shares.
struct Sending<'a> {
    signal: &'a AbortSignal,
    progress: &'a Progress,
    reconnect: &'a Reconnect,
}

fn js_crypto(_: JsValue) -> UploadError {
    UploadError::Crypto
}

fn js_read(_: JsValue) -> UploadError {
    UploadError::Read
}

/// Chunk digests in order, with the folded content digest, kept only as far back as the part
/// being cut needs (memory stays bounded whatever the file size).
struct Digests {
    content: ContentDigest,
    /// `(chunk index, digest)` of the chunks from the current part's first on.
    recent: VecDeque<(u64, [u8; 32])>,
    next: u64,
}

impl Digests {
    fn push(&mut self, digests: &[[u8; 32]]) {
        for d in digests {
            self.content.push_chunk_digest(d);
            self.recent.push_back((self.next, *d));
            self.next += 1;
        }
    }

    /// The digests of `chunks`, dropping everything before them.
    fn of(&mut self, chunks: std::ops::Range<u64>) -> Result<Vec<[u8; 32]>, UploadError> {
        while self.recent.front().is_some_and(|(i, _)| *i < chunks.start) {
            self.recent.pop_front();
        }
        let out: Vec<[u8; 32]> = self
            .recent
            .iter()
            .take_while(|(i, _)| *i < chunks.end)
            .map(|(_, d)| *d)
            .collect();
        if out.len() as u64 != chunks.end - chunks.start {
            return Err(UploadError::Protocol);
        }
        Ok(out)
    }
}

/// Encrypts `size` bytes from `source` and sends every part the server does not have; returns
/// the content digest of the whole ciphertext.
async fn send_ciphertext(
    source: &ReadableStream,
    size: u64,
    schedule: &ChunkSchedule,
    plan: &Plan,
    ledger: &mut Ledger,
    sending: &Sending<'_>,
) -> Result<[u8; 32], UploadError> {
    let Sending {
        signal, progress, ..
    } = *sending;
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
    let mut reader = StreamReader::new(source).map_err(js_read)?;
    let header_len = schedule.header_len() as u64;
    let result = async {
        let mut plain = ByteQueue::new();
        let mut sealed = ByteQueue::new();
        sealed.push(Uint8Array::from(schedule.header()));
        let mut digests = Digests {
            content: ContentDigest::new(schedule.header()),
            recent: VecDeque::new(),
            next: 0,
        };
        let sent = Rc::new(Cell::new(0u64));
        let mut in_flight: VecDeque<oneshot::Receiver<Result<(), UploadError>>> = VecDeque::new();
        let mut next_chunk = 0u64;
        let mut sealing: VecDeque<(Batch, usize)> = VecDeque::new();
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
                    let count = (batch_end - next_chunk) as usize;
                    sealing.push_back((cipher.start(input, &layout).map_err(js_crypto)?, count));
                    next_chunk = batch_end;
                }
                let Some((batch, count)) = sealing.pop_front() else {
                    break;
                };
                // The sealed batch is NOT given back to the cipher's pool: each part becomes a
                // `Blob`, and Chromium holds a Blob's bytes in its blob storage until the Blob
                // object is garbage-collected. A fresh 2 MiB buffer per batch is external
                // memory V8 counts, so it keeps collecting as the upload goes, as it did when
                // WebCrypto's results were allocated on this thread (a precaution: Chromium was
                // seen holding ~2 GiB of a page's upload Blobs, docs/PERFORMANCE.md).
                let finished = batch.finish().await.map_err(|_| UploadError::Crypto)?;
                if finished.digests.len() != count {
                    return Err(UploadError::Crypto);
                }
                digests.push(&finished.digests);
                sealed.push(finished.output);
            }
            if sealed.len() < part_len {
                return Err(UploadError::Protocol);
            }
            let pieces = sealed.take_pieces(part_len);
            let in_part = chunks_of_part(
                part,
                plan.part_size,
                header_len,
                schedule.chunk_size(),
                chunks,
            );
            let part_digest = part_digest(part, schedule.header(), &digests.of(in_part)?);
            let server_has = plan.skip.contains(&part);
            // Checked and recorded before a single byte of the part leaves the browser.
            ledger.admit(part, part_digest, server_has)?;
            if server_has {
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
                sending,
                sent.clone(),
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
        if digests.next != chunks {
            return Err(UploadError::Protocol);
        }
        Ok(digests.content.finish())
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

/// Sends one part in the background; the receiver gets how it went. A part whose receiver is
/// dropped (the upload stopped for another reason) stops trying.
fn spawn_part(
    url: String,
    body: Blob,
    len: u64,
    sending: &Sending<'_>,
    sent: Rc<Cell<u64>>,
) -> oneshot::Receiver<Result<(), UploadError>> {
    let (tx, rx) = oneshot::channel();
    let signal = sending.signal.clone();
    let progress = sending.progress.clone();
    let reconnect = sending.reconnect.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = put_part(&url, &body, &signal, &*reconnect, || tx.is_canceled()).await;
        if result.is_ok() {
            sent.set(sent.get() + len);
            progress(sent.get());
        }
        let _ = tx.send(result);
    });
    rx
}

/// `PUT`s a part until the server has it: through outages and `503 busy` (the server holds as
/// many parts as it can right now: this one waits its turn, for as long as it takes).
async fn put_part(
    url: &str,
    body: &Blob,
    signal: &AbortSignal,
    reconnect: &dyn Outage,
    gone: impl Fn() -> bool,
) -> Result<(), UploadError> {
    http::patiently(reconnect, Some(signal), gone, || {
        http::send(
            "PUT",
            url,
            Some(body.as_ref()),
            &[("Content-Type", "application/octet-stream")],
            Some(signal),
        )
    })
    .await?;
    Ok(())
}
