//! Thin wrappers over the primitives every other module uses: HKDF-SHA256 and a versioned
//! AES-256-GCM "sealed box" with a random nonce.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand_core::CryptoRngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Error;

/// Length of every symmetric key in the crate.
pub(crate) const KEY_LEN: usize = 32;
/// AES-GCM nonce length.
pub(crate) const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub(crate) const GCM_TAG_LEN: usize = 16;

/// HKDF-SHA256 (RFC 5869) producing one 32-byte key. `info` is the concatenation of `info_parts`.
pub(crate) fn hkdf_sha256(
    salt: Option<&[u8]>,
    ikm: &[u8],
    info_parts: &[&[u8]],
) -> Zeroizing<[u8; KEY_LEN]> {
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<Sha256>::new(salt, ikm)
        .expand_multi_info(info_parts, okm.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    okm
}

/// Blob types: the first byte of every sealed blob. The byte is also bound into the AEAD
/// associated data, so a blob cannot be re-labelled as another type or version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum BlobTag {
    AccountKeyUnderPassword = 0x01,
    AccountKeyUnderRecovery = 0x02,
    IdentityPrivateKey = 0x03,
    HpkeWrappedFileKey = 0x04,
    Metadata = 0x05,
    LinkWrappedFileKey = 0x06,
    ContactRecord = 0x07,
    OwnerKeySlot = 0x08,
    FileVersionRecord = 0x09,
    AccountRecord = 0x0A,
    AccountKeyUnderPasswordV2 = 0x0B,
    AccountKeyUnderRecoveryV2 = 0x0C,
    GrantSignature = 0x0D,
    LinkSecretForOwner = 0x0E,
    AccountKeyForDevice = 0x0F,
}

/// Seals `plaintext` as `tag || nonce(12) || AES-256-GCM ciphertext || gcm tag(16)`,
/// with associated data `domain || tag || context`.
pub(crate) fn seal_box(
    key: &[u8; KEY_LEN],
    tag: BlobTag,
    domain: &[u8],
    context: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let aad = box_aad(tag, domain, context);
    let ciphertext = Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("AES-GCM encryption of a small in-memory message cannot fail");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(tag as u8);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

/// Opens a blob made by [`seal_box`]. `plaintext_len` bounds are checked by the caller's
/// `expected_len` (`None` = any length).
pub(crate) fn open_box(
    key: &[u8; KEY_LEN],
    tag: BlobTag,
    domain: &[u8],
    context: &[u8],
    sealed: &[u8],
    expected_plaintext_len: Option<usize>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (&first, rest) = sealed.split_first().ok_or(Error::Malformed)?;
    if first != tag as u8 {
        return Err(Error::UnsupportedVersion);
    }
    if rest.len() < NONCE_LEN + GCM_TAG_LEN {
        return Err(Error::Malformed);
    }
    if let Some(len) = expected_plaintext_len {
        if rest.len() != NONCE_LEN + len + GCM_TAG_LEN {
            return Err(Error::Malformed);
        }
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let aad = box_aad(tag, domain, context);
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

fn box_aad(tag: BlobTag, domain: &[u8], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(domain.len() + 1 + context.len());
    aad.extend_from_slice(domain);
    aad.push(tag as u8);
    aad.extend_from_slice(context);
    aad
}

/// Reads exactly `N` random bytes.
pub(crate) fn random_array<const N: usize>(rng: &mut impl CryptoRngCore) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    rng.fill_bytes(out.as_mut());
    out
}

/// Copies a slice of a known length into an array.
pub(crate) fn to_key(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(Error::Malformed);
    }
    out.copy_from_slice(bytes);
    Ok(out)
}
