//! The vault's routes (docs/API.md): uploads in parts, files, versions.

use serde::{Deserialize, Serialize};

use crate::b64;

/// `POST /api/uploads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    /// Exact ciphertext length, header included.
    pub ciphertext_size: u64,
    /// STREAM chunk size of the content.
    pub chunk_size: u32,
    /// Bytes per part (the server's largest part size when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
}

/// Answer to `POST /api/uploads` (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCreated {
    /// The upload, for the part and complete routes.
    pub upload_id: String,
    /// The file the upload becomes (bound into the header, metadata and key slot).
    pub file_id: String,
    /// Bytes per part.
    pub part_size: u64,
    /// Number of parts.
    pub part_count: u64,
    /// When the upload is discarded unless a part arrives (ms since the epoch).
    pub expires_at: i64,
}

/// One unfinished upload in `GET /api/uploads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    /// The upload.
    pub upload_id: String,
    /// The file it becomes.
    pub file_id: String,
    /// Declared ciphertext length.
    pub ciphertext_size: u64,
    /// STREAM chunk size.
    pub chunk_size: u32,
    /// Bytes per part.
    pub part_size: u64,
    /// Number of parts.
    pub part_count: u64,
    /// Parts that arrived, in order.
    pub received_parts: Vec<u64>,
    /// When the upload was created (ms since the epoch).
    pub created_at: i64,
    /// When it is discarded unless a part arrives (ms since the epoch).
    pub expires_at: i64,
}

/// `GET /api/uploads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadList {
    /// Unfinished uploads, oldest first.
    pub uploads: Vec<UploadInfo>,
}

/// A version of a file: `POST /api/uploads/{id}/complete` (version 1) and
/// `PUT /api/files/{id}/metadata` (the next one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Blob `0x05`.
    #[serde(with = "b64")]
    pub sealed_metadata: Vec<u8>,
    /// Blob `0x08`: the file key, sealed for the owner over this version.
    #[serde(with = "b64")]
    pub key_slot: Vec<u8>,
    /// Blob `0x09`: the owner's signed version record.
    #[serde(with = "b64")]
    pub version_record: Vec<u8>,
}

/// One entry of `POST /api/files/versions`: a file id and its next version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifiedVersion {
    /// The file.
    pub id: String,
    /// Blob `0x05`.
    #[serde(with = "b64")]
    pub sealed_metadata: Vec<u8>,
    /// Blob `0x08`.
    #[serde(with = "b64")]
    pub key_slot: Vec<u8>,
    /// Blob `0x09`.
    #[serde(with = "b64")]
    pub version_record: Vec<u8>,
}

impl IdentifiedVersion {
    /// `version` of the file `id`.
    pub fn new(id: String, version: NewVersion) -> Self {
        IdentifiedVersion {
            id,
            sealed_metadata: version.sealed_metadata,
            key_slot: version.key_slot,
            version_record: version.version_record,
        }
    }

    /// The version without the id.
    pub fn version(&self) -> NewVersion {
        NewVersion {
            sealed_metadata: self.sealed_metadata.clone(),
            key_slot: self.key_slot.clone(),
            version_record: self.version_record.clone(),
        }
    }
}

/// `POST /api/files/versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionBatch {
    /// At most [`MAX_VERSIONS_PER_REQUEST`].
    pub versions: Vec<IdentifiedVersion>,
}

/// Most versions one `POST /api/files/versions` may carry.
pub const MAX_VERSIONS_PER_REQUEST: usize = 100;

/// What happened to one version of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Stored.
    Stored,
    /// The file changed meanwhile (not the next version number).
    Conflict,
    /// No such file of the caller's.
    NotFound,
}

/// One answer of `POST /api/files/versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResult {
    /// The file.
    pub id: String,
    /// What happened.
    pub status: VersionStatus,
}

/// Answer to `POST /api/files/versions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResults {
    /// One per entry, in order.
    pub results: Vec<VersionResult>,
}

/// One file in `GET /api/files` (and the answer to complete and rename).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The file.
    pub id: String,
    /// Stored ciphertext length.
    pub ciphertext_size: u64,
    /// STREAM chunk size.
    pub chunk_size: u32,
    /// Blob `0x05`.
    #[serde(with = "b64")]
    pub sealed_metadata: Vec<u8>,
    /// Blob `0x08` (the owner key slot), or `0x04` for a format-v1 file not yet upgraded.
    #[serde(with = "b64")]
    pub key_slot: Vec<u8>,
    /// Blob `0x09`; `None` for a format-v1 file not yet upgraded.
    #[serde(default, with = "b64::option")]
    pub version_record: Option<Vec<u8>>,
    /// Upload time (ms since the epoch).
    pub created_at: i64,
    /// Time of the latest version (ms since the epoch).
    pub updated_at: i64,
}

/// Quota figures in `GET /api/files`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Bytes of stored files.
    pub stored_bytes: u64,
    /// Bytes reserved by unfinished uploads.
    pub reserved_bytes: u64,
    /// The user's quota.
    pub quota_bytes: u64,
    /// Largest ciphertext per file.
    pub max_file_bytes: u64,
}

/// The query of `GET /api/files`: one page of the caller's files, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePage {
    /// Files per page, 1 to [`MAX_FILES_PER_PAGE`] (default [`DEFAULT_FILES_PER_PAGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Where the page starts: the `next` of the page before; absent for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Files per page of `GET /api/files` when no `limit` is given: the size of the first page a
/// browser shows (later pages are asked for in thousands, in the background).
pub const DEFAULT_FILES_PER_PAGE: u32 = 100;
/// The most files one page of `GET /api/files` may hold.
pub const MAX_FILES_PER_PAGE: u32 = 1000;

/// `GET /api/files`: one page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileList {
    /// Newest first (ties by id).
    pub files: Vec<FileInfo>,
    /// Quota figures.
    pub usage: Usage,
    /// The `after` of the next page; absent on the last page. A cursor names a place in the
    /// order, not a count, so files added or deleted meanwhile never make a page repeat or skip
    /// a file that was there all along (new files appear on the first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
