//! Per-file identifiers and keys.

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::primitives::{random_array, KEY_LEN};
use crate::Error;

const EXPORT_PREFIX: &str = "coffer-key-v1:";

/// A file's identifier, generated at random by the server. It is public, and bound into every
/// ciphertext that belongs to the file so the server cannot swap one file's blobs for another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId([u8; 16]);

impl FileId {
    /// Wraps the 16 bytes of an id.
    pub fn from_bytes(b: [u8; 16]) -> Self {
        Self(b)
    }

    /// The 16 bytes of the id.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// A random 256-bit key per file; the payload key, the key commitment and the metadata key are
/// all derived from it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct FileKey(pub(crate) [u8; KEY_LEN]);

impl FileKey {
    /// A fresh random file key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self(*random_array(rng))
    }

    /// The text form for the "Export key" feature: `coffer-key-v1:` followed by the key in
    /// unpadded base64url (57 characters in all).
    pub fn export(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(EXPORT_PREFIX.len() + 43));
        out.push_str(EXPORT_PREFIX);
        out.push_str(&Zeroizing::new(Base64UrlUnpadded::encode_string(&self.0)));
        out
    }

    /// Parses the text form; surrounding whitespace is ignored.
    pub fn import(s: &str) -> Result<Self, Error> {
        let encoded = s
            .trim()
            .strip_prefix(EXPORT_PREFIX)
            .ok_or(Error::InvalidKeyExport)?;
        let mut key = Self([0u8; KEY_LEN]);
        match Base64UrlUnpadded::decode(encoded, &mut key.0) {
            Ok(decoded) if decoded.len() == KEY_LEN => Ok(key),
            _ => Err(Error::InvalidKeyExport),
        }
    }
}
