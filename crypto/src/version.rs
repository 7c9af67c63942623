//! File versions: what a file's owner vouches for, so that nobody else (not the server, not a
//! sharee or link visitor who holds the file key) can plant a file in the owner's vault, swap its
//! content or rename it unnoticed (docs/CRYPTO.md §13).
//!
//! A version is stored as two blobs, both over the same *version statement*
//!
//! ```text
//! statement = owner public key (65) ‖ file id (16) ‖ version number u64 BE ‖ binding (1) ‖
//!             content digest (32) ‖ SHA-256(sealed metadata) (32)
//! ```
//!
//! * the **owner key slot** (blob `0x08`): the file key sealed under a key derived from the
//!   owner's account key, with the statement as associated data. Only the owner can make one; the
//!   owner's own vault opens it cheaply (one AES-GCM) and so learns the key *and* that the version
//!   is theirs;
//! * the **version record** (blob `0x09`): the number, the content binding and the owner's
//!   signature over the statement, for everybody else the file is shared with.
//!
//! The content binding is the [`ContentDigest`](crate::ContentDigest) of the exact ciphertext, or
//! "unbound" for files from format v1 that were upgraded in place without reading their content.

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use crate::account::AccountKey;
use crate::file_key::{FileId, FileKey};
use crate::identity::{IdentityKeyPair, PublicKey};
use crate::primitives::{hkdf_sha256, open_box, seal_box, to_key, BlobTag, KEY_LEN};
use crate::signing::{self, SIGNATURE_LEN};
use crate::Error;

const INFO_SLOT_KEY: &[u8] = b"coffer/v2/owner-slot-key";
const AAD_SLOT: &[u8] = b"coffer/v2/owner-slot";
const SIGNED_RECORD: &[u8] = b"coffer/v2/file-version";
/// Length of a version record: tag, number, binding, digest, signature.
pub(crate) const RECORD_LEN: usize = 1 + 8 + 1 + 32 + SIGNATURE_LEN;

/// What a version says about the file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentBinding {
    /// The [`ContentDigest`](crate::ContentDigest) of the exact ciphertext: readers must compute
    /// it while downloading and refuse the file if it differs.
    Digest([u8; 32]),
    /// Not bound: a format-v1 file upgraded without reading its content. Its content is only as
    /// strong as format v1 (key commitment), until it is re-encrypted.
    Unbound,
}

impl ContentBinding {
    fn encode(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        if let ContentBinding::Digest(d) = self {
            out[0] = 1;
            out[1..].copy_from_slice(d);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        match bytes.split_first() {
            Some((1, digest)) => Ok(ContentBinding::Digest(
                digest.try_into().map_err(|_| Error::Malformed)?,
            )),
            Some((0, zeros)) if zeros.len() == 32 && zeros.iter().all(|&b| b == 0) => {
                Ok(ContentBinding::Unbound)
            }
            _ => Err(Error::Malformed),
        }
    }
}

/// One version of a file: its number (1 for a new file, one more on every change) and what it
/// says about the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileVersion {
    /// 1, 2, …: a rename or a new content makes the next number.
    pub number: u64,
    /// The content this version is made of.
    pub content: ContentBinding,
}

impl FileVersion {
    /// The first version of a new file, whose ciphertext has `content_digest`.
    pub fn first(content_digest: [u8; 32]) -> Self {
        Self {
            number: 1,
            content: ContentBinding::Digest(content_digest),
        }
    }

    /// The version after this one, with the same content (a rename).
    pub fn next(&self) -> Result<Self, Error> {
        Ok(Self {
            number: self.number.checked_add(1).ok_or(Error::Malformed)?,
            content: self.content,
        })
    }

    /// Reads the number and binding of a version record WITHOUT checking its signature: for the
    /// server, which keeps versions in order, and for the owner, whose key slot then proves them.
    pub fn read_unverified(record: &[u8]) -> Result<Self, Error> {
        let (&tag, rest) = record.split_first().ok_or(Error::Malformed)?;
        if tag != BlobTag::FileVersionRecord as u8 {
            return Err(Error::UnsupportedVersion);
        }
        if record.len() != RECORD_LEN {
            return Err(Error::Malformed);
        }
        let number = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
        if number == 0 {
            return Err(Error::Malformed);
        }
        Ok(Self {
            number,
            content: ContentBinding::decode(&rest[8..41])?,
        })
    }

    /// `file id ‖ number ‖ binding ‖ digest ‖ SHA-256(sealed metadata)`: the statement without
    /// the owner's key (which the slot key and the signature bring in).
    fn statement(&self, file_id: &FileId, sealed_metadata: &[u8]) -> Vec<u8> {
        let mut s = Vec::with_capacity(16 + 8 + 33 + 32);
        s.extend_from_slice(file_id.as_bytes());
        s.extend_from_slice(&self.number.to_be_bytes());
        s.extend_from_slice(&self.content.encode());
        s.extend_from_slice(&Sha256::digest(sealed_metadata));
        s
    }

    fn slot_context(&self, owner: &PublicKey, file_id: &FileId, sealed_metadata: &[u8]) -> Vec<u8> {
        let mut context = owner.to_bytes();
        context.extend(self.statement(file_id, sealed_metadata));
        context
    }
}

/// The two blobs a version is stored as.
pub struct SealedVersion {
    /// Blob `0x08` (61 bytes): the file key, for the owner.
    pub key_slot: Vec<u8>,
    /// Blob `0x09` (106 bytes): the owner's signed statement, for everybody else.
    pub record: Vec<u8>,
}

fn slot_key(account_key: &AccountKey) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(None, &account_key.0, &[INFO_SLOT_KEY])
}

/// Seals a version of the file `file_id` whose metadata blob is `sealed_metadata`: the owner key
/// slot for `file_key` and the signed version record. `identity` must be the account's own.
pub fn seal_file_version(
    account_key: &AccountKey,
    identity: &IdentityKeyPair,
    file_id: &FileId,
    version: &FileVersion,
    sealed_metadata: &[u8],
    file_key: &FileKey,
    rng: &mut impl CryptoRngCore,
) -> Result<SealedVersion, Error> {
    if version.number == 0 {
        return Err(Error::Malformed);
    }
    let owner = identity.public_key();
    let key_slot = seal_box(
        &slot_key(account_key),
        BlobTag::OwnerKeySlot,
        AAD_SLOT,
        &version.slot_context(&owner, file_id, sealed_metadata),
        &file_key.0,
        rng,
    );
    let statement = version.statement(file_id, sealed_metadata);
    let signature = signing::sign(
        identity,
        SIGNED_RECORD,
        BlobTag::FileVersionRecord,
        &[&statement],
    );
    let mut record = Vec::with_capacity(RECORD_LEN);
    record.push(BlobTag::FileVersionRecord as u8);
    record.extend_from_slice(&version.number.to_be_bytes());
    record.extend_from_slice(&version.content.encode());
    record.extend_from_slice(&signature);
    Ok(SealedVersion { key_slot, record })
}

/// The owner's check of one of their own files: opens the key slot with the statement made from
/// what the server returned. Succeeds only for a slot this account sealed for exactly this file
/// id, version record and metadata blob; anything else (a slot the server made, one moved from
/// another file or account, a swapped record or metadata) is [`Error::Decrypt`].
pub fn open_own_file(
    account_key: &AccountKey,
    owner: &PublicKey,
    file_id: &FileId,
    key_slot: &[u8],
    record: &[u8],
    sealed_metadata: &[u8],
) -> Result<(FileKey, FileVersion), Error> {
    let version = FileVersion::read_unverified(record)?;
    let key = open_box(
        &slot_key(account_key),
        BlobTag::OwnerKeySlot,
        AAD_SLOT,
        &version.slot_context(owner, file_id, sealed_metadata),
        key_slot,
        Some(KEY_LEN),
    )?;
    Ok((FileKey(*to_key(&key)?), version))
}

/// Anybody's check that `owner` made this version record for `file_id` with this metadata blob.
/// A record signed by another key, for another file, or with other metadata is
/// [`Error::BadSignature`].
pub fn verify_file_version(
    owner: &PublicKey,
    file_id: &FileId,
    record: &[u8],
    sealed_metadata: &[u8],
) -> Result<FileVersion, Error> {
    let version = FileVersion::read_unverified(record)?;
    signing::verify(
        owner,
        SIGNED_RECORD,
        BlobTag::FileVersionRecord,
        &[&version.statement(file_id, sealed_metadata)],
        &record[1 + 8 + 33..],
    )?;
    Ok(version)
}
