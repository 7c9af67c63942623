//! The one error type of the crate.

use core::fmt;

/// Everything that can go wrong in `coffer-crypto`.
///
/// Decryption failures an attacker could tell apart (a wrong key, a flipped bit, a forged tag, a
/// key commitment that does not match) are all [`Error::Decrypt`], so an error message never tells
/// an attacker which guess was closer.
#[non_exhaustive]
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Error {
    /// Authentication failed: the key is wrong, or the data was tampered with or is corrupt.
    Decrypt,
    /// The input ended before a final chunk (or before a complete header) was seen.
    Truncated,
    /// Data followed the final chunk of a stream.
    TrailingData,
    /// The input does not have the layout of the format it claims to be.
    Malformed,
    /// The input is in a format version (or of a blob type) this build does not understand.
    UnsupportedVersion,
    /// Argon2id parameters outside the accepted floor/ceiling.
    KdfParamsOutOfRange,
    /// A stream chunk size outside the accepted range.
    ChunkSizeOutOfRange,
    /// Bytes that are not a valid P-256 public key.
    InvalidPublicKey,
    /// A recovery key with a wrong length, a character outside the alphabet or a bad checksum.
    InvalidRecoveryKey,
    /// A share-link secret that is not 43 characters of unpadded base64url.
    InvalidLinkSecret,
    /// Text that is not an exported Coffer file key.
    InvalidKeyExport,
    /// A stream header that belongs to a different file.
    FileIdMismatch,
    /// A sealed identity private key that does not belong to the expected public key.
    PublicKeyMismatch,
    /// A metadata field longer than the format allows.
    MetadataTooLong,
    /// A stream longer than the chunk counter can number.
    ChunkCounterOverflow,
    /// A signature that was not made by the expected key over exactly this data.
    BadSignature,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Decrypt => {
                "decryption failed: wrong key, or the data is corrupt or was tampered with"
            }
            Error::Truncated => "the encrypted data is incomplete",
            Error::TrailingData => "unexpected data after the end of the encrypted file",
            Error::Malformed => "the data is not in the expected format",
            Error::UnsupportedVersion => "the data uses an unsupported format version",
            Error::KdfParamsOutOfRange => {
                "password hashing parameters are outside the accepted range"
            }
            Error::ChunkSizeOutOfRange => "the chunk size is outside the accepted range",
            Error::InvalidPublicKey => "not a valid public key",
            Error::InvalidRecoveryKey => "not a valid recovery key (check for typos)",
            Error::InvalidLinkSecret => "the share link is incomplete or damaged",
            Error::InvalidKeyExport => "not a valid exported Coffer key",
            Error::FileIdMismatch => "the encrypted data belongs to a different file",
            Error::PublicKeyMismatch => "the private key does not match the public key",
            Error::MetadataTooLong => "a file name or type is too long",
            Error::ChunkCounterOverflow => "the file has too many chunks",
            Error::BadSignature => {
                "the signature does not check out: not made by this key, or the data was altered"
            }
        })
    }
}

impl std::error::Error for Error {}
