//! The stream header: what a file's ciphertext starts with, and what every chunk authenticates.
//!
//! ```text
//! offset  len  field
//!      0    6  magic "COFFER"
//!      6    1  version (0x01)
//!      7    4  chunk size, u32 big-endian, 4096..=16777216
//!     11   32  salt (random per file)
//!     43   16  file id
//!     59   32  key commitment
//!     91       (end)
//! ```

use crate::file_key::FileId;
use crate::primitives::KEY_LEN;
use crate::Error;

pub(crate) const MAGIC: &[u8; 6] = b"COFFER";
pub(crate) const VERSION: u8 = 0x01;
pub(crate) const SALT_LEN: usize = 32;
/// Length of a version-1 header.
pub(crate) const HEADER_LEN: usize = MAGIC.len() + 1 + 4 + SALT_LEN + 16 + KEY_LEN;
/// Smallest chunk size a header may declare.
pub const MIN_CHUNK_SIZE: u32 = 4 * 1024;
/// Largest chunk size a header may declare.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
/// Bytes needed to learn the header length: magic and version.
const PREFIX_LEN: usize = MAGIC.len() + 1;

/// The decoded fields of a header.
pub(crate) struct Header {
    pub(crate) chunk_size: u32,
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) file_id: FileId,
    pub(crate) commitment: [u8; KEY_LEN],
}

pub(crate) fn check_chunk_size(chunk_size: u32) -> Result<(), Error> {
    if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        Ok(())
    } else {
        Err(Error::ChunkSizeOutOfRange)
    }
}

impl Header {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.chunk_size.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(self.file_id.as_bytes());
        out.extend_from_slice(&self.commitment);
        out
    }

    /// Parses exactly one header (`bytes` must be the whole header, no more).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if parse_header_len(bytes)? != bytes.len() {
            return Err(if bytes.len() < HEADER_LEN {
                Error::Truncated
            } else {
                Error::Malformed
            });
        }
        let (chunk_size, rest) = bytes[PREFIX_LEN..].split_at(4);
        let chunk_size = u32::from_be_bytes(chunk_size.try_into().expect("4 bytes"));
        check_chunk_size(chunk_size)?;
        let (salt, rest) = rest.split_at(SALT_LEN);
        let (file_id, commitment) = rest.split_at(16);
        Ok(Self {
            chunk_size,
            salt: salt.try_into().expect("32 bytes"),
            file_id: FileId::from_bytes(file_id.try_into().expect("16 bytes")),
            commitment: commitment.try_into().expect("32 bytes"),
        })
    }
}

/// How long the header is, judged from the first bytes of a ciphertext (at least 7: magic and
/// version). Lets a caller that reads in pieces know how much to read before
/// [`ChunkSchedule::for_decryption`](crate::ChunkSchedule::for_decryption).
pub fn parse_header_len(first_bytes: &[u8]) -> Result<usize, Error> {
    let magic_len = first_bytes.len().min(MAGIC.len());
    if first_bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(Error::Malformed);
    }
    match first_bytes.get(MAGIC.len()) {
        None => Err(Error::Truncated),
        Some(&VERSION) => Ok(HEADER_LEN),
        Some(_) => Err(Error::UnsupportedVersion),
    }
}

/// The file id a header names (`header` must be exactly the header bytes). For decrypting a
/// stand-alone `.coffer` file whose expected id is not known from elsewhere: the key commitment
/// covers the id, so a key for another file still fails in
/// [`ChunkSchedule::for_decryption`](crate::ChunkSchedule::for_decryption).
pub fn header_file_id(header: &[u8]) -> Result<FileId, Error> {
    Header::decode(header).map(|h| h.file_id)
}

/// The chunk size a header declares (`header` must be exactly the header bytes). Lets a store
/// check that content begins with a header for the chunk size it was told, without any key.
pub fn header_chunk_size(header: &[u8]) -> Result<u32, Error> {
    Header::decode(header).map(|h| h.chunk_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            chunk_size: 65536,
            salt: [7; SALT_LEN],
            file_id: FileId::from_bytes([9; 16]),
            commitment: [3; KEY_LEN],
        }
    }

    #[test]
    fn header_file_id_reads_the_id_a_header_names() {
        let bytes = sample().encode();
        assert_eq!(header_file_id(&bytes).unwrap(), FileId::from_bytes([9; 16]));
        assert_eq!(header_chunk_size(&bytes).unwrap(), 65536);
    }

    #[test]
    fn header_file_id_rejects_cut_or_foreign_bytes() {
        let bytes = sample().encode();
        assert!(header_file_id(&bytes[..HEADER_LEN - 1]).is_err());
        assert!(header_file_id(b"NOTCOFFERAFILE").is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert!(header_file_id(&long).is_err());
    }
}
