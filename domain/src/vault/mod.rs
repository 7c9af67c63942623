//! The vault: streamed, resumable uploads of ciphertext in numbered parts ([`uploads`]), and
//! listing, reading, new versions and deleting of files ([`files`]), with per-user quota
//! accounting ([`usage`]). The protocol is documented in docs/API.md.
//!
//! Every operation takes the caller's user id and looks rows up by id *and* owner, so another
//! user's id is the same 404 as a missing one.

mod buffers;
mod files;
mod uploads;
mod usage;

pub(crate) use buffers::PartBuffers;

use coffer_crypto::{blob_len, FileVersion};
use coffer_protocol::vault::{FileInfo, NewVersion};

pub use files::Content;

use crate::{entities::files as file_rows, DomainError};

/// The 404 message for a file or upload the caller does not have.
const NO_FILE_OR_UPLOAD: &str = "There is no such file or upload.";

fn file_info(f: file_rows::Model) -> FileInfo {
    FileInfo {
        id: f.id,
        ciphertext_size: f.ciphertext_size as u64,
        chunk_size: f.chunk_size as u32,
        sealed_metadata: f.sealed_metadata,
        key_slot: f.wrapped_key,
        version_record: f.version_record,
        created_at: f.created_at,
        updated_at: f.updated_at,
    }
}

/// Whether `bytes` has the shape of sealed metadata (blob 0x05).
pub(crate) fn check_sealed_metadata(bytes: &[u8]) -> Result<(), DomainError> {
    if bytes.first() == Some(&0x05) && blob_len::is_metadata_len(bytes.len()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "sealed_metadata is not a Coffer metadata blob (type 0x05, 29 + 64·k bytes, k = 1..21).",
        ))
    }
}

/// Checks the shape of a new version: sealed metadata (blob 0x05), an owner key slot (blob
/// 0x08) and a version record (blob 0x09), and reads the version number. Only the owner's
/// browser can tell whether they are genuine; the server checks the layout and keeps versions
/// in order.
pub(crate) fn check_version(version: NewVersion) -> Result<(NewVersion, u64), DomainError> {
    check_sealed_metadata(&version.sealed_metadata)?;
    if version.key_slot.len() != blob_len::SEALED_KEY || version.key_slot[0] != 0x08 {
        return Err(DomainError::invalid(
            "key_slot is not a Coffer owner key slot (type 0x08, 61 bytes).",
        ));
    }
    let record = FileVersion::read_unverified(&version.version_record).map_err(|_| {
        DomainError::invalid(
            "version_record is not a Coffer version record (type 0x09, 106 bytes).",
        )
    })?;
    Ok((version, record.number))
}
