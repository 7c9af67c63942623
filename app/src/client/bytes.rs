//! Byte plumbing in JS memory: a `ReadableStream` reader and a queue that cuts what it yields into
//! exact lengths without copying where it can.

use std::collections::VecDeque;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

/// Pulls `Uint8Array`s from a stream (`Blob.stream()` or a `fetch` body).
pub struct StreamReader {
    reader: ReadableStreamDefaultReader,
    done: bool,
}

impl StreamReader {
    /// Locks `stream` for reading.
    pub fn new(stream: &ReadableStream) -> Result<Self, JsValue> {
        Ok(Self {
            reader: ReadableStreamDefaultReader::new(stream)?,
            done: false,
        })
    }

    /// The next piece, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Uint8Array>, JsValue> {
        if self.done {
            return Ok(None);
        }
        let result = JsFuture::from(self.reader.read()).await?;
        if Reflect::get(&result, &"done".into())?.is_truthy() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(Reflect::get(&result, &"value".into())?.dyn_into()?))
    }

    /// Stops reading (e.g. after an error), releasing the source.
    pub fn cancel(&self) {
        let _ = self.reader.cancel();
    }
}

/// A FIFO of bytes held as `Uint8Array` pieces.
#[derive(Default)]
pub struct ByteQueue {
    pieces: VecDeque<Uint8Array>,
    len: u64,
}

impl ByteQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes queued.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a piece.
    pub fn push(&mut self, piece: Uint8Array) {
        if piece.length() > 0 {
            self.len += u64::from(piece.length());
            self.pieces.push_back(piece);
        }
    }

    /// Reads from `reader` until at least `n` bytes are queued or the stream ends.
    pub async fn fill_from(&mut self, reader: &mut StreamReader, n: u64) -> Result<(), JsValue> {
        while self.len < n {
            match reader.next().await? {
                Some(piece) => self.push(piece),
                None => break,
            }
        }
        Ok(())
    }

    /// Removes the first `n` bytes (at most [`ByteQueue::len`]) as views on the queued pieces.
    pub fn take_pieces(&mut self, n: u64) -> Array {
        let out = Array::new();
        let mut left = n.min(self.len);
        self.len -= left;
        while left > 0 {
            let Some(front) = self.pieces.pop_front() else {
                break;
            };
            let len = u64::from(front.length());
            if len <= left {
                left -= len;
                out.push(&front);
            } else {
                let cut = left as u32;
                out.push(&front.subarray(0, cut));
                self.pieces.push_front(front.subarray(cut, front.length()));
                left = 0;
            }
        }
        out
    }

    /// Removes the first `n` bytes (at most [`ByteQueue::len`]) into the start of `dest` (which
    /// must be large enough) and returns that part of it.
    pub fn take_into(&mut self, n: u64, dest: &Uint8Array) -> Uint8Array {
        let mut at = 0;
        for piece in self.take_pieces(n).iter() {
            let piece: Uint8Array = piece.unchecked_into();
            dest.set(&piece, at);
            at += piece.length();
        }
        dest.subarray(0, at)
    }

    /// Removes the first `n` bytes (at most [`ByteQueue::len`]) as one array; copies only when
    /// they span several pieces.
    pub fn take(&mut self, n: u64) -> Uint8Array {
        let pieces = self.take_pieces(n);
        if pieces.length() == 1 {
            return pieces.get(0).unchecked_into();
        }
        let total: u32 = pieces
            .iter()
            .map(|p| p.unchecked_into::<Uint8Array>().length())
            .sum();
        let out = Uint8Array::new_with_length(total);
        let mut at = 0;
        for piece in pieces.iter() {
            let piece: Uint8Array = piece.unchecked_into();
            out.set(&piece, at);
            at += piece.length();
        }
        out
    }
}
