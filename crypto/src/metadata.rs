//! File metadata (name, type, size, modification time), encrypted under a key derived from the
//! file key and bound to the file id.

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::file_key::{FileId, FileKey};
use crate::primitives::{hkdf_sha256, open_box, seal_box, BlobTag};
use crate::Error;

const INFO_METADATA: &[u8] = b"coffer/v1/metadata";
const AAD_METADATA: &[u8] = b"coffer/v1/metadata";
/// Longest accepted file name, in UTF-8 bytes.
pub const MAX_NAME_LEN: usize = 1024;
/// Longest accepted MIME type, in bytes.
pub const MAX_MIME_LEN: usize = 255;
/// The encoded metadata is zero-padded to a multiple of this, hiding the exact name length.
const PAD_TO: usize = 64;

/// What the server must not learn about a file. Deliberately not `Debug`: names are secret.
#[derive(Clone, PartialEq, Eq)]
pub struct FileMetadata {
    /// File name as the user sees it.
    pub name: String,
    /// MIME type, e.g. `application/pdf`.
    pub mime: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// Last modification, milliseconds since the Unix epoch.
    pub modified_ms: i64,
}

impl FileMetadata {
    /// Whether the plaintext size this metadata records is the one a ciphertext of
    /// `ciphertext_len` bytes in chunks of `chunk_size` holds. Readers check this before they
    /// trust a listing's size or start a download: a mismatch is tampering.
    pub fn size_matches(&self, ciphertext_len: u64, chunk_size: u32) -> bool {
        crate::plaintext_len(ciphertext_len, chunk_size) == Some(self.size)
    }
}

/// Seals metadata (blob type `0x05`). Fails with [`Error::MetadataTooLong`] if the name is over
/// [`MAX_NAME_LEN`] bytes or the type over [`MAX_MIME_LEN`].
pub fn seal_metadata(
    key: &FileKey,
    file_id: &FileId,
    meta: &FileMetadata,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let encoded = encode(meta)?;
    Ok(seal_box(
        &metadata_key(key, file_id),
        BlobTag::Metadata,
        AAD_METADATA,
        file_id.as_bytes(),
        &encoded,
        rng,
    ))
}

/// Opens a blob made by [`seal_metadata`].
pub fn open_metadata(
    key: &FileKey,
    file_id: &FileId,
    sealed: &[u8],
) -> Result<FileMetadata, Error> {
    let encoded = open_box(
        &metadata_key(key, file_id),
        BlobTag::Metadata,
        AAD_METADATA,
        file_id.as_bytes(),
        sealed,
        None,
    )?;
    decode(&encoded)
}

fn metadata_key(key: &FileKey, file_id: &FileId) -> Zeroizing<[u8; 32]> {
    hkdf_sha256(None, &key.0, &[INFO_METADATA, file_id.as_bytes()])
}

/// `name_len u16 BE || name || mime_len u8 || mime || size u64 BE || modified_ms i64 BE ||
/// zero padding to a multiple of 64 bytes`.
fn encode(meta: &FileMetadata) -> Result<Zeroizing<Vec<u8>>, Error> {
    if meta.name.len() > MAX_NAME_LEN || meta.mime.len() > MAX_MIME_LEN {
        return Err(Error::MetadataTooLong);
    }
    let unpadded = 2 + meta.name.len() + 1 + meta.mime.len() + 8 + 8;
    let mut out = Zeroizing::new(Vec::with_capacity(unpadded.next_multiple_of(PAD_TO)));
    out.extend_from_slice(&(meta.name.len() as u16).to_be_bytes());
    out.extend_from_slice(meta.name.as_bytes());
    out.push(meta.mime.len() as u8);
    out.extend_from_slice(meta.mime.as_bytes());
    out.extend_from_slice(&meta.size.to_be_bytes());
    out.extend_from_slice(&meta.modified_ms.to_be_bytes());
    out.resize(unpadded.next_multiple_of(PAD_TO), 0);
    Ok(out)
}

fn decode(bytes: &[u8]) -> Result<FileMetadata, Error> {
    let mut reader = Reader(bytes);
    let name_len = u16::from_be_bytes(reader.array()?) as usize;
    if name_len > MAX_NAME_LEN {
        return Err(Error::Malformed);
    }
    let name = reader.utf8(name_len)?;
    let mime_len = reader.array::<1>()?[0] as usize;
    let mime = reader.utf8(mime_len)?;
    let size = u64::from_be_bytes(reader.array()?);
    let modified_ms = i64::from_be_bytes(reader.array()?);
    // Exactly one encoding per value: the padding is minimal and all zero.
    let padding = reader.0;
    if padding.len() >= PAD_TO
        || padding.iter().any(|&b| b != 0)
        || !bytes.len().is_multiple_of(PAD_TO)
    {
        return Err(Error::Malformed);
    }
    Ok(FileMetadata {
        name,
        mime,
        size,
        modified_ms,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        if self.0.len() < n {
            return Err(Error::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    fn utf8(&mut self, n: usize) -> Result<String, Error> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::Malformed)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    //! The decoder sits behind authentication, so it is tested here, where it can be reached
    //! directly with arbitrary bytes.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn encode_then_decode_is_identity(
            name in "\\PC{0,200}",
            mime in "[a-z/+.-]{0,100}",
            size in any::<u64>(),
            modified_ms in any::<i64>(),
        ) {
            let meta = FileMetadata { name, mime, size, modified_ms };
            let encoded = encode(&meta).unwrap();
            prop_assert_eq!(encoded.len() % PAD_TO, 0);
            prop_assert!(decode(&encoded).unwrap() == meta);
        }
    }

    #[test]
    fn decode_rejects_non_zero_or_excess_padding_and_bad_utf8() {
        let meta = FileMetadata {
            name: "a".into(),
            mime: "b".into(),
            size: 1,
            modified_ms: 2,
        };
        let good = encode(&meta).unwrap();
        let mut nonzero = good.clone();
        *nonzero.last_mut().unwrap() = 1;
        let mut excess = good.to_vec();
        excess.extend([0u8; 64]);
        let mut bad_utf8 = good.clone();
        bad_utf8[2] = 0xff;
        for bad in [
            &nonzero[..],
            &excess[..],
            &bad_utf8[..],
            &good[..63],
            &[][..],
        ] {
            assert_eq!(decode(bad).err(), Some(Error::Malformed));
        }
    }
}
