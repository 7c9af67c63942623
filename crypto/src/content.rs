//! The content digest: one SHA-256 value that pins a file's exact ciphertext, so that a file
//! version signed by its owner cannot be swapped for other content under the same file key.
//!
//! Key commitment (the header) only binds the *key*; anyone who holds the file key (every sharee
//! and link visitor) can seal other plaintext under it, even under the same header. The digest
//! binds the bytes themselves:
//!
//! ```text
//! content_digest = SHA-256("coffer/v2/content-digest" ‖ header ‖ SHA-256(chunk_0) ‖ … ‖ SHA-256(chunk_{n-1}))
//! ```
//!
//! where `chunk_i` is the i-th chunk's ciphertext including its 16-byte tag. Hashing each chunk
//! separately lets a browser compute the per-chunk digests where the chunks are (WebCrypto's
//! one-shot `digest` in the crypto worker) and fold them in order here.

use sha2::{Digest, Sha256};

use crate::stream::header::Header;
use crate::Error;

const DOMAIN: &[u8] = b"coffer/v2/content-digest";

/// SHA-256 of one chunk's ciphertext (tag included): the unit [`ContentDigest`] folds in.
pub fn chunk_digest(chunk: &[u8]) -> [u8; 32] {
    Sha256::digest(chunk).into()
}

/// Accumulates the content digest of one stream, chunk by chunk, in order.
#[derive(Clone)]
pub struct ContentDigest(Sha256);

impl ContentDigest {
    /// Starts a digest with the stream header (exactly the header bytes).
    pub fn new(header: &[u8]) -> Self {
        Self(Sha256::new().chain_update(DOMAIN).chain_update(header))
    }

    /// Adds the next chunk (ciphertext and tag).
    pub fn push_chunk(&mut self, chunk: &[u8]) {
        self.push_chunk_digest(&chunk_digest(chunk));
    }

    /// Adds the next chunk by its [`chunk_digest`].
    pub fn push_chunk_digest(&mut self, digest: &[u8; 32]) {
        self.0.update(digest);
    }

    /// The digest of everything added.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }

    /// The digest of a whole ciphertext (header and chunks), cut into chunks by the header's
    /// chunk size. Only the layout is checked here, not authenticity: a ciphertext whose length
    /// no plaintext has is [`Error::Malformed`].
    pub fn of_ciphertext(ciphertext: &[u8]) -> Result<[u8; 32], Error> {
        let header_len = crate::parse_header_len(ciphertext)?;
        let header = ciphertext.get(..header_len).ok_or(Error::Truncated)?;
        let chunk_size = Header::decode(header)?.chunk_size;
        if crate::plaintext_len(ciphertext.len() as u64, chunk_size).is_none() {
            return Err(Error::Malformed);
        }
        let mut digest = Self::new(header);
        for chunk in ciphertext[header_len..].chunks(chunk_size as usize + crate::TAG_LEN) {
            digest.push_chunk(chunk);
        }
        Ok(digest.finish())
    }
}
