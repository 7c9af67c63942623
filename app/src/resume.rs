//! Resuming an upload without ever sealing different bytes under the same nonces.
//!
//! A resumed upload re-encrypts the file with the key, salt and nonces it started with, which is
//! safe only if the plaintext is the same: AES-GCM under a repeated nonce with different
//! plaintext gives away their XOR and the authentication key. The server cannot be trusted to
//! say which parts it has (it may claim none, to get them sent again), so the browser keeps its
//! own record: for every part it sends, before sending, a digest of the chunks that make it up
//! ([`part_digest`]). On resume every part is recomputed and compared with that record; the
//! first one that differs stops the upload before anything of it is sent.

use std::ops::Range;

use coffer_protocol::b64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"coffer/resume-part";

/// Where one part of a ciphertext lies: the chunks whose ciphertext overlaps bytes
/// `[n·part_size, (n+1)·part_size)` of a stream with a `header_len`-byte header and chunks of
/// `chunk_size` plaintext bytes (`chunks` of them in all).
pub fn chunks_of_part(
    n: u64,
    part_size: u64,
    header_len: u64,
    chunk_size: u32,
    chunks: u64,
) -> Range<u64> {
    let sealed_chunk = u64::from(chunk_size) + coffer_crypto::TAG_LEN as u64;
    let start = n.saturating_mul(part_size);
    let end = start.saturating_add(part_size);
    let first = start.saturating_sub(header_len) / sealed_chunk;
    let last_byte = end.saturating_sub(1);
    if last_byte < header_len || chunks == 0 {
        return first..first;
    }
    let last = ((last_byte - header_len) / sealed_chunk).min(chunks - 1);
    first..last + 1
}

/// The digest this browser records for part `n`: SHA-256 over the part number, the header and
/// the digests of the chunks in the part, first 16 bytes, as hex. Any byte of the part that
/// would differ changes a chunk digest, so it changes this.
pub fn part_digest(n: u64, header: &[u8], chunk_digests: &[[u8; 32]]) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(n.to_be_bytes());
    h.update(header);
    for d in chunk_digests {
        h.update(d);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What to do with part `n` on resume, given the digest recorded when it was first sent.
#[derive(Debug, PartialEq, Eq)]
pub enum PartCheck {
    /// Never sent before: record the digest, then send.
    New,
    /// The same bytes as before: safe to send again.
    Same,
    /// Different bytes under the same nonces: stop.
    Changed,
}

/// Compares a part's digest with the recorded one.
pub fn check_part(recorded: Option<&str>, digest: &str) -> PartCheck {
    match recorded {
        None => PartCheck::New,
        Some(r) if r == digest => PartCheck::Same,
        Some(_) => PartCheck::Changed,
    }
}

/// One upload this browser started and has not finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingUpload {
    /// 2 for records that keep the digests of the parts sent (`pending::part_digests`);
    /// records without it (0) cannot be resumed safely.
    #[serde(default)]
    pub format: u8,
    /// The server's upload id.
    pub upload_id: String,
    /// The file id it becomes.
    pub file_id: String,
    /// Whose upload it is (records of other accounts on this browser are left alone).
    pub username: String,
    /// The 91-byte STREAM header (not secret).
    #[serde(with = "b64")]
    pub header: Vec<u8>,
    /// Blob `0x04`: the file key wrapped to the owner's public key.
    #[serde(with = "b64")]
    pub wrapped_key: Vec<u8>,
    /// Blob `0x05`: name, type, size and mtime sealed under the file key.
    #[serde(with = "b64")]
    pub sealed_metadata: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_belongs_to_the_parts_its_bytes_fall_in() {
        // 91-byte header, 4096-byte chunks (4112 sealed), 10 chunks, parts of 8192 bytes.
        let total = 91 + 9 * 4112 + (100 + 16);
        let parts = (total as u64).div_ceil(8192);
        let mut covered = Vec::new();
        for n in 0..parts {
            let r = chunks_of_part(n, 8192, 91, 4096, 10);
            assert!(!r.is_empty(), "part {n} has chunks");
            covered.extend(r);
        }
        covered.dedup();
        assert_eq!(covered, (0..10).collect::<Vec<_>>());
        // Part 0 holds the header and the start of chunk 0 and chunk 1.
        assert_eq!(chunks_of_part(0, 8192, 91, 4096, 10), 0..2);
        // Bytes 8192..16384 are chunks 1 (from byte 4203) to 3 (up to byte 16538).
        assert_eq!(chunks_of_part(1, 8192, 91, 4096, 10), 1..4);
        assert_eq!(chunks_of_part(parts - 1, 8192, 91, 4096, 10).end, 10);
    }

    #[test]
    fn a_changed_chunk_changes_the_part_digest_and_stops_the_resume() {
        let header = [7u8; 91];
        let before = part_digest(3, &header, &[[1; 32], [2; 32]]);
        let same = part_digest(3, &header, &[[1; 32], [2; 32]]);
        let edited = part_digest(3, &header, &[[1; 32], [9; 32]]);
        let moved = part_digest(4, &header, &[[1; 32], [2; 32]]);
        assert_eq!(before.len(), 32);
        assert_eq!(check_part(Some(&before), &same), PartCheck::Same);
        assert_eq!(check_part(Some(&before), &edited), PartCheck::Changed);
        assert_ne!(before, moved);
        assert_eq!(check_part(None, &edited), PartCheck::New);
    }
}
