//! The chunk schedule: keys, nonces and associated data for every chunk of one file. It is the
//! whole format minus the AEAD itself, so a browser can seal and open the same chunks with
//! WebCrypto.

use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::header::{check_chunk_size, Header, SALT_LEN};
use crate::file_key::{FileId, FileKey};
use crate::primitives::{hkdf_sha256, KEY_LEN, NONCE_LEN};
use crate::Error;

const INFO_PAYLOAD: &[u8] = b"coffer/v1/payload";
const INFO_COMMIT: &[u8] = b"coffer/v1/commit";

/// Index of a chunk and whether it is the last: the two inputs of a nonce.
const COUNTER_LEN: usize = NONCE_LEN - 1;

/// Keys, header, nonces and associated data for the chunks of one file.
pub struct ChunkSchedule {
    header: Vec<u8>,
    chunk_size: u32,
    payload_key: Zeroizing<[u8; KEY_LEN]>,
}

impl ChunkSchedule {
    /// Starts a new file: draws a 32-byte salt from `rng` and builds the header.
    pub fn for_encryption(
        key: &FileKey,
        file_id: &FileId,
        chunk_size: u32,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Self, Error> {
        check_chunk_size(chunk_size)?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let header = Header {
            chunk_size,
            salt,
            file_id: *file_id,
            commitment: *commitment(key, &salt, file_id),
        };
        Ok(Self {
            header: header.encode(),
            chunk_size,
            payload_key: payload_key(key, &salt, file_id),
        })
    }

    /// Parses a header (exactly the header bytes), checks that it names `expected_file_id` and,
    /// in constant time, that its key commitment matches `key`. A commitment mismatch is
    /// [`Error::Decrypt`], like any wrong key.
    pub fn for_decryption(
        key: &FileKey,
        expected_file_id: &FileId,
        header: &[u8],
    ) -> Result<Self, Error> {
        let parsed = Header::decode(header)?;
        if parsed.file_id != *expected_file_id {
            return Err(Error::FileIdMismatch);
        }
        let expected = commitment(key, &parsed.salt, &parsed.file_id);
        if !bool::from(expected.ct_eq(&parsed.commitment)) {
            return Err(Error::Decrypt);
        }
        Ok(Self {
            header: header.to_vec(),
            chunk_size: parsed.chunk_size,
            payload_key: payload_key(key, &parsed.salt, &parsed.file_id),
        })
    }

    /// The header bytes, which start the ciphertext.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// Length of [`ChunkSchedule::header`].
    pub fn header_len(&self) -> usize {
        self.header.len()
    }

    /// Plaintext bytes per chunk (the last chunk may be shorter).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// The AES-256-GCM key for the chunks. Exposed ONLY so a browser can import it into
    /// WebCrypto (`crypto.subtle.importKey("raw", …, "AES-GCM", false, …)`); never store or send it.
    pub fn payload_key_bytes(&self) -> &[u8; 32] {
        &self.payload_key
    }

    /// The nonce of chunk `index`: its 11-byte big-endian index followed by `0x01` for the last
    /// chunk and `0x00` otherwise. A non-final chunk at index `u64::MAX` is
    /// [`Error::ChunkCounterOverflow`]: no chunk could follow it.
    pub fn nonce(&self, index: u64, last: bool) -> Result<[u8; 12], Error> {
        if index == u64::MAX && !last {
            return Err(Error::ChunkCounterOverflow);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce[COUNTER_LEN - 8..COUNTER_LEN].copy_from_slice(&index.to_be_bytes());
        nonce[COUNTER_LEN] = u8::from(last);
        Ok(nonce)
    }

    /// The associated data of every chunk: the whole header.
    pub fn associated_data(&self) -> &[u8] {
        &self.header
    }
}

fn payload_key(key: &FileKey, salt: &[u8], file_id: &FileId) -> Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(Some(salt), &key.0, &[INFO_PAYLOAD, file_id.as_bytes()])
}

fn commitment(key: &FileKey, salt: &[u8], file_id: &FileId) -> Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(Some(salt), &key.0, &[INFO_COMMIT, file_id.as_bytes()])
}
