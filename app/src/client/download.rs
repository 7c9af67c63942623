//! Download-and-decrypt, streamed: a ciphertext stream (a `fetch` body or a local `.coffer`
//! file's `Blob.stream()`) → header → chunk batches opened by WebCrypto in the crypto worker (four
//! in flight, so reading, opening and writing overlap) → a [`Sink`]. Nothing is
//! treated as good before the final chunk opened and, for a file whose owner signed its content
//! digest, before the digest of everything read matched it (docs/CRYPTO.md §6.5): a failure
//! aborts the sink, which throws away what it had (the File System Access API's `abort()`
//! discards the temporary file).
//!
//! A vault download ([`download_into`]) rides out an outage: when the connection breaks it waits
//! for the server ([`http::patiently`]) and asks for the rest with `Range: bytes=<n>-`, `n` being
//! the bytes already received. The decrypting side never sees the seam: it reads one stream of
//! bytes, each received exactly once, so no chunk is opened and no byte digested twice. Share
//! link downloads are not retried by themselves: each request for a link's content uses up one of
//! the downloads the link allows (and the route sends the whole file only).

use coffer_crypto::{
    chunk_count, header_file_id, parse_header_len, plaintext_len, ChunkSchedule, ContentBinding,
    ContentDigest, FileId, FileKey, TAG_LEN,
};
use std::collections::VecDeque;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, BlobPropertyBag, ReadableStream};

use super::{
    bytes::{ByteQueue, StreamReader},
    http::{self, HttpError, Reconnect},
    webcrypto::{chunks_per_batch, Batch, ChunkCipher, CryptoFailure, Op},
};

/// Largest file saved through an in-memory `Blob` when the browser cannot stream to disk and no
/// service worker is there to stream through.
pub const MEMORY_LIMIT: u64 = 512 * 1024 * 1024;
/// Files up to this size are saved through a `Blob` even when the service worker could stream
/// them (one step, no worker round trips); bigger ones stream through the worker.
pub const WORKER_STREAM_FROM: u64 = 32 * 1024 * 1024;
/// Batches handed to the crypto worker and not yet written.
const BATCHES_IN_FLIGHT: usize = 4;
/// Bytes needed to learn the header length (magic and version).
const HEADER_PREFIX: u64 = 7;

/// Why a download did not produce a file.
#[derive(Clone, Debug, PartialEq)]
pub enum DownloadError {
    /// The server refused or could not be reached.
    Http(HttpError),
    /// A chunk failed authentication, the stream ended early, or bytes follow the last chunk.
    Tampered,
    /// The key does not open this file.
    WrongKey,
    /// This is not a Coffer file (or a format this version does not know).
    NotCoffer,
    /// The connection broke mid-way (a stream read once: a link, a local file).
    Interrupted,
    /// The browser cannot stream to disk and the file is too big to hold in memory.
    TooLargeForThisBrowser,
    /// Writing to the chosen file failed (disk full, permission withdrawn).
    Write,
    /// The user cancelled.
    Cancelled,
    /// This browser's WebCrypto refused to work.
    Crypto,
}

impl DownloadError {
    /// Words for a person.
    pub fn message(&self) -> String {
        match self {
            DownloadError::Http(e) => e.message(),
            DownloadError::Tampered => "This file was tampered with or corrupted: it did not pass \
                the integrity check, so nothing was saved."
                .into(),
            DownloadError::WrongKey => "This key does not open this file.".into(),
            DownloadError::NotCoffer => "This is not a file encrypted by Coffer.".into(),
            DownloadError::Interrupted => {
                "The connection broke during the download. Nothing was saved; try again.".into()
            }
            DownloadError::TooLargeForThisBrowser => format!(
                "This browser cannot save files over {} as they are decrypted. Use Chromium, \
                 or “Download encrypted” and decrypt it there.",
                crate::protocol::human_bytes(MEMORY_LIMIT)
            ),
            DownloadError::Write => "The file could not be written. Is the disk full?".into(),
            DownloadError::Cancelled => "Cancelled.".into(),
            DownloadError::Crypto => "This browser could not decrypt the file.".into(),
        }
    }
}

impl From<HttpError> for DownloadError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Aborted => DownloadError::Cancelled,
            e => DownloadError::Http(e),
        }
    }
}

/// Where decrypted bytes go.
pub enum Sink {
    /// A file on disk, through the File System Access API (`FileSystemWritableFileStream`).
    Disk(JsValue),
    /// Batches posted to the service worker, which streams them into a download
    /// (`/sw-download/<id>`, see public/sw.js); one batch per `pull` from the worker.
    Worker {
        /// Our end of the `MessageChannel`.
        port: JsValue,
        /// Messages from the worker: "pull", "cancel".
        messages: futures::channel::mpsc::UnboundedReceiver<String>,
    },
    /// The writable side of a `TransformStream` whose readable side another pipeline reads
    /// (re-encryption: the plaintext goes straight into an encrypting upload, never to disk).
    Pipe(web_sys::WritableStreamDefaultWriter),
    /// Decrypted batches kept until the end, then offered as a `Blob` download.
    Memory {
        /// `ArrayBuffer`s in order.
        parts: Array,
        /// File name for the download.
        name: String,
        /// MIME type for the `Blob`.
        mime: String,
    },
}

fn save_file_picker() -> Option<Function> {
    let window = web_sys::window()?;
    Reflect::get(&window, &"showSaveFilePicker".into())
        .ok()?
        .dyn_into()
        .ok()
}

async fn call_method(target: &JsValue, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let method: Function = Reflect::get(target, &name.into())?.dyn_into()?;
    let promise: Promise = method.apply(target, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

impl Sink {
    /// Picks where a file of `size` plaintext bytes goes: a file the user chooses on disk where
    /// the browser allows it, otherwise memory for files up to [`MEMORY_LIMIT`]. `Ok(None)` when
    /// the user closed the save dialog. Call straight from the click (the picker needs it).
    pub async fn choose(name: &str, mime: &str, size: u64) -> Result<Option<Sink>, DownloadError> {
        if let Some(picker) = save_file_picker() {
            let options = Object::new();
            let _ = Reflect::set(&options, &"suggestedName".into(), &name.into());
            let window: JsValue = web_sys::window().map(Into::into).unwrap_or_default();
            let promise: Promise = picker
                .call1(&window, &options)
                .ok()
                .and_then(|p| p.dyn_into().ok())
                .ok_or(DownloadError::Write)?;
            let handle = match JsFuture::from(promise).await {
                Ok(handle) => handle,
                Err(e) if error_name(&e) == "AbortError" => return Ok(None),
                Err(_) => return Err(DownloadError::Write),
            };
            let writable = call_method(&handle, "createWritable", &Array::new())
                .await
                .map_err(|_| DownloadError::Write)?;
            return Ok(Some(Sink::Disk(writable)));
        }
        if size > WORKER_STREAM_FROM {
            if let Some(sink) = worker_sink(name, mime, size).await {
                return Ok(Some(sink));
            }
        }
        if size > MEMORY_LIMIT {
            return Err(DownloadError::TooLargeForThisBrowser);
        }
        Ok(Some(Sink::Memory {
            parts: Array::new(),
            name: name.to_string(),
            mime: mime.to_string(),
        }))
    }

    /// Writes one batch of plaintext. `Ok(true)`: the sink is done with the batch's buffer and
    /// it may be reused; `Ok(false)`: the sink keeps it (or moved it elsewhere).
    async fn write(&mut self, batch: &Uint8Array) -> Result<bool, DownloadError> {
        match self {
            Sink::Disk(writable) => {
                // `write()` has taken its copy of the bytes once it resolves.
                call_method(writable, "write", &Array::of1(batch))
                    .await
                    .map_err(|_| DownloadError::Write)?;
                Ok(true)
            }
            Sink::Worker { port, messages } => {
                use futures::StreamExt;
                // Wait until the worker's stream asks for more (bounded memory).
                loop {
                    match messages.next().await.as_deref() {
                        Some("pull") => break,
                        Some("cancel") | None => return Err(DownloadError::Cancelled),
                        Some(_) => {}
                    }
                }
                // The batch's buffer is ours alone: move it (the view says how much of it
                // holds the batch), no copy.
                let message = Object::new();
                let buffer = batch.buffer();
                let _ = Reflect::set(&message, &"chunk".into(), batch);
                call_sync(
                    port,
                    "postMessage",
                    &Array::of2(&message, &Array::of1(&buffer)),
                )
                .map_err(|_| DownloadError::Write)?;
                Ok(false)
            }
            Sink::Pipe(writer) => {
                // Backpressure: wait until the reader has taken what was written before.
                JsFuture::from(writer.ready())
                    .await
                    .map_err(|_| DownloadError::Write)?;
                // The stream hands the same bytes on (no copy): the buffer stays with it.
                let _ = writer.write_with_chunk(batch);
                Ok(false)
            }
            Sink::Memory { parts, .. } => {
                parts.push(batch);
                Ok(false)
            }
        }
    }

    /// Makes the file final: closes the disk file, or starts the `Blob` download.
    pub async fn finish(self) -> Result<(), DownloadError> {
        match self {
            Sink::Disk(writable) => call_method(&writable, "close", &Array::new())
                .await
                .map(|_| ())
                .map_err(|_| DownloadError::Write),
            Sink::Worker { port, .. } => {
                let message = Object::new();
                let _ = Reflect::set(&message, &"done".into(), &true.into());
                call_sync(&port, "postMessage", &Array::of1(&message))
                    .map(|_| ())
                    .map_err(|_| DownloadError::Write)
            }
            Sink::Pipe(writer) => JsFuture::from(writer.close())
                .await
                .map(|_| ())
                .map_err(|_| DownloadError::Write),
            Sink::Memory { parts, name, mime } => {
                let options = BlobPropertyBag::new();
                options.set_type(&mime);
                let blob = Blob::new_with_buffer_source_sequence_and_options(&parts, &options)
                    .map_err(|_| DownloadError::Write)?;
                save_blob(&blob, &name).map_err(|_| DownloadError::Write)
            }
        }
    }

    /// Throws away what was written.
    pub async fn abort(self) {
        match self {
            Sink::Disk(writable) => {
                let _ = call_method(&writable, "abort", &Array::new()).await;
            }
            Sink::Worker { port, .. } => {
                // The worker errors the stream: the browser marks the download failed and
                // deletes what it had written.
                let message = Object::new();
                let _ = Reflect::set(&message, &"abort".into(), &true.into());
                let _ = call_sync(&port, "postMessage", &Array::of1(&message));
            }
            Sink::Pipe(writer) => {
                let _ = writer.abort();
            }
            Sink::Memory { .. } => {}
        }
    }
}

fn call_sync(target: &JsValue, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let method: Function = Reflect::get(target, &name.into())?.dyn_into()?;
    method.apply(target, args)
}

/// Sets up a download streamed by the service worker, if one controls this page.
async fn worker_sink(name: &str, mime: &str, size: u64) -> Option<Sink> {
    use futures::StreamExt;
    use wasm_bindgen::closure::Closure;
    let window: JsValue = web_sys::window()?.into();
    let container = Reflect::get(
        &Reflect::get(&window, &"navigator".into()).ok()?,
        &"serviceWorker".into(),
    )
    .ok()?;
    let controller = Reflect::get(&container, &"controller".into()).ok()?;
    if controller.is_null() || controller.is_undefined() {
        return None;
    }
    let channel_class: Function = Reflect::get(&window, &"MessageChannel".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let channel = Reflect::construct(&channel_class, &Array::new()).ok()?;
    let port = Reflect::get(&channel, &"port1".into()).ok()?;
    let their_port = Reflect::get(&channel, &"port2".into()).ok()?;
    let (tx, mut messages) = futures::channel::mpsc::unbounded::<String>();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let data = Reflect::get(&event, &"data".into())
            .ok()
            .and_then(|d| d.as_string());
        if let Some(data) = data {
            let _ = tx.unbounded_send(data);
        }
    });
    Reflect::set(&port, &"onmessage".into(), on_message.as_ref()).ok()?;
    // Lives as long as the port; the port is closed by the worker when the download ends.
    on_message.forget();
    let mut id = [0u8; 16];
    getrandom::getrandom(&mut id).ok()?;
    let id = hex::encode(id);
    let message = Object::new();
    for (key, value) in [
        ("type", JsValue::from("download")),
        ("id", id.as_str().into()),
        ("name", name.into()),
        ("mime", mime.into()),
        ("size", JsValue::from_f64(size as f64)),
    ] {
        Reflect::set(&message, &key.into(), &value).ok()?;
    }
    call_sync(
        &controller,
        "postMessage",
        &Array::of2(&message, &Array::of1(&their_port)),
    )
    .ok()?;
    if messages.next().await.as_deref() != Some("ready") {
        return None;
    }
    // Start the download; the worker answers it with the stream.
    let document = web_sys::window()?.document()?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&format!("/sw-download/{id}"));
    a.click();
    Some(Sink::Worker { port, messages })
}

/// Offers a `Blob` as a download named `name`.
pub fn save_blob(blob: &Blob, name: &str) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has its own reference by now; drop ours a little later.
    wasm_bindgen_futures::spawn_local(async move {
        super::sleep_ms(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

fn error_name(e: &JsValue) -> String {
    Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default()
}

/// Which file id the header must name.
pub enum Expect<'a> {
    /// The id the server listed (a vault download): a header naming another is tampering.
    File(&'a FileId),
    /// Whatever the header names (a stand-alone `.coffer` file); the key commitment still binds it.
    FromHeader,
}

/// What a download must be, besides decrypting under its key.
pub struct Expected<'a> {
    /// Which file id the header must name.
    pub file: Expect<'a>,
    /// The ciphertext length.
    pub ciphertext_size: u64,
    /// What the owner's version record says about the content ([`ContentBinding::Unbound`]
    /// for a file that has no signed digest: a v1 file, or a stand-alone `.coffer` file).
    pub content: ContentBinding,
}

/// Decrypts the expected ciphertext from `stream` into `sink`, reporting the ciphertext bytes
/// read so far. The sink is finished only after the last chunk opened and the content digest
/// matched; on any error it is aborted.
pub async fn decrypt_into(
    stream: &ReadableStream,
    key: &FileKey,
    expected: Expected<'_>,
    sink: Sink,
    signal: Option<&AbortSignal>,
    progress: &dyn Fn(u64),
) -> Result<(), DownloadError> {
    let reader = StreamReader::new(stream).map_err(|_| DownloadError::Interrupted)?;
    let mut source = Ciphertext::Once(reader);
    decrypt_from(&mut source, key, expected, sink, signal, progress).await
}

/// Downloads the ciphertext at `url` (a content route that honours `Range`: the vault's or a
/// share's) and decrypts it into `sink` as [`decrypt_into`] does. While the server cannot be
/// reached it waits through `reconnect` and then goes on from the byte where it stopped.
pub async fn download_into(
    url: &str,
    key: &FileKey,
    expected: Expected<'_>,
    sink: Sink,
    signal: &AbortSignal,
    progress: &dyn Fn(u64),
    reconnect: &Reconnect,
) -> Result<(), DownloadError> {
    let mut source = Ciphertext::Resumable(Resuming {
        url: url.to_string(),
        size: expected.ciphertext_size,
        received: 0,
        skip: 0,
        reader: None,
        fruitful: false,
        cut_short: 0,
        signal: signal.clone(),
        reconnect: reconnect.clone(),
    });
    decrypt_from(&mut source, key, expected, sink, Some(signal), progress).await
}

async fn decrypt_from(
    source: &mut Ciphertext,
    key: &FileKey,
    expected: Expected<'_>,
    mut sink: Sink,
    signal: Option<&AbortSignal>,
    progress: &dyn Fn(u64),
) -> Result<(), DownloadError> {
    let result = decrypt_stream(source, key, expected, &mut sink, signal, progress).await;
    match result {
        Ok(()) => sink.finish().await,
        Err(e) => {
            source.cancel();
            sink.abort().await;
            Err(e)
        }
    }
}

/// Where the ciphertext is read from.
enum Ciphertext {
    /// One stream, read once: a broken connection ends the download.
    Once(StreamReader),
    /// A content route, asked again for the rest after a broken connection.
    Resumable(Resuming),
}

impl Ciphertext {
    /// The next bytes, each byte of the ciphertext exactly once and in order; `None` at the end.
    async fn next(&mut self) -> Result<Option<Uint8Array>, DownloadError> {
        match self {
            Ciphertext::Once(reader) => reader.next().await.map_err(|_| DownloadError::Interrupted),
            Ciphertext::Resumable(resuming) => resuming.next().await,
        }
    }

    fn cancel(&self) {
        match self {
            Ciphertext::Once(reader) => reader.cancel(),
            Ciphertext::Resumable(Resuming {
                reader: Some(reader),
                ..
            }) => reader.cancel(),
            Ciphertext::Resumable(_) => {}
        }
    }
}

/// Answers in a row that ended cleanly before the end of the file without a single byte, after
/// which a download stops ("tampered with or corrupted"): a server that keeps cutting the stream
/// short is not an outage.
const CUT_SHORT_ANSWERS: u32 = 3;

/// A download that picks up where the connection broke.
struct Resuming {
    url: String,
    /// The ciphertext's length.
    size: u64,
    /// Bytes handed on so far: where the next request starts.
    received: u64,
    /// Bytes still to drop from the current answer (a whole file sent for a range request).
    skip: u64,
    /// The current answer's body; `None` before the first and after a break.
    reader: Option<StreamReader>,
    /// Whether the current answer gave any byte yet.
    fruitful: bool,
    /// Answers in a row that ended before the end of the file without a byte.
    cut_short: u32,
    signal: AbortSignal,
    reconnect: Reconnect,
}

impl Resuming {
    async fn next(&mut self) -> Result<Option<Uint8Array>, DownloadError> {
        loop {
            if self.received >= self.size && self.skip == 0 {
                // Everything arrived; whatever else the answer holds is for the caller to see
                // (bytes after the end are tampering). A break now loses nothing.
                return match self.reader.as_mut() {
                    Some(reader) => Ok(reader.next().await.unwrap_or(None)),
                    None => Ok(None),
                };
            }
            if self.reader.is_none() {
                self.reader = Some(self.open().await?);
                self.fruitful = false;
            }
            let Some(reader) = self.reader.as_mut() else {
                continue;
            };
            match reader.next().await {
                Ok(Some(piece)) => {
                    self.fruitful = true;
                    self.cut_short = 0;
                    let piece = self.drop_skipped(piece);
                    if piece.length() == 0 {
                        continue;
                    }
                    self.received += u64::from(piece.length());
                    return Ok(Some(piece));
                }
                // The answer ended before the end of the file: ask for the rest, a few times.
                Ok(None) => {
                    self.reader = None;
                    if !self.fruitful {
                        self.cut_short += 1;
                        if self.cut_short >= CUT_SHORT_ANSWERS {
                            return Err(DownloadError::Tampered);
                        }
                    }
                }
                // The connection broke: ask for the rest at once if this answer brought
                // something, after the next wait for the server if it did not.
                Err(_) => {
                    if self.signal.aborted() {
                        return Err(DownloadError::Cancelled);
                    }
                    self.reader = None;
                    if !self.fruitful {
                        http::wait_for_server(&*self.reconnect, Some(&self.signal)).await?;
                    }
                }
            }
        }
    }

    /// Drops the part of `piece` that is still to be skipped.
    fn drop_skipped(&mut self, piece: Uint8Array) -> Uint8Array {
        if self.skip == 0 {
            return piece;
        }
        let len = u64::from(piece.length());
        let cut = self.skip.min(len);
        self.skip -= cut;
        piece.subarray(cut as u32, piece.length())
    }

    /// Asks for the ciphertext from byte `received` on, waiting for the server as long as it
    /// takes.
    async fn open(&mut self) -> Result<StreamReader, DownloadError> {
        let range = format!("bytes={}-", self.received);
        let headers: &[(&str, &str)] = if self.received == 0 {
            &[]
        } else {
            &[("Range", range.as_str())]
        };
        let signal = Some(&self.signal);
        let response = http::patiently(
            &*self.reconnect,
            signal,
            || false,
            || http::send("GET", &self.url, None, headers, signal),
        )
        .await?;
        let header = |name: &str| response.headers().get(name).ok().flatten();
        let length = header("Content-Length").and_then(|l| l.parse::<u64>().ok());
        self.skip = answer_offset(
            response.status(),
            header("Content-Range").as_deref(),
            length,
            self.received,
            self.size,
        )
        .ok_or(DownloadError::Tampered)?;
        let body = response.body().ok_or(DownloadError::Interrupted)?;
        StreamReader::new(&body).map_err(|_| DownloadError::Interrupted)
    }
}

/// Checks an answer to a request for a `size`-byte ciphertext from byte `from` on: how many bytes
/// of its body come before byte `from` and are to be dropped (`0` for a matching `206 Partial
/// Content`, `from` for a `200` with the whole file), or `None` if it is not the asked-for bytes.
fn answer_offset(
    status: u16,
    content_range: Option<&str>,
    content_length: Option<u64>,
    from: u64,
    size: u64,
) -> Option<u64> {
    let length_is = |want: u64| content_length.is_none_or(|l| l == want);
    match status {
        200 if length_is(size) => Some(from),
        206 => {
            let (range, total) = content_range?.strip_prefix("bytes ")?.split_once('/')?;
            let (first, last) = range.split_once('-')?;
            let (first, last, total) = (
                first.parse::<u64>().ok()?,
                last.parse::<u64>().ok()?,
                total.parse::<u64>().ok()?,
            );
            (first == from && total == size && last + 1 == size && length_is(size - from))
                .then_some(0)
        }
        _ => None,
    }
}

async fn read_exact(
    source: &mut Ciphertext,
    queue: &mut ByteQueue,
    n: u64,
) -> Result<Uint8Array, DownloadError> {
    fill_exact(source, queue, n).await?;
    Ok(queue.take(n))
}

/// Queues at least `n` bytes, or fails: a stream that ends before is truncated.
async fn fill_exact(
    source: &mut Ciphertext,
    queue: &mut ByteQueue,
    n: u64,
) -> Result<(), DownloadError> {
    fill(source, queue, n).await?;
    if queue.len() < n {
        return Err(DownloadError::Tampered);
    }
    Ok(())
}

/// Reads until at least `n` bytes are queued or the ciphertext ends.
async fn fill(source: &mut Ciphertext, queue: &mut ByteQueue, n: u64) -> Result<(), DownloadError> {
    while queue.len() < n {
        match source.next().await? {
            Some(piece) => queue.push(piece),
            None => break,
        }
    }
    Ok(())
}

async fn decrypt_stream(
    source: &mut Ciphertext,
    key: &FileKey,
    expected: Expected<'_>,
    sink: &mut Sink,
    signal: Option<&AbortSignal>,
    progress: &dyn Fn(u64),
) -> Result<(), DownloadError> {
    let ciphertext_size = expected.ciphertext_size;
    let mut queue = ByteQueue::new();
    let prefix = read_exact(source, &mut queue, HEADER_PREFIX)
        .await?
        .to_vec();
    let header_len = parse_header_len(&prefix).map_err(|_| DownloadError::NotCoffer)? as u64;
    let mut header = prefix;
    header.extend(
        read_exact(source, &mut queue, header_len - HEADER_PREFIX)
            .await?
            .to_vec(),
    );
    let file_id = match expected.file {
        Expect::File(id) => *id,
        Expect::FromHeader => header_file_id(&header).map_err(|_| DownloadError::NotCoffer)?,
    };
    let schedule = ChunkSchedule::for_decryption(key, &file_id, &header).map_err(|e| match e {
        coffer_crypto::Error::Decrypt => DownloadError::WrongKey,
        coffer_crypto::Error::FileIdMismatch => DownloadError::Tampered,
        _ => DownloadError::NotCoffer,
    })?;
    let chunk = u64::from(schedule.chunk_size());
    let size =
        plaintext_len(ciphertext_size, schedule.chunk_size()).ok_or(DownloadError::Tampered)?;
    let chunks = chunk_count(size, schedule.chunk_size()).ok_or(DownloadError::Tampered)?;
    let per_batch = chunks_per_batch(schedule.chunk_size());
    let cipher = ChunkCipher::new(
        schedule.payload_key_bytes(),
        schedule.associated_data(),
        Op::Open,
        (per_batch * (chunk + TAG_LEN as u64)) as u32,
    )
    .await
    .map_err(|_| DownloadError::Crypto)?;
    let mut done = header_len;
    progress(done);
    let mut next = 0u64;
    let mut digest = ContentDigest::new(&header);
    // Batches with their chunk count and the ciphertext bytes read once each is written.
    let mut opening: VecDeque<(Batch, usize, u64)> = VecDeque::new();
    loop {
        // Read and hand over the next batches while the worker opens the earlier ones.
        while opening.len() < BATCHES_IN_FLIGHT && next < chunks {
            if signal.is_some_and(|s| s.aborted()) {
                return Err(DownloadError::Cancelled);
            }
            let end = (next + per_batch).min(chunks);
            let layout = cipher
                .layout(&schedule, size, chunks, next..end)
                .map_err(|_| DownloadError::Tampered)?;
            let want = layout.input_len;
            fill_exact(source, &mut queue, want).await?;
            let sealed = queue.take_into(want, &cipher.buffer());
            done += want;
            let batch = cipher
                .start(sealed, &layout)
                .map_err(|_| DownloadError::Crypto)?;
            opening.push_back((batch, (end - next) as usize, done));
            next = end;
        }
        let Some((batch, count, done_after)) = opening.pop_front() else {
            break;
        };
        let opened = batch.finish().await.map_err(|e| match e {
            CryptoFailure::Authentication => DownloadError::Tampered,
            CryptoFailure::Broken => DownloadError::Crypto,
        })?;
        if opened.digests.len() != count {
            return Err(DownloadError::Crypto);
        }
        for d in &opened.digests {
            digest.push_chunk_digest(d);
        }
        if sink.write(&opened.output).await? {
            cipher.recycle(&opened.output);
        }
        progress(done_after);
    }
    fill(source, &mut queue, 1).await?;
    if !queue.is_empty() {
        return Err(DownloadError::Tampered);
    }
    // Every chunk authenticated under the file key; the owner's signature says which chunks.
    // Anybody with the key (a sharee, a link visitor) could have sealed others.
    if let ContentBinding::Digest(signed) = expected.content {
        if digest.finish() != signed {
            return Err(DownloadError::Tampered);
        }
    }
    Ok(())
}

/// Fetches a file's ciphertext from `url` (the vault's, a share's or a link's content route)
/// once: the stream, whose length must be what the listing said. Not retried: a link's content
/// route counts every request as one of the link's downloads.
pub async fn fetch_content(
    url: &str,
    headers: &[(&str, &str)],
    expected_size: u64,
    signal: &AbortSignal,
) -> Result<ReadableStream, DownloadError> {
    let response = http::send("GET", url, None, headers, Some(signal)).await?;
    let length = response
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<u64>().ok());
    if length.is_some_and(|l| l != expected_size) {
        return Err(DownloadError::Tampered);
    }
    response.body().ok_or(DownloadError::Interrupted)
}
