//! Grant signatures: the sharer's proof that they gave *this* wrapped file key, for *this* file,
//! to *this* recipient key, until *this* expiry (blob `0x0D`). HPKE base mode, which wraps the
//! key, says nothing about who wrapped it; the signature does, and the recipient checks it
//! against the sharer's pinned key before trusting the share (docs/CRYPTO.md §5.1).

use crate::file_key::FileId;
use crate::identity::{IdentityKeyPair, PublicKey};
use crate::primitives::BlobTag;
use crate::signing::{self, SIGNATURE_LEN};
use crate::Error;

const SIGNED_GRANT: &[u8] = b"coffer/v2/grant";
/// Length of a grant signature blob: tag and signature.
pub(crate) const GRANT_SIGNATURE_LEN: usize = 1 + SIGNATURE_LEN;

/// `file id ‖ recipient key (65) ‖ wrapped key ‖ expiry` (expiry: `0x00`, or `0x01 ‖ i64 BE` ms).
fn statement(
    file_id: &FileId,
    recipient: &PublicKey,
    wrapped_key: &[u8],
    expires_at_ms: Option<i64>,
) -> Vec<u8> {
    let mut s = Vec::with_capacity(16 + 65 + wrapped_key.len() + 9);
    s.extend_from_slice(file_id.as_bytes());
    s.extend_from_slice(&recipient.to_bytes());
    s.extend_from_slice(wrapped_key);
    match expires_at_ms {
        None => s.push(0),
        Some(at) => {
            s.push(1);
            s.extend_from_slice(&at.to_be_bytes());
        }
    }
    s
}

/// Signs a grant of `file_id` to `recipient`: `wrapped_key` is the blob `0x04` made for them.
pub fn sign_grant(
    sharer: &IdentityKeyPair,
    file_id: &FileId,
    recipient: &PublicKey,
    wrapped_key: &[u8],
    expires_at_ms: Option<i64>,
) -> Vec<u8> {
    let signature = signing::sign(
        sharer,
        SIGNED_GRANT,
        BlobTag::GrantSignature,
        &[&statement(file_id, recipient, wrapped_key, expires_at_ms)],
    );
    let mut out = Vec::with_capacity(GRANT_SIGNATURE_LEN);
    out.push(BlobTag::GrantSignature as u8);
    out.extend_from_slice(&signature);
    out
}

/// Checks that `sharer` signed exactly this grant. Another key, file, recipient, wrapped key or
/// expiry is [`Error::BadSignature`].
pub fn verify_grant(
    sharer: &PublicKey,
    file_id: &FileId,
    recipient: &PublicKey,
    wrapped_key: &[u8],
    expires_at_ms: Option<i64>,
    signature: &[u8],
) -> Result<(), Error> {
    let (&tag, sig) = signature.split_first().ok_or(Error::Malformed)?;
    if tag != BlobTag::GrantSignature as u8 {
        return Err(Error::UnsupportedVersion);
    }
    if signature.len() != GRANT_SIGNATURE_LEN {
        return Err(Error::Malformed);
    }
    signing::verify(
        sharer,
        SIGNED_GRANT,
        BlobTag::GrantSignature,
        &[&statement(file_id, recipient, wrapped_key, expires_at_ms)],
        sig,
    )
}
