//! AES-256-GCM through WebCrypto (`crypto.subtle`), for file content only, run in a dedicated
//! Web Worker (`crypto_worker.js`, embedded here and started from a `blob:` URL) so the page's
//! main thread stays free to read, send and write while chunks are sealed or opened: in Chromium
//! 156 WebCrypto runs on the calling thread (bench/, docs/PERFORMANCE.md).
//!
//! The keys, nonces and associated data all come from [`coffer_crypto::ChunkSchedule`]; neither
//! this module nor the worker decides anything about the format. A batch is a run of chunks sent
//! back to back in one `Uint8Array` with their lengths and nonces; the answer is the results back
//! to back in one `Uint8Array`, in order. Several batches may be in flight at once; the worker
//! answers them in the order they were sent.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    ops::Range,
    rc::Rc,
};

use coffer_crypto::{ChunkSchedule, TAG_LEN};
use futures::channel::oneshot;
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, MessageEvent, Worker};

/// The worker's source.
const WORKER_JS: &str = include_str!("crypto_worker.js");

/// Why a batch did not come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoFailure {
    /// A chunk failed authentication (`open` only): wrong key, tampered or corrupted.
    Authentication,
    /// The worker or WebCrypto failed for another reason.
    Broken,
}

/// A batch's results, the input buffer handed back for reuse, and the chunks' ciphertext digests.
type Reply = Result<(Uint8Array, Option<ArrayBuffer>, Vec<[u8; 32]>), CryptoFailure>;
type Waiting = Rc<RefCell<HashMap<u32, oneshot::Sender<Reply>>>>;

/// The page's one crypto worker and the batches waiting for it.
struct Shared {
    worker: Worker,
    waiting: Waiting,
    /// Set when the worker failed: nothing more is sent to it.
    broken: Rc<Cell<bool>>,
    next_id: Cell<u32>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

thread_local! {
    static SHARED: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
}

impl Shared {
    fn get() -> Result<Rc<Shared>, JsValue> {
        if let Some(shared) = SHARED.with(|s| s.borrow().clone()) {
            if !shared.broken.get() {
                return Ok(shared);
            }
        }
        let shared = Rc::new(Self::start()?);
        SHARED.with(|s| *s.borrow_mut() = Some(shared.clone()));
        Ok(shared)
    }

    fn start() -> Result<Shared, JsValue> {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(
            &Array::of1(&WORKER_JS.into()),
            &options,
        )?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let worker = Worker::new(&url);
        // The worker has loaded its script (or failed to) by the time it answers; the URL is
        // not needed after construction started.
        let _ = web_sys::Url::revoke_object_url(&url);
        let worker = worker?;
        let waiting: Waiting = Rc::default();
        let broken = Rc::new(Cell::new(false));
        let answered = waiting.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let Some(id) = Reflect::get(&data, &"id".into())
                .ok()
                .and_then(|id| id.as_f64())
            else {
                return;
            };
            let digests = Reflect::get(&data, &"digests".into())
                .ok()
                .and_then(|d| d.dyn_into::<Uint8Array>().ok())
                .map(|d| {
                    d.to_vec()
                        .chunks_exact(32)
                        .map(|c| c.try_into().expect("32 bytes"))
                        .collect::<Vec<[u8; 32]>>()
                });
            let reply = match (Reflect::get(&data, &"output".into()), digests) {
                (Ok(output), Some(digests)) if output.is_instance_of::<Uint8Array>() => Ok((
                    output.unchecked_into(),
                    Reflect::get(&data, &"spare".into())
                        .ok()
                        .and_then(|b| b.dyn_into::<ArrayBuffer>().ok()),
                    digests,
                )),
                _ => Err(
                    match Reflect::get(&data, &"error".into())
                        .ok()
                        .and_then(|e| e.as_string())
                        .as_deref()
                    {
                        Some("OperationError") => CryptoFailure::Authentication,
                        _ => CryptoFailure::Broken,
                    },
                ),
            };
            let sender = answered.borrow_mut().remove(&(id as u32));
            if let Some(sender) = sender {
                let _ = sender.send(reply);
            }
        });
        // A worker that cannot run (script refused, crashed) fails every waiting batch; the next
        // cipher starts a new worker.
        let failed = (waiting.clone(), broken.clone());
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
            leptos::logging::warn!("the crypto worker failed");
            // Dropped (and terminated) by the next `Shared::get`, not here inside its own
            // handler.
            failed.1.set(true);
            let senders: Vec<_> = failed.0.borrow_mut().drain().collect();
            for (_, sender) in senders {
                let _ = sender.send(Err(CryptoFailure::Broken));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Shared {
            worker,
            waiting,
            broken,
            next_id: Cell::new(1),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn message(fields: &[(&str, &JsValue)]) -> Result<JsValue, JsValue> {
    let m = Object::new();
    for (key, value) in fields {
        Reflect::set(&m, &(*key).into(), value)?;
    }
    Ok(m.into())
}

/// Plaintext bytes per batch handed to the worker (at least one chunk per batch).
pub const BATCH_BYTES: u64 = 2 * 1024 * 1024;

/// Chunks per batch for chunks of `chunk_size` bytes.
pub fn chunks_per_batch(chunk_size: u32) -> u64 {
    (BATCH_BYTES / u64::from(chunk_size.max(1))).max(1)
}

/// What a batch does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Encrypt: each result is the ciphertext followed by its 16-byte tag.
    Seal,
    /// Decrypt and authenticate: each input is ciphertext || tag.
    Open,
}

/// Batch-sized buffers for reuse. A fresh `ArrayBuffer` of a few MiB costs page faults and
/// zeroing on first touch: copying into new ones ran at ~0.6 GB/s here, into reused ones at
/// ~15 GB/s, so input and output buffers travel between the page and the worker and come back.
struct Pool {
    capacity: u32,
    free: RefCell<Vec<ArrayBuffer>>,
}

/// Buffers kept for reuse per cipher (four batches in flight, each with an input and an output
/// buffer, plus the ones being written or sent).
const POOL_MAX: usize = 12;

impl Pool {
    fn get(&self) -> ArrayBuffer {
        self.free
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| ArrayBuffer::new(self.capacity))
    }

    fn put(&self, buffer: ArrayBuffer) {
        let mut free = self.free.borrow_mut();
        // A detached buffer has length 0; only our own size is kept.
        if buffer.byte_length() == self.capacity && free.len() < POOL_MAX {
            free.push(buffer);
        }
    }
}

/// A non-extractable AES-GCM key inside WebCrypto, with the file's associated data, known to
/// the crypto worker, and the buffers its batches travel in.
pub struct ChunkCipher {
    shared: Rc<Shared>,
    id: u32,
    op: Op,
    pool: Rc<Pool>,
}

/// One batch's chunks as the worker takes them.
pub struct BatchLayout {
    /// Each chunk's input length: plaintext, or ciphertext and tag when opening.
    lengths: Vec<u32>,
    /// Each chunk's 12-byte nonce, back to back.
    nonces: Vec<u8>,
    /// The sum of `lengths`: the bytes of input the batch needs.
    pub input_len: u64,
}

/// A batch handed to the worker; [`Batch::finish`] waits for its results.
pub struct Batch {
    reply: oneshot::Receiver<Reply>,
    pool: Rc<Pool>,
}

/// What a batch came back as.
pub struct Finished {
    /// The results back to back, in chunk order, in a buffer of the cipher's pool (give it back
    /// with [`ChunkCipher::recycle`] once its bytes have been copied or written).
    pub output: Uint8Array,
    /// SHA-256 of each chunk's ciphertext (tag included), in chunk order.
    pub digests: Vec<[u8; 32]>,
}

impl Batch {
    /// Waits for the batch's results.
    pub async fn finish(self) -> Result<Finished, CryptoFailure> {
        let (output, spare, digests) = self.reply.await.unwrap_or(Err(CryptoFailure::Broken))?;
        if let Some(spare) = spare {
            self.pool.put(spare);
        }
        Ok(Finished { output, digests })
    }
}

impl ChunkCipher {
    /// Imports the schedule's payload key (`op` says for which use) and hands it to the worker.
    /// `batch_capacity` is the most bytes a batch's input or output can have.
    pub async fn new(
        payload_key: &[u8; 32],
        associated_data: &[u8],
        op: Op,
        batch_capacity: u32,
    ) -> Result<Self, JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let subtle = window.crypto()?.subtle();
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into())?;
        let usage = match op {
            Op::Seal => "encrypt",
            Op::Open => "decrypt",
        };
        let raw = Uint8Array::from(&payload_key[..]);
        let promise = subtle.import_key_with_object(
            "raw",
            &raw,
            &algorithm,
            false,
            &Array::of1(&usage.into()),
        )?;
        // The raw copy in JS memory is overwritten at once; WebCrypto keeps its own.
        raw.fill(0, 0, 32);
        let key: CryptoKey = JsFuture::from(promise).await?.dyn_into()?;
        let shared = Shared::get()?;
        let id = shared.next_id();
        // The CryptoKey is cloned into the worker as a key object; its bytes never appear in JS.
        shared.worker.post_message(&message(&[
            ("type", &"key".into()),
            ("cipher", &id.into()),
            ("key", &key),
            ("aad", &Uint8Array::from(associated_data)),
        ])?)?;
        let pool = Rc::new(Pool {
            capacity: batch_capacity,
            free: RefCell::new(Vec::new()),
        });
        Ok(Self {
            shared,
            id,
            op,
            pool,
        })
    }

    /// A buffer to gather one batch's input in (`batch_capacity` bytes, reused).
    pub fn buffer(&self) -> Uint8Array {
        Uint8Array::new(&self.pool.get())
    }

    /// Gives a batch's results (from [`Batch::finish`]) back for reuse once nothing reads them
    /// any more.
    pub fn recycle(&self, output: &Uint8Array) {
        self.pool.put(output.buffer());
    }

    /// The layout of chunks `range` of a plaintext of `size` bytes, which `schedule` cuts into
    /// `chunks` chunks (the last one gets the final nonce).
    pub fn layout(
        &self,
        schedule: &ChunkSchedule,
        size: u64,
        chunks: u64,
        range: Range<u64>,
    ) -> Result<BatchLayout, coffer_crypto::Error> {
        let chunk = u64::from(schedule.chunk_size());
        let tag = match self.op {
            Op::Seal => 0,
            Op::Open => TAG_LEN as u64,
        };
        let count = (range.end - range.start) as usize;
        let mut layout = BatchLayout {
            lengths: Vec::with_capacity(count),
            nonces: Vec::with_capacity(count * 12),
            input_len: 0,
        };
        for i in range {
            let len = (size - i * chunk).min(chunk) + tag;
            layout.lengths.push(len as u32);
            layout.input_len += len;
            layout
                .nonces
                .extend_from_slice(&schedule.nonce(i, i + 1 == chunks)?);
        }
        Ok(layout)
    }

    /// Hands one batch to the worker: `input` holds the chunks of `layout` back to back. `input`
    /// must be the start of a [`ChunkCipher::buffer`]: the whole buffer moves to the worker (and
    /// comes back to the pool), so neither it nor any view on it may be used afterwards.
    pub fn start(&self, input: Uint8Array, layout: &BatchLayout) -> Result<Batch, JsValue> {
        debug_assert_eq!(u64::from(input.length()), layout.input_len);
        debug_assert_eq!(input.byte_offset(), 0);
        if self.shared.broken.get() {
            return Err(JsValue::from_str("the crypto worker failed"));
        }
        let output = self.pool.get();
        let id = self.shared.next_id();
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.borrow_mut().insert(id, tx);
        let kind = match self.op {
            Op::Seal => "seal",
            Op::Open => "open",
        };
        let sent = message(&[
            ("type", &kind.into()),
            ("id", &id.into()),
            ("cipher", &self.id.into()),
            ("input", &input),
            ("output", &output),
            ("lengths", &Uint32Array::from(&layout.lengths[..])),
            ("nonces", &Uint8Array::from(&layout.nonces[..])),
        ])
        .and_then(|m| {
            self.shared
                .worker
                .post_message_with_transfer(&m, &Array::of2(&input.buffer(), &output))
        });
        if let Err(e) = sent {
            self.shared.waiting.borrow_mut().remove(&id);
            return Err(e);
        }
        Ok(Batch {
            reply: rx,
            pool: self.pool.clone(),
        })
    }
}

impl Drop for ChunkCipher {
    fn drop(&mut self) {
        if let Ok(m) = message(&[("type", &"drop".into()), ("cipher", &self.id.into())]) {
            let _ = self.shared.worker.post_message(&m);
        }
    }
}
