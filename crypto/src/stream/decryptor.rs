//! Incremental decryption: ciphertext in any split, authenticated plaintext out.

use super::engine::{AesGcmEngine, ChunkAead};
use super::header::parse_header_len;
use super::schedule::ChunkSchedule;
use super::ChunkCounter;
use crate::file_key::{FileId, FileKey};
use crate::primitives::GCM_TAG_LEN;
use crate::Error;

enum State {
    /// Collecting header bytes; the key is kept until the header can be checked.
    Header(FileKey),
    Body {
        schedule: ChunkSchedule,
        /// Boxed: the expanded AES key schedule is large and this enum moves.
        engine: Box<AesGcmEngine>,
    },
    /// A previous call failed; every later call repeats the error.
    Failed(Error),
}

/// Decrypts one file in constant memory.
///
/// Plaintext is released only after its chunk authenticated, but a stream can still turn out to
/// be truncated or corrupt later on: treat the output as final only once
/// [`StreamDecryptor::finish`] returned `Ok`.
pub struct StreamDecryptor {
    state: State,
    expected_file_id: FileId,
    counter: ChunkCounter,
    /// Ciphertext not yet processed: header bytes, then at most one whole chunk (held back
    /// because it might be the final one) plus whatever arrived after it.
    buffer: Vec<u8>,
}

impl StreamDecryptor {
    /// Prepares to decrypt the file `expected_file_id` with `key`.
    pub fn new(key: &FileKey, expected_file_id: &FileId) -> Self {
        Self {
            state: State::Header(FileKey(key.0)),
            expected_file_id: *expected_file_id,
            counter: ChunkCounter::default(),
            buffer: Vec::new(),
        }
    }

    /// Adds ciphertext (header first, then chunks, split anywhere); returns the plaintext of every
    /// chunk that is now known to be non-final and authenticated.
    pub fn push(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        self.buffer.extend_from_slice(ciphertext);
        let result = self.process();
        if let Err(e) = result {
            self.state = State::Failed(e);
            self.buffer = Vec::new();
        }
        result
    }

    /// Ends the stream: opens the held-back final chunk. [`Error::Truncated`] if the input ended
    /// before a final chunk.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        let (schedule, engine) = match &self.state {
            State::Failed(e) => return Err(*e),
            State::Header(_) => return Err(Error::Truncated),
            State::Body { schedule, engine } => (schedule, engine),
        };
        if self.buffer.len() < GCM_TAG_LEN {
            return Err(Error::Truncated);
        }
        let index = self.counter.current();
        let aad = schedule.associated_data();
        let mut out = Vec::with_capacity(self.buffer.len() - GCM_TAG_LEN);
        let final_nonce = schedule.nonce(index, true)?;
        if engine
            .open_chunk(&final_nonce, aad, &self.buffer, &mut out)
            .is_ok()
        {
            if out.is_empty() && index > 0 {
                // Only an empty file ends in an empty chunk; nobody without the key could make
                // this, but the format has exactly one valid encoding of every file.
                return Err(Error::Malformed);
            }
            self.counter.advance(true)?;
            return Ok(out);
        }
        // The last chunk we hold is a valid *non-final* chunk: the real end was cut off.
        if let Ok(nonce) = schedule.nonce(index, false) {
            if engine
                .open_chunk(&nonce, aad, &self.buffer, &mut Vec::new())
                .is_ok()
            {
                return Err(Error::Truncated);
            }
        }
        Err(Error::Decrypt)
    }

    fn process(&mut self) -> Result<Vec<u8>, Error> {
        if let State::Header(key) = &self.state {
            let header_len = match parse_header_len(&self.buffer) {
                Err(Error::Truncated) => return Ok(Vec::new()),
                other => other?,
            };
            if self.buffer.len() < header_len {
                return Ok(Vec::new());
            }
            let schedule = ChunkSchedule::for_decryption(
                key,
                &self.expected_file_id,
                &self.buffer[..header_len],
            )?;
            let engine = Box::new(AesGcmEngine::new(schedule.payload_key_bytes()));
            self.buffer.drain(..header_len);
            self.state = State::Body { schedule, engine };
        }
        let State::Body { schedule, engine } = &self.state else {
            unreachable!("the header state was handled above");
        };
        let chunk_len = schedule.chunk_size() as usize + GCM_TAG_LEN;
        let aad = schedule.associated_data();
        let mut out = Vec::new();
        let mut consumed = 0;
        // A whole chunk followed by more data cannot be the final one.
        while self.buffer.len() - consumed > chunk_len {
            let chunk = &self.buffer[consumed..consumed + chunk_len];
            let index = self.counter.current();
            let nonce = schedule.nonce(index, false)?;
            if engine.open_chunk(&nonce, aad, chunk, &mut out).is_err() {
                let final_nonce = schedule.nonce(index, true)?;
                let was_final = engine
                    .open_chunk(&final_nonce, aad, chunk, &mut Vec::new())
                    .is_ok();
                return Err(if was_final {
                    Error::TrailingData
                } else {
                    Error::Decrypt
                });
            }
            self.counter.advance(false)?;
            consumed += chunk_len;
        }
        self.buffer.drain(..consumed);
        Ok(out)
    }
}
