//! The AEAD that seals and opens chunks. Natively it is the `aes-gcm` crate; in a browser the app
//! performs the same operation with WebCrypto using [`ChunkSchedule`](super::ChunkSchedule).

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

use crate::primitives::GCM_TAG_LEN;
use crate::Error;

/// Seals and opens one chunk, appending the result to `out`.
pub(crate) trait ChunkAead {
    fn seal_chunk(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>);
    /// On failure `out` is left as it was.
    fn open_chunk(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error>;
}

pub(crate) struct AesGcmEngine(Aes256Gcm);

impl AesGcmEngine {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }
}

impl ChunkAead for AesGcmEngine {
    fn seal_chunk(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .0
            .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut out[start..])
            .expect("a chunk is far below AES-GCM's length limit");
        out.extend_from_slice(&tag);
    }

    fn open_chunk(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let body_len = ciphertext
            .len()
            .checked_sub(GCM_TAG_LEN)
            .ok_or(Error::Decrypt)?;
        let (body, tag) = ciphertext.split_at(body_len);
        let start = out.len();
        out.extend_from_slice(body);
        let opened = self.0.decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            aad,
            &mut out[start..],
            Tag::from_slice(tag),
        );
        if opened.is_err() {
            out.truncate(start);
            return Err(Error::Decrypt);
        }
        Ok(())
    }
}
