//! Incremental encryption: plaintext in, ciphertext chunks out.

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::engine::{AesGcmEngine, ChunkAead};
use super::schedule::ChunkSchedule;
use super::ChunkCounter;
use crate::file_key::{FileId, FileKey};
use crate::Error;

/// Encrypts one file in constant memory. Emit [`StreamEncryptor::header`] first, then every
/// output of [`StreamEncryptor::push`] and finally that of [`StreamEncryptor::finish`].
pub struct StreamEncryptor {
    schedule: ChunkSchedule,
    engine: AesGcmEngine,
    counter: ChunkCounter,
    /// Plaintext not yet sealed: at most one chunk, held back because it might be the last.
    pending: Zeroizing<Vec<u8>>,
}

impl StreamEncryptor {
    /// Starts encrypting a file (draws the header salt from `rng`).
    pub fn new(
        key: &FileKey,
        file_id: &FileId,
        chunk_size: u32,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Self, Error> {
        let schedule = ChunkSchedule::for_encryption(key, file_id, chunk_size, rng)?;
        let engine = AesGcmEngine::new(schedule.payload_key_bytes());
        Ok(Self {
            pending: Zeroizing::new(Vec::with_capacity(schedule.chunk_size() as usize)),
            schedule,
            engine,
            counter: ChunkCounter::default(),
        })
    }

    /// The header, which the caller writes before any chunk.
    pub fn header(&self) -> &[u8] {
        self.schedule.header()
    }

    /// Adds plaintext; returns the chunks it completed (possibly none), concatenated. A full
    /// chunk is only sealed once more plaintext arrives, since until then it may be the last.
    pub fn push(&mut self, mut plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let chunk_size = self.schedule.chunk_size() as usize;
        let mut out = Vec::new();
        while !plaintext.is_empty() {
            if self.pending.len() == chunk_size {
                self.seal_pending(false, &mut out)?;
            }
            let take = (chunk_size - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
        }
        Ok(out)
    }

    /// Seals what is left as the final chunk (an empty final chunk only for an empty file).
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.pending.len() + crate::TAG_LEN);
        self.seal_pending(true, &mut out)?;
        Ok(out)
    }

    fn seal_pending(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        let index = self.counter.current();
        let nonce = self.schedule.nonce(index, last)?;
        self.engine
            .seal_chunk(&nonce, self.schedule.associated_data(), &self.pending, out);
        self.counter.advance(last)?;
        self.pending.clear();
        Ok(())
    }
}
