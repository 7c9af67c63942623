//! Signatures by an identity key: ECDSA over P-256 with SHA-256 (FIPS 186-5), deterministic nonces
//! (RFC 6979) and low-S form, so signing needs no randomness and every signature has exactly one
//! accepted encoding.
//!
//! The identity key that HPKE wraps file keys to is also the signing key (docs/CRYPTO.md §3.1 says
//! why that is sound). Every signed message starts with its own `coffer/v2/…` domain string and
//! the blob tag, so a signature made for one purpose never verifies for another.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::Signature;

use crate::identity::{IdentityKeyPair, PublicKey};
use crate::primitives::BlobTag;
use crate::Error;

/// Length of a signature: `r ‖ s`, 32 bytes each, big-endian.
pub(crate) const SIGNATURE_LEN: usize = 64;

/// The message every signature covers: `domain ‖ tag ‖ signer public key (65) ‖ parts…`.
/// The signer's own key is part of it so that nobody can present the signature as made by a
/// different key (ECDSA alone allows that: duplicate-signature key selection).
fn message(domain: &[u8], tag: BlobTag, signer: &PublicKey, parts: &[&[u8]]) -> Vec<u8> {
    let mut m =
        Vec::with_capacity(domain.len() + 66 + parts.iter().map(|p| p.len()).sum::<usize>());
    m.extend_from_slice(domain);
    m.push(tag as u8);
    m.extend_from_slice(&signer.to_bytes());
    for part in parts {
        m.extend_from_slice(part);
    }
    m
}

/// Signs `domain ‖ tag ‖ signer ‖ parts` with the identity key.
pub(crate) fn sign(
    identity: &IdentityKeyPair,
    domain: &[u8],
    tag: BlobTag,
    parts: &[&[u8]],
) -> [u8; SIGNATURE_LEN] {
    let m = message(domain, tag, &identity.public_key(), parts);
    let signature: Signature = identity.signing_key().sign(&m);
    let signature = signature.normalize_s().unwrap_or(signature);
    signature.to_bytes().into()
}

/// Checks a signature made by [`sign`] with `signer`'s key. Anything else (another key, another
/// message, a high-S or malformed encoding) is [`Error::BadSignature`].
pub(crate) fn verify(
    signer: &PublicKey,
    domain: &[u8],
    tag: BlobTag,
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    let signature = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    if signature.normalize_s().is_some() {
        return Err(Error::BadSignature);
    }
    let m = message(domain, tag, signer, parts);
    signer
        .verifying_key()
        .verify(&m, &signature)
        .map_err(|_| Error::BadSignature)
}
