//! File content encryption: the STREAM construction (as in age) over AES-256-GCM.
//!
//! The plaintext is cut into chunks of exactly `chunk_size` bytes except the last, which holds
//! 1..=`chunk_size` bytes (0 only when the whole file is empty). Chunk `i` is sealed with nonce
//! `i as 88-bit big-endian || last flag` and the whole header as associated data.

mod decryptor;
mod encryptor;
mod engine;
pub(crate) mod header;
mod schedule;

pub use decryptor::StreamDecryptor;
pub use encryptor::StreamEncryptor;
pub use header::{
    header_chunk_size, header_file_id, parse_header_len, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
};
pub use schedule::ChunkSchedule;

use crate::Error;
use header::{check_chunk_size, HEADER_LEN};

/// The chunk size new files use.
pub const DEFAULT_CHUNK_SIZE: u32 = 65536;
/// The AES-GCM tag each chunk adds.
pub const TAG_LEN: usize = crate::primitives::GCM_TAG_LEN;

/// How many chunks a plaintext of `plaintext_len` bytes is cut into: `⌈plaintext_len /
/// chunk_size⌉`, but at least 1 (the empty file is one empty final chunk). Chunk `count − 1` is
/// the final one. `None` if the chunk size is out of range.
pub fn chunk_count(plaintext_len: u64, chunk_size: u32) -> Option<u64> {
    check_chunk_size(chunk_size).ok()?;
    Some(plaintext_len.div_ceil(u64::from(chunk_size)).max(1))
}

/// Ciphertext length (header included) of a plaintext of `plaintext_len` bytes; `None` if the
/// chunk size is out of range or the length overflows.
pub fn ciphertext_len(plaintext_len: u64, chunk_size: u32) -> Option<u64> {
    chunk_count(plaintext_len, chunk_size)?
        .checked_mul(TAG_LEN as u64)?
        .checked_add(plaintext_len)?
        .checked_add(HEADER_LEN as u64)
}

/// Plaintext length of a ciphertext of `ciphertext_len` bytes (header included); `None` if no
/// plaintext encrypts to that length.
pub fn plaintext_len(ciphertext_len: u64, chunk_size: u32) -> Option<u64> {
    check_chunk_size(chunk_size).ok()?;
    let tag = TAG_LEN as u64;
    let body = ciphertext_len.checked_sub(HEADER_LEN as u64)?;
    let full_chunk = u64::from(chunk_size) + tag;
    let full_chunks = body / full_chunk;
    let rest = body % full_chunk;
    let chunks = match rest {
        0 if full_chunks > 0 => full_chunks,
        // An empty final chunk: only for the empty file.
        r if r == tag && full_chunks == 0 => 1,
        r if r > tag => full_chunks + 1,
        _ => return None,
    };
    Some(body - chunks * tag)
}

/// Position in the chunk sequence. Once a final chunk was counted nothing else can be, and the
/// index never wraps around.
#[derive(Default)]
struct ChunkCounter {
    next: u64,
    finished: bool,
}

impl ChunkCounter {
    fn current(&self) -> u64 {
        self.next
    }

    fn advance(&mut self, last: bool) -> Result<(), Error> {
        if self.finished {
            return Err(Error::TrailingData);
        }
        if last {
            self.finished = true;
        } else {
            self.next = self
                .next
                .checked_add(1)
                .ok_or(Error::ChunkCounterOverflow)?;
        }
        Ok(())
    }
}
