//! The sharing routes (docs/API.md, "Sharing"): grants to users, links, contacts and the
//! account record.

use serde::{Deserialize, Serialize};

use crate::b64;

/// `GET /api/users/{username}/key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserKey {
    /// The user (normalized name).
    pub username: String,
    /// SEC1 uncompressed P-256 public key (65 bytes).
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
}

/// `POST /api/files/{id}/grants`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    /// Who gets access.
    pub grantee: String,
    /// The grantee's public key that `wrapped_key` and `signature` were made for.
    #[serde(with = "b64")]
    pub grantee_key: Vec<u8>,
    /// Blob `0x04`: the file key wrapped to the grantee's public key.
    #[serde(with = "b64")]
    pub wrapped_key: Vec<u8>,
    /// Blob `0x0D`: the sharer's signature over (file, grantee key, wrapped key, expiry).
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    /// When the grant ends (ms since the epoch), if ever.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// One grant of a file (also the answer to `POST /api/files/{id}/grants`, 201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantInfo {
    /// Who has access.
    pub grantee: String,
    /// Since when.
    pub created_at: i64,
    /// Until when, if set.
    pub expires_at: Option<i64>,
}

/// `GET /api/files/{id}/grants`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantList {
    /// Live grants, by grantee name.
    pub grants: Vec<GrantInfo>,
}

/// One file in `GET /api/shared`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedFile {
    /// The file.
    pub id: String,
    /// Who shared it (the server says so; the grant signature proves it).
    pub sharer: String,
    /// The sharer's public key, as the server has it.
    #[serde(with = "b64")]
    pub sharer_public_key: Vec<u8>,
    /// Stored ciphertext size.
    pub ciphertext_size: u64,
    /// STREAM chunk size.
    pub chunk_size: u32,
    /// Blob `0x05`.
    #[serde(with = "b64")]
    pub sealed_metadata: Vec<u8>,
    /// Blob `0x09`, signed by the sharer (the owner); `None` for a v1 file.
    #[serde(default, with = "b64::option")]
    pub version_record: Option<Vec<u8>>,
    /// Blob `0x04`, wrapped to the caller.
    #[serde(with = "b64")]
    pub wrapped_key: Vec<u8>,
    /// Blob `0x0D`; `None` for a v1 grant.
    #[serde(default, with = "b64::option")]
    pub grant_signature: Option<Vec<u8>>,
    /// When it was shared.
    pub shared_at: i64,
    /// When the grant ends, if set.
    pub expires_at: Option<i64>,
}

/// `GET /api/shared`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedList {
    /// Newest first.
    pub files: Vec<SharedFile>,
}

/// One grant in `GET /api/grants`: a grant the caller made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingGrants {
    /// Live grants the caller made.
    pub grants: Vec<OutgoingGrant>,
}

/// `GET /api/account-record`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccountRecord {
    /// The revision the server has.
    pub revision: u64,
    /// Blob `0x0A`.
    #[serde(with = "b64")]
    pub sealed: Vec<u8>,
    /// When it was written (ms since the epoch).
    pub updated_at: i64,
}

/// `PUT /api/account-record`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutAccountRecord {
    /// The revision read (`None`: there was none).
    pub expected_revision: Option<u64>,
    /// The revision sealed inside; more than `expected_revision`.
    pub revision: u64,
    /// Blob `0x0A`.
    #[serde(with = "b64")]
    pub sealed: Vec<u8>,
}

/// Argon2id inputs of a password-protected link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// 32 lower-case hex characters, drawn by the browser.
    pub link_id: String,
    /// `link_token_digest(auth_token)`, 32 bytes.
    #[serde(with = "b64")]
    pub token_digest: Vec<u8>,
    /// Blob `0x06`.
    #[serde(with = "b64")]
    pub wrapped_key: Vec<u8>,
    /// Present when the link has a password.
    #[serde(default)]
    pub password_kdf: Option<LinkKdf>,
    /// When the link stops working, if ever.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// How many downloads it allows, if limited.
    #[serde(default)]
    pub max_downloads: Option<u32>,
    /// Blob `0x0E`: the link secret sealed under the owner's account key, bound to the link id,
    /// so the owner can copy the link again later. Optional: older browsers send none.
    #[serde(default, with = "b64::option")]
    pub sealed_secret: Option<Vec<u8>>,
    /// The link's verifier (16 bytes, `LinkSecret::verifier`): a one-way value of the secret
    /// that lets a visitor's browser tell a damaged link from a wrong password. Optional.
    #[serde(default, with = "b64::option")]
    pub verifier: Option<Vec<u8>>,
    /// Whether the link page names the owner (their username) to the visitor.
    #[serde(default)]
    pub show_sender: bool,
}

/// One link of a file (also the answer to `POST /api/files/{id}/links`, 201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Blob `0x0E` as the owner's browser sent it; `None` for links made before it existed.
    #[serde(default, with = "b64::option")]
    pub sealed_secret: Option<Vec<u8>>,
    /// Whether the link page names the owner.
    #[serde(default)]
    pub show_sender: bool,
}

/// `GET /api/files/{id}/links`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkList {
    /// Live links, newest first.
    pub links: Vec<LinkInfo>,
}

/// `GET /api/links/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicLink {
    /// Whether a password is needed.
    pub has_password: bool,
    /// Its Argon2id inputs.
    pub password_kdf: Option<LinkKdf>,
    /// The link's verifier (16 bytes), compared by the visitor's browser before anything else;
    /// `None` for links made before it existed.
    #[serde(default, with = "b64::option")]
    pub verifier: Option<Vec<u8>>,
    /// Ends at, if set.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Downloads left, if limited.
    #[serde(default)]
    pub remaining: Option<u32>,
}

/// `POST /api/links/{id}/open`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLink {
    /// The link auth token ([`LINK_TOKEN_LEN`] bytes).
    #[serde(with = "b64")]
    pub token: Vec<u8>,
}

/// Length of a link auth token.
pub const LINK_TOKEN_LEN: usize = 32;
/// The header a link token travels in for `GET /api/links/{id}/content` (never the URL).
pub const LINK_TOKEN_HEADER: &str = "x-coffer-link-token";

/// Answer to `POST /api/links/{id}/open`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The owner's username, only if they chose to show it. The server's word: nothing the
    /// visitor can check (the owner's key, which the link id binds, is what is checked).
    #[serde(default)]
    pub sender: Option<String>,
}

/// One record in `GET /api/contacts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// The contact (normalized name).
    pub username: String,
    /// Blob `0x07`.
    #[serde(with = "b64")]
    pub sealed: Vec<u8>,
    /// When it was written (ms since the epoch).
    pub updated_at: i64,
}

/// `GET /api/contacts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    /// By username.
    pub contacts: Vec<ContactRecord>,
}

/// `PUT /api/contacts/{username}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutContact {
    /// Blob `0x07`.
    #[serde(with = "b64")]
    pub sealed: Vec<u8>,
}
