//! A large file made on demand: the plaintext is a fixed pattern (byte `i` is `i mod 251`), and
//! any byte range of its ciphertext can be produced without the rest, so a 1.6 GiB upload needs
//! neither 1.6 GiB of memory nor a file on disk.
//!
//! The ciphertext is the real format (docs/CRYPTO.md §6): the header and chunk schedule come
//! from `coffer_crypto::ChunkSchedule` (as the browser's WebCrypto pipeline uses them), and each
//! chunk is sealed with AES-256-GCM under the schedule's payload key, nonce and associated data.
//! That chunks made this way are what `StreamDecryptor` accepts is checked by a test here, and
//! again by the `parts` probe, which decrypts what it downloads.

use std::sync::Arc;

use aes_gcm::{
    aead::{AeadInPlace, KeyInit},
    Aes256Gcm, Nonce,
};
use bytes::Bytes;
use coffer_crypto::{ChunkSchedule, ContentDigest, FileId, FileKey, TAG_LEN};
use futures_util::Stream;
use sha2::{Digest, Sha256};

use crate::Fallible;

/// The pattern's period: a prime, so it never lines up with chunk or part boundaries.
const PERIOD: u64 = 251;

/// The plaintext byte at `offset`.
fn pattern_byte(offset: u64) -> u8 {
    (offset % PERIOD) as u8
}

/// A file of `plaintext_len` pattern bytes, encrypted under one key and header.
pub struct PatternFile {
    schedule: ChunkSchedule,
    cipher: Aes256Gcm,
    chunk_size: u64,
    plaintext_len: u64,
    /// The pattern over one chunk plus one period, so any chunk's plaintext is a slice of it.
    pattern: Vec<u8>,
}

impl PatternFile {
    /// A new file (fresh header salt) of `plaintext_len` bytes (at least 1).
    pub fn new(
        key: &FileKey,
        file_id: &FileId,
        plaintext_len: u64,
        chunk_size: u32,
    ) -> Fallible<Self> {
        if plaintext_len == 0 {
            return Err("a pattern file has at least one byte".into());
        }
        let schedule =
            ChunkSchedule::for_encryption(key, file_id, chunk_size, &mut rand_core::OsRng)?;
        let cipher = Aes256Gcm::new(schedule.payload_key_bytes().into());
        let pattern = (0..u64::from(chunk_size) + PERIOD)
            .map(pattern_byte)
            .collect();
        Ok(PatternFile {
            schedule,
            cipher,
            chunk_size: u64::from(chunk_size),
            plaintext_len,
            pattern,
        })
    }

    /// The largest plaintext whose ciphertext is at most `ciphertext_len` bytes.
    pub fn plaintext_for(ciphertext_len: u64, chunk_size: u32) -> Option<u64> {
        let header = coffer_crypto::blob_len::STREAM_HEADER as u64;
        let chunk = u64::from(chunk_size);
        let body = ciphertext_len.checked_sub(header)?;
        let full = body / (chunk + TAG_LEN as u64);
        let rest = body % (chunk + TAG_LEN as u64);
        let tail = rest.saturating_sub(TAG_LEN as u64);
        Some(full * chunk + tail).filter(|&len| len > 0)
    }

    pub fn ciphertext_len(&self) -> u64 {
        coffer_crypto::ciphertext_len(self.plaintext_len, self.chunk_size as u32)
            .expect("the length was checked when the file was made")
    }

    fn chunk_count(&self) -> u64 {
        self.plaintext_len.div_ceil(self.chunk_size)
    }

    fn header_len(&self) -> u64 {
        self.schedule.header_len() as u64
    }

    /// Where chunk `index` starts in the ciphertext.
    fn chunk_offset(&self, index: u64) -> u64 {
        self.header_len() + index * (self.chunk_size + TAG_LEN as u64)
    }

    /// Chunk `index`, sealed (its ciphertext and tag).
    fn seal_chunk(&self, index: u64) -> Fallible<Vec<u8>> {
        let start = index * self.chunk_size;
        let len = (self.plaintext_len - start).min(self.chunk_size) as usize;
        let from = (start % PERIOD) as usize;
        let mut sealed = Vec::with_capacity(len + TAG_LEN);
        sealed.extend_from_slice(&self.pattern[from..from + len]);
        let last = index + 1 == self.chunk_count();
        let nonce = self.schedule.nonce(index, last)?;
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                Nonce::from_slice(&nonce),
                self.schedule.associated_data(),
                &mut sealed,
            )
            .map_err(|_| "AES-GCM refused a chunk")?;
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }

    /// The ciphertext bytes `[start, end)`, made as they are read (one chunk at a time).
    pub fn range(
        self: &Arc<Self>,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let file = self.clone();
        let end = end.min(file.ciphertext_len());
        futures_util::stream::unfold(start, move |pos| {
            let file = file.clone();
            async move {
                if pos >= end {
                    return None;
                }
                let piece = file.piece_at(pos, end).map_err(std::io::Error::other);
                let next = pos + piece.as_ref().map_or(end - pos, |p| p.len() as u64);
                Some((piece, next))
            }
        })
    }

    /// The bytes from `pos` to the end of the header or chunk `pos` is in (not past `end`).
    fn piece_at(&self, pos: u64, end: u64) -> Fallible<Bytes> {
        let header_len = self.header_len();
        if pos < header_len {
            let to = end.min(header_len) as usize;
            return Ok(Bytes::copy_from_slice(
                &self.schedule.header()[pos as usize..to],
            ));
        }
        let index = (pos - header_len) / (self.chunk_size + TAG_LEN as u64);
        let chunk_start = self.chunk_offset(index);
        let sealed = Bytes::from(self.seal_chunk(index)?);
        let from = (pos - chunk_start) as usize;
        let to = ((end - chunk_start) as usize).min(sealed.len());
        Ok(sealed.slice(from..to))
    }

    /// The SHA-256 of the whole ciphertext and its content digest (for the version record),
    /// computed by making every chunk once. CPU-bound: call it off the async workers.
    pub fn digests(&self) -> Fallible<([u8; 32], [u8; 32])> {
        let mut sha = Sha256::new();
        let mut content = ContentDigest::new(self.schedule.header());
        sha.update(self.schedule.header());
        for index in 0..self.chunk_count() {
            let sealed = self.seal_chunk(index)?;
            sha.update(&sealed);
            content.push_chunk(&sealed);
        }
        Ok((sha.finalize().into(), content.finish()))
    }

    /// Whether `plaintext`, found at `offset`, is the pattern.
    pub fn is_pattern(offset: u64, plaintext: &[u8]) -> bool {
        plaintext
            .iter()
            .zip(offset..)
            .all(|(&b, at)| b == pattern_byte(at))
    }
}

#[cfg(test)]
mod tests {
    use coffer_crypto::StreamDecryptor;
    use futures_util::StreamExt;

    use super::*;

    async fn bytes_of(f: &Arc<PatternFile>, start: u64, end: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut s = std::pin::pin!(f.range(start, end));
        while let Some(piece) = s.next().await {
            out.extend_from_slice(&piece.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn the_ciphertext_decrypts_to_the_pattern_and_ranges_join_up() {
        let key = FileKey::generate(&mut rand_core::OsRng);
        let id = FileId::from_bytes([9; 16]);
        let len = 3 * 4096 + 17;
        let f = Arc::new(PatternFile::new(&key, &id, len, 4096).unwrap());
        let whole = bytes_of(&f, 0, f.ciphertext_len()).await;
        assert_eq!(whole.len() as u64, f.ciphertext_len());
        let mut dec = StreamDecryptor::new(&key, &id);
        let mut plain = dec.push(&whole).unwrap();
        plain.extend(dec.finish().unwrap());
        assert_eq!(plain.len() as u64, len);
        assert!(PatternFile::is_pattern(0, &plain));
        // Parts cut anywhere (mid-header, mid-chunk) join up to the same bytes.
        let mut joined = Vec::new();
        for (a, b) in [
            (0, 50),
            (50, 5000),
            (5000, 12000),
            (12000, f.ciphertext_len()),
        ] {
            joined.extend(bytes_of(&f, a, b).await);
        }
        assert_eq!(joined, whole);
        let (sha, content) = f.digests().unwrap();
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(&whole)));
        assert_eq!(content, ContentDigest::of_ciphertext(&whole).unwrap());
    }

    #[test]
    fn the_plaintext_for_a_ciphertext_budget_fits_it() {
        for budget in [
            200 * 8 * 1024 * 1024,
            1_000_000,
            91 + 16 + 1,
            91 + 4096 + 16 + 10,
        ] {
            let len = PatternFile::plaintext_for(budget, 4096).unwrap();
            let ct = coffer_crypto::ciphertext_len(len, 4096).unwrap();
            assert!(ct <= budget, "{budget}");
            assert!(coffer_crypto::ciphertext_len(len + 1, 4096).unwrap() > budget - 16);
        }
        assert_eq!(PatternFile::plaintext_for(91 + 16, 4096), None);
        assert!(!PatternFile::is_pattern(0, &[1]));
        assert!(PatternFile::is_pattern(250, &[250, 0, 1]));
    }
}
