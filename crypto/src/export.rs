//! The `.coffer` export file (docs/CRYPTO.md §6.6): what "Download encrypted" saves, so the file
//! keeps its name and type wherever it goes. It is the file's sealed metadata (blob 0x05, opened
//! by the same file key and bound to the file id in the stream header) in front of the stream:
//!
//! ```text
//! magic     "COFFER-EXPORT"   13 bytes ASCII
//! version   0x01              1 byte
//! meta_len  u16 BE            length of the sealed metadata (a blob 0x05: 93 ..= 1373)
//! metadata  blob 0x05         meta_len bytes
//! stream    §6 ciphertext     header ‖ chunks, to the end of the file
//! ```
//!
//! A bare stream (what earlier versions saved) is a `.coffer` file too: it starts with the stream
//! magic, not this one, and has no name inside.

use crate::{blob_len, Error};

/// The export magic.
pub const EXPORT_MAGIC: &[u8; 13] = b"COFFER-EXPORT";
const EXPORT_VERSION: u8 = 0x01;
/// Bytes before the metadata: magic, version and length.
const FIXED: usize = EXPORT_MAGIC.len() + 1 + 2;
/// The longest prefix an export can have: read this many bytes (plus the stream header) to know
/// where the stream starts.
pub const MAX_EXPORT_PREFIX: usize = FIXED + blob_len::METADATA_MAX;

/// The bytes to put before a stream to make an export file of it.
pub fn export_prefix(sealed_metadata: &[u8]) -> Result<Vec<u8>, Error> {
    if sealed_metadata.first() != Some(&0x05) || !blob_len::is_metadata_len(sealed_metadata.len()) {
        return Err(Error::Malformed);
    }
    let len = u16::try_from(sealed_metadata.len()).map_err(|_| Error::Malformed)?;
    let mut out = Vec::with_capacity(FIXED + sealed_metadata.len());
    out.extend_from_slice(EXPORT_MAGIC);
    out.push(EXPORT_VERSION);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(sealed_metadata);
    Ok(out)
}

/// What the first bytes of a `.coffer` file say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CofferFile<'a> {
    /// An export: the stream starts `stream_offset` bytes in, after this sealed metadata.
    Export {
        /// Blob 0x05, to open with the file key and the id the stream header names.
        sealed_metadata: &'a [u8],
        /// Where the stream starts.
        stream_offset: usize,
    },
    /// A bare stream from its first byte (no name inside).
    Bare,
}

/// Reads the start of a `.coffer` file: at least [`MAX_EXPORT_PREFIX`] bytes, or the whole file
/// if it is shorter. A file that is neither an export nor starts like a stream is
/// [`Error::Malformed`]; an export of a later version is [`Error::UnsupportedVersion`]; an export
/// cut inside its prefix is [`Error::Truncated`].
pub fn read_coffer_file(first_bytes: &[u8]) -> Result<CofferFile<'_>, Error> {
    if !first_bytes.starts_with(EXPORT_MAGIC) {
        crate::parse_header_len(first_bytes)?;
        return Ok(CofferFile::Bare);
    }
    let version = *first_bytes
        .get(EXPORT_MAGIC.len())
        .ok_or(Error::Truncated)?;
    if version != EXPORT_VERSION {
        return Err(Error::UnsupportedVersion);
    }
    let len = first_bytes
        .get(EXPORT_MAGIC.len() + 1..FIXED)
        .ok_or(Error::Truncated)?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if !blob_len::is_metadata_len(len) {
        return Err(Error::Malformed);
    }
    let sealed_metadata = first_bytes
        .get(FIXED..FIXED + len)
        .ok_or(Error::Truncated)?;
    if sealed_metadata[0] != 0x05 {
        return Err(Error::Malformed);
    }
    Ok(CofferFile::Export {
        sealed_metadata,
        stream_offset: FIXED + len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata_blob() -> Vec<u8> {
        let mut blob = vec![0x05];
        blob.resize(blob_len::SEALED_FRAME + blob_len::METADATA_PAD, 7);
        blob
    }

    #[test]
    fn an_export_names_where_its_stream_starts() {
        let meta = metadata_blob();
        let mut file = export_prefix(&meta).unwrap();
        file.extend_from_slice(b"COFFER\x01rest of the stream");
        match read_coffer_file(&file).unwrap() {
            CofferFile::Export {
                sealed_metadata,
                stream_offset,
            } => {
                assert_eq!(sealed_metadata, &meta[..]);
                assert_eq!(&file[stream_offset..stream_offset + 7], b"COFFER\x01");
            }
            CofferFile::Bare => panic!("an export read as a bare stream"),
        }
    }

    #[test]
    fn a_bare_stream_is_still_a_coffer_file_and_anything_else_is_not() {
        assert_eq!(
            read_coffer_file(b"COFFER\x01...").unwrap(),
            CofferFile::Bare
        );
        assert_eq!(read_coffer_file(b"PK\x03\x04zip"), Err(Error::Malformed));
    }

    #[test]
    fn a_damaged_export_prefix_is_refused() {
        let mut file = export_prefix(&metadata_blob()).unwrap();
        assert_eq!(read_coffer_file(&file[..20]), Err(Error::Truncated));
        file[13] = 0x02;
        assert_eq!(read_coffer_file(&file), Err(Error::UnsupportedVersion));
        file[13] = 0x01;
        file[14] = 0xff;
        assert_eq!(read_coffer_file(&file), Err(Error::Malformed));
        assert_eq!(export_prefix(b"\x04not metadata"), Err(Error::Malformed));
    }
}
