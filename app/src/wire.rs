//! Request and response bodies shared by the browser and the server.
//!
//! Binary values travel as unpadded base64url strings. Nothing in here is a
//! secret the server may not see: the auth key is a one-way derivation of the
//! password, and every key is sealed before it is put in a body.

use coffer_crypto::KdfParams;
use serde::{Deserialize, Serialize};

/// Serde helpers for `Vec<u8>` as unpadded base64url.
pub mod b64 {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Encodes bytes as unpadded base64url.
    pub fn encode(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes unpadded base64url.
    pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        URL_SAFE_NO_PAD.decode(text)
    }

    /// Serializes bytes as base64url.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    /// Deserializes base64url into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <&str>::deserialize(d)?;
        decode(text).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<Vec<u8>>` (`null` or absent is `None`).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serializes `Some` as base64url and `None` as `null`.
        pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => s.serialize_str(&super::encode(b)),
                None => s.serialize_none(),
            }
        }

        /// Deserializes `null` or base64url.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| super::decode(&text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// The KDF inputs for a username (real for known users, stable fakes otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSetup {
    #[serde(with = "b64")]
    pub salt: Vec<u8>,
    pub params: KdfParams,
}

/// What the browser sends to create an account: no password, no plaintext key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(with = "b64")]
    pub auth_key: Vec<u8>,
    pub kdf: KdfSetup,
    #[serde(with = "b64")]
    pub sealed_account_key_password: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_account_key_recovery: Vec<u8>,
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// What a logged-in browser gets back to unlock its keys locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBundle {
    pub username: String,
    pub kdf: KdfSetup,
    #[serde(with = "b64")]
    pub sealed_account_key: Vec<u8>,
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    #[serde(with = "b64")]
    pub sealed_private_key: Vec<u8>,
}

/// A new API token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: i64,
    pub token: String,
    pub expires_at_ms: i64,
}

/// An API token as listed on the account page (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked: bool,
}

/// Bodies of the vault's plain HTTP routes (docs/API.md). The server has its own copies next to
/// its handlers; these are the browser's view.
pub mod vault {
    use serde::{Deserialize, Serialize};

    use super::b64;

    /// `POST /api/uploads`.
    #[derive(Clone, Debug, Serialize)]
    pub struct NewUpload {
        /// Exact ciphertext length, header included.
        pub ciphertext_size: u64,
        /// STREAM chunk size of the content.
        pub chunk_size: u32,
        /// Bytes per part.
        pub part_size: u64,
    }

    /// Answer to `POST /api/uploads`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct UploadCreated {
        /// The upload, for the part and complete routes.
        pub upload_id: String,
        /// The file the upload becomes (bound into the header, metadata and wrapped key).
        pub file_id: String,
        /// Bytes per part.
        pub part_size: u64,
        /// Number of parts.
        pub part_count: u64,
    }

    /// One unfinished upload in `GET /api/uploads`.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
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
        /// Parts that arrived.
        pub received_parts: Vec<u64>,
        /// When the upload was created (ms since the epoch).
        pub created_at: i64,
    }

    /// `GET /api/uploads`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct UploadList {
        /// Unfinished uploads, oldest first.
        pub uploads: Vec<UploadInfo>,
    }

    /// A version of a file: `POST /api/uploads/{id}/complete` (version 1) and
    /// `PUT /api/files/{id}/metadata` (the next one).
    #[derive(Clone, Debug, Serialize)]
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

    /// One entry of `POST /api/files/versions`.
    #[derive(Clone, Debug, Serialize)]
    pub struct IdentifiedVersion {
        /// The file.
        pub id: String,
        /// Its next version.
        #[serde(flatten)]
        pub version: NewVersion,
    }

    /// `POST /api/files/versions`.
    #[derive(Clone, Debug, Serialize)]
    pub struct VersionBatch {
        /// At most 100.
        pub versions: Vec<IdentifiedVersion>,
    }

    /// One answer of `POST /api/files/versions`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct VersionResult {
        /// The file.
        pub id: String,
        /// `stored`, `conflict` or `not_found`.
        pub status: String,
    }

    /// Answer to `POST /api/files/versions`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct VersionResults {
        /// One per entry, in order.
        pub results: Vec<VersionResult>,
    }

    /// One file in `GET /api/files`.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
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
    }

    /// Quota figures in `GET /api/files`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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

    /// `GET /api/files`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct FileList {
        /// Newest first.
        pub files: Vec<FileInfo>,
        /// Quota figures.
        pub usage: Usage,
    }

    /// Every error body of the vault routes.
    #[derive(Clone, Debug, Default, Deserialize)]
    pub struct ErrorBody {
        /// Machine-readable code.
        #[serde(default)]
        pub error: String,
        /// Words for a person.
        #[serde(default)]
        pub message: String,
        /// For `incomplete`: the parts still missing.
        #[serde(default)]
        pub missing_parts: Vec<u64>,
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
}

/// Bodies of the sharing routes (docs/API.md, "Sharing"): grants to users, links, contacts.
pub mod sharing {
    use serde::{Deserialize, Serialize};

    use super::b64;

    /// `GET /api/users/{username}/key`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct UserKey {
        /// The user.
        pub username: String,
        /// SEC1 uncompressed P-256 public key (65 bytes).
        #[serde(with = "b64")]
        pub public_key: Vec<u8>,
    }

    /// `POST /api/files/{id}/grants`.
    #[derive(Clone, Debug, Serialize)]
    pub struct NewGrant {
        /// Who gets access.
        pub grantee: String,
        /// The grantee's public key that `wrapped_key` and `signature` were made for.
        #[serde(with = "b64")]
        pub grantee_key: Vec<u8>,
        /// Blob `0x04`: the file key wrapped to the grantee's public key.
        #[serde(with = "b64")]
        pub wrapped_key: Vec<u8>,
        /// Blob `0x0D`: the sharer's signature over the grant.
        #[serde(with = "b64")]
        pub signature: Vec<u8>,
        /// When the grant ends (ms since the epoch), if ever.
        pub expires_at: Option<i64>,
    }

    /// One grant of a file.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
    pub struct GrantInfo {
        /// Who has access.
        pub grantee: String,
        /// Since when.
        pub created_at: i64,
        /// Until when, if set.
        pub expires_at: Option<i64>,
    }

    /// `GET /api/files/{id}/grants`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct GrantList {
        /// Live grants.
        pub grants: Vec<GrantInfo>,
    }

    /// One file in `GET /api/shared`.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
    pub struct SharedFile {
        /// The file.
        pub id: String,
        /// Who shared it (the server says so; the grant signature proves it).
        pub sharer: String,
        /// The sharer's public key, as the server has it.
        #[serde(with = "b64")]
        pub sharer_public_key: Vec<u8>,
        /// Blob `0x09`, signed by the sharer (the owner); `None` for a v1 file.
        #[serde(default, with = "b64::option")]
        pub version_record: Option<Vec<u8>>,
        /// Blob `0x0D`; `None` for a v1 grant.
        #[serde(default, with = "b64::option")]
        pub grant_signature: Option<Vec<u8>>,
        /// Stored ciphertext size.
        pub ciphertext_size: u64,
        /// STREAM chunk size.
        pub chunk_size: u32,
        /// Blob `0x05`.
        #[serde(with = "b64")]
        pub sealed_metadata: Vec<u8>,
        /// Blob `0x04`, wrapped to the caller.
        #[serde(with = "b64")]
        pub wrapped_key: Vec<u8>,
        /// When it was shared.
        pub shared_at: i64,
        /// When the grant ends, if set.
        pub expires_at: Option<i64>,
    }

    /// `GET /api/shared`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct SharedList {
        /// Newest first.
        pub files: Vec<SharedFile>,
    }

    /// One grant in `GET /api/grants`: a grant the caller made.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
    pub struct OutgoingGrant {
        /// The file.
        pub file_id: String,
        /// Who has access.
        pub grantee: String,
        /// Their public key now.
        #[serde(with = "b64")]
        pub grantee_public_key: Vec<u8>,
        /// The key the grant was made for (signed); `None` for a v1 grant.
        #[serde(default, with = "b64::option")]
        pub granted_key: Option<Vec<u8>>,
        /// Blob `0x04`.
        #[serde(with = "b64")]
        pub wrapped_key: Vec<u8>,
        /// Blob `0x0D`; `None` for a v1 grant.
        #[serde(default, with = "b64::option")]
        pub signature: Option<Vec<u8>>,
        /// Since when.
        pub created_at: i64,
        /// Until when, if set.
        pub expires_at: Option<i64>,
    }

    /// `GET /api/grants`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct OutgoingGrants {
        /// Live grants the caller made.
        pub grants: Vec<OutgoingGrant>,
    }

    /// `GET /api/account-record`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct StoredAccountRecord {
        /// The revision the server has.
        pub revision: u64,
        /// Blob `0x0A`.
        #[serde(with = "b64")]
        pub sealed: Vec<u8>,
    }

    /// `PUT /api/account-record`.
    #[derive(Clone, Debug, Serialize)]
    pub struct PutAccountRecord {
        /// The revision read (`None`: there was none).
        pub expected_revision: Option<u64>,
        /// The revision sealed inside.
        pub revision: u64,
        /// Blob `0x0A`.
        #[serde(with = "b64")]
        pub sealed: Vec<u8>,
    }

    /// Argon2id inputs of a password-protected link.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LinkKdf {
        /// 16 random bytes.
        #[serde(with = "b64")]
        pub salt: Vec<u8>,
        /// Memory in KiB.
        pub memory_kib: u32,
        /// Passes.
        pub iterations: u32,
        /// Lanes.
        pub parallelism: u32,
    }

    /// `POST /api/files/{id}/links`.
    #[derive(Clone, Debug, Serialize)]
    pub struct NewLink {
        /// 32 hex characters, drawn by this browser.
        pub link_id: String,
        /// `link_token_digest(auth_token)`.
        #[serde(with = "b64")]
        pub token_digest: Vec<u8>,
        /// Blob `0x06`.
        #[serde(with = "b64")]
        pub wrapped_key: Vec<u8>,
        /// Present when the link has a password.
        pub password_kdf: Option<LinkKdf>,
        /// When the link stops working, if ever.
        pub expires_at: Option<i64>,
        /// How many downloads it allows, if limited.
        pub max_downloads: Option<u32>,
    }

    /// One link of a file.
    #[derive(Clone, Debug, PartialEq, Deserialize)]
    pub struct LinkInfo {
        /// The link id.
        pub link_id: String,
        /// Created at.
        pub created_at: i64,
        /// Ends at, if set.
        pub expires_at: Option<i64>,
        /// Download limit, if set.
        pub max_downloads: Option<u32>,
        /// Downloads used.
        pub downloads: u32,
        /// Downloads left, if limited.
        pub remaining: Option<u32>,
        /// Whether a password is needed.
        pub has_password: bool,
    }

    /// `GET /api/files/{id}/links`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct LinkList {
        /// Live links.
        pub links: Vec<LinkInfo>,
    }

    /// `GET /api/links/{id}`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct PublicLink {
        /// Whether a password is needed.
        pub has_password: bool,
        /// Its Argon2id inputs.
        pub password_kdf: Option<LinkKdf>,
    }

    /// `POST /api/links/{id}/open`.
    #[derive(Clone, Debug, Serialize)]
    pub struct OpenLink {
        /// The link auth token.
        #[serde(with = "b64")]
        pub token: Vec<u8>,
    }

    /// Answer to `POST /api/links/{id}/open`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct OpenedLink {
        /// The file.
        pub file_id: String,
        /// The link owner's public key (a v2 link's id is bound to it).
        #[serde(with = "b64")]
        pub owner_public_key: Vec<u8>,
        /// Blob `0x09`; `None` for a v1 file.
        #[serde(default, with = "b64::option")]
        pub version_record: Option<Vec<u8>>,
        /// Blob `0x06`.
        #[serde(with = "b64")]
        pub wrapped_key: Vec<u8>,
        /// Blob `0x05`.
        #[serde(with = "b64")]
        pub sealed_metadata: Vec<u8>,
        /// Ciphertext size.
        pub ciphertext_size: u64,
        /// STREAM chunk size.
        pub chunk_size: u32,
        /// Ends at, if set.
        pub expires_at: Option<i64>,
        /// Downloads left, if limited.
        pub remaining: Option<u32>,
    }

    /// One record in `GET /api/contacts`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct ContactRecord {
        /// The contact.
        pub username: String,
        /// Blob `0x07`.
        #[serde(with = "b64")]
        pub sealed: Vec<u8>,
    }

    /// `GET /api/contacts`.
    #[derive(Clone, Debug, Deserialize)]
    pub struct ContactList {
        /// By username.
        pub contacts: Vec<ContactRecord>,
    }

    /// `PUT /api/contacts/{username}`.
    #[derive(Clone, Debug, Serialize)]
    pub struct PutContact {
        /// Blob `0x07`.
        #[serde(with = "b64")]
        pub sealed: Vec<u8>,
    }
}
