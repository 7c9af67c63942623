//! Coffer's end-to-end encryption core.
//!
//! Everything that makes "the server never sees plaintext, file names, passwords or keys" true
//! lives here: password → keys (Argon2id + HKDF), the account key hierarchy, the identity key
//! pair, HPKE (RFC 9180) wrapping of file keys, the STREAM file format over AES-256-GCM with key
//! commitment, encrypted metadata and share-link secrets. The byte-level format is specified in
//! `docs/CRYPTO.md`.
//!
//! The crate is pure: no I/O, and randomness always comes in as a parameter
//! (`&mut impl CryptoRngCore`), so the same source builds natively and for `wasm32` and tests are
//! deterministic. Secret types zeroize on drop and implement neither `Debug`, `Clone` nor
//! `Serialize`. These doc tests keep it that way (each must fail to compile):
//!
//! ```compile_fail
//! fn copy(k: &coffer_crypto::FileKey) -> coffer_crypto::FileKey { k.clone() }
//! ```
//! ```compile_fail
//! fn show(k: &coffer_crypto::FileKey) -> String { format!("{k:?}") }
//! ```
//! ```compile_fail
//! fn copy(k: &coffer_crypto::AccountKey) -> coffer_crypto::AccountKey { k.clone() }
//! ```
//! ```compile_fail
//! fn show(k: &coffer_crypto::IdentityKeyPair) -> String { format!("{k:?}") }
//! ```
//! ```compile_fail
//! fn show(k: &coffer_crypto::RecoveryKey) -> String { format!("{k:?}") }
//! ```
//! ```compile_fail
//! fn show(k: &coffer_crypto::LinkSecret) -> String { format!("{k:?}") }
//! ```
//! ```compile_fail
//! fn show(m: &coffer_crypto::FileMetadata) -> String { format!("{m:?}") }
//! ```
//! ```compile_fail
//! fn json(k: &coffer_crypto::FileKey) -> String { serde_json::to_string(k).unwrap() }
//! ```
//!
//! while the public, non-secret types stay printable and comparable:
//!
//! ```
//! let id = coffer_crypto::FileId::from_bytes([1; 16]);
//! assert_eq!(format!("{id:?}"), format!("{:?}", id.clone()));
//! let json = serde_json::to_string(&coffer_crypto::KdfParams::DEFAULT).unwrap();
//! assert!(json.contains("memory_kib"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod account_record;
mod contact;
mod content;
mod error;
mod export;
mod file_key;
mod grant;
mod identity;
mod link;
mod link_seal;
mod metadata;
mod names;
mod password;
mod primitives;
mod recovery;
mod signing;
mod stream;
mod version;
mod wrap;

pub use rand_core::CryptoRngCore;

pub use account::{AccountFormat, AccountKey};
pub use account_record::{
    open_account_record, seal_account_record, AccountRecord, PinnedContact, Trust, MAX_CONTACTS,
    MAX_CONTACT_NAME_LEN,
};
pub use contact::{open_contact, seal_contact, Contact};
pub use content::{chunk_digest, ContentDigest};
pub use error::Error;
pub use export::{export_prefix, read_coffer_file, CofferFile, EXPORT_MAGIC, MAX_EXPORT_PREFIX};
pub use file_key::{FileId, FileKey};
pub use grant::{sign_grant, verify_grant};
pub use identity::{IdentityKeyPair, PublicKey};
pub use link::{
    link_token_digest, verify_link_token, LinkFormat, LinkKeys, LinkPassword, LinkSecret,
};
pub use metadata::{open_metadata, seal_metadata, FileMetadata, MAX_MIME_LEN, MAX_NAME_LEN};
pub use names::safe_file_name;
pub use password::{
    derive_password_keys, AuthKey, KdfParams, PasswordKek, PasswordKeys, KDF_SALT_LEN,
};
pub use recovery::RecoveryKey;
pub use stream::{
    chunk_count, ciphertext_len, header_chunk_size, header_file_id, parse_header_len,
    plaintext_len, ChunkSchedule, StreamDecryptor, StreamEncryptor, DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, TAG_LEN,
};
pub use version::{
    open_own_file, seal_file_version, verify_file_version, ContentBinding, FileVersion,
    SealedVersion,
};
pub use wrap::{unwrap_file_key, wrap_file_key};

/// Exact lengths of the fixed-size blobs, for code that checks shapes without opening them
/// (the server).
pub mod blob_len {
    /// Wrapped file key (`0x04`).
    pub const WRAPPED_FILE_KEY: usize = crate::wrap::WRAPPED_FILE_KEY_LEN;
    /// Sealed account key (`0x01`, `0x02`, `0x0B`, `0x0C`), sealed identity key (`0x03`),
    /// link-wrapped file key (`0x06`), owner key slot (`0x08`) and link secret sealed for its
    /// owner (`0x0E`).
    pub const SEALED_KEY: usize = 1 + 12 + 32 + 16;
    /// File version record (`0x09`).
    pub const VERSION_RECORD: usize = crate::version::RECORD_LEN;
    /// Grant signature (`0x0D`).
    pub const GRANT_SIGNATURE: usize = crate::grant::GRANT_SIGNATURE_LEN;
    /// Stream header (format 1).
    pub const STREAM_HEADER: usize = crate::stream::header::HEADER_LEN;
    /// Identity public key: SEC1 uncompressed P-256.
    pub const PUBLIC_KEY: usize = crate::identity::PUBLIC_KEY_LEN;
    /// A link's token digest (`link_token_digest`).
    pub const LINK_TOKEN_DIGEST: usize = 32;
    /// A link secret sealed for its owner (`0x0E`, `LinkSecret::seal_for_owner`).
    pub const SEALED_LINK_SECRET: usize = SEALED_KEY;
    /// The account key sealed for a device that stays unlocked (`0x0F`): format byte and key.
    pub const DEVICE_SEALED_KEY: usize = 1 + 12 + 33 + 16;
    /// A link's verifier (`LinkSecret::verifier`).
    pub const LINK_VERIFIER: usize = crate::link::VERIFIER_LEN;
    /// The frame of a variable-length sealed blob (tag, nonce, GCM tag) around its padded
    /// plaintext: sealed metadata (`0x05`) and the account record (`0x0A`).
    pub const SEALED_FRAME: usize = 1 + 12 + 16;
    /// Sealed metadata (`0x05`) pads its plaintext to a multiple of this.
    pub const METADATA_PAD: usize = 64;
    /// The longest sealed metadata: the longest name and media type fit in 21 pads.
    pub const METADATA_MAX: usize = SEALED_FRAME + METADATA_PAD * 21;
    /// The account record (`0x0A`) pads its plaintext to a multiple of this.
    pub const ACCOUNT_RECORD_PAD: usize = 256;

    /// Whether `len` is the length of some sealed metadata blob (`0x05`).
    pub const fn is_metadata_len(len: usize) -> bool {
        len >= SEALED_FRAME + METADATA_PAD
            && len <= METADATA_MAX
            && (len - SEALED_FRAME).is_multiple_of(METADATA_PAD)
    }
}
