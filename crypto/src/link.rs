//! Share links: a random secret that lives only in the URL fragment, optionally mixed with a
//! password through Argon2id, yields a key that wraps the file key and, one-way, a token the
//! server checks before handing out the wrapped key.

use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::file_key::FileKey;
use crate::password::{argon2id, KdfParams, KDF_SALT_LEN};
use crate::primitives::{open_box, random_array, seal_box, to_key, BlobTag, KEY_LEN};
use crate::Error;

const HKDF_SALT_LINK: &[u8] = b"coffer/v1/link";
const INFO_AUTH: &[u8] = b"coffer/v1/link/auth";
const INFO_WRAP: &[u8] = b"coffer/v1/link/wrap";
const AAD_WRAP: &[u8] = b"coffer/v1/link/file-key";
const DIGEST_DOMAIN: &[u8] = b"coffer/v1/link/token-digest";
const FRAGMENT_LEN: usize = 43;

/// The random 256-bit secret of a share link; it travels only in the URL fragment, which
/// browsers never send to the server.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct LinkSecret([u8; KEY_LEN]);

impl LinkSecret {
    /// A fresh random link secret.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self(*random_array(rng))
    }

    /// The URL fragment form: 43 characters of unpadded base64url.
    pub fn to_fragment(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(&self.0))
    }

    /// Parses the fragment form (a leading `#` is ignored).
    pub fn from_fragment(s: &str) -> Result<Self, Error> {
        let s = s.strip_prefix('#').unwrap_or(s);
        let mut secret = Self([0u8; KEY_LEN]);
        if s.len() != FRAGMENT_LEN {
            return Err(Error::InvalidLinkSecret);
        }
        match Base64UrlUnpadded::decode(s, &mut secret.0) {
            Ok(decoded) if decoded.len() == KEY_LEN => Ok(secret),
            _ => Err(Error::InvalidLinkSecret),
        }
    }
}

/// The optional password of a link, with its Argon2id salt and parameters (stored in the clear
/// by the server with the link).
pub struct LinkPassword<'a> {
    /// The password the recipient types.
    pub password: &'a str,
    /// Random per-link Argon2id salt.
    pub salt: [u8; KDF_SALT_LEN],
    /// Argon2id parameters; validated like account parameters.
    pub params: KdfParams,
}

/// The keys a link secret (and password) yield.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct LinkKeys {
    auth_token: [u8; KEY_LEN],
    wrap_key: [u8; KEY_LEN],
}

impl LinkKeys {
    /// Derives the link's keys. With a password, Argon2id runs first (parameters validated).
    pub fn derive(secret: &LinkSecret, password: Option<&LinkPassword<'_>>) -> Result<Self, Error> {
        // ikm = secret || 0x00, or secret || 0x01 || Argon2id(password): the two cases never meet.
        let mut ikm = Zeroizing::new(Vec::with_capacity(2 * KEY_LEN + 1));
        ikm.extend_from_slice(&secret.0);
        match password {
            None => ikm.push(0x00),
            Some(p) => {
                ikm.push(0x01);
                ikm.extend_from_slice(
                    argon2id(p.password.as_bytes(), &p.salt, &p.params)?.as_ref(),
                );
            }
        }
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT_LINK), &ikm);
        let mut keys = Self {
            auth_token: [0u8; KEY_LEN],
            wrap_key: [0u8; KEY_LEN],
        };
        hkdf.expand(INFO_AUTH, &mut keys.auth_token)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hkdf.expand(INFO_WRAP, &mut keys.wrap_key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Ok(keys)
    }

    /// The token the recipient presents to the server to fetch the wrapped key. The server keeps
    /// only [`link_token_digest`] of it; neither reveals the wrapping key.
    pub fn auth_token(&self) -> [u8; 32] {
        self.auth_token
    }

    /// Wraps the file key for this link (blob type `0x06`, 61 bytes), bound to `link_id`.
    pub fn wrap_file_key(
        &self,
        key: &FileKey,
        link_id: &[u8; 16],
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        seal_box(
            &self.wrap_key,
            BlobTag::LinkWrappedFileKey,
            AAD_WRAP,
            link_id,
            &key.0,
            rng,
        )
    }

    /// Unwraps a blob made by [`LinkKeys::wrap_file_key`].
    pub fn unwrap_file_key(&self, wrapped: &[u8], link_id: &[u8; 16]) -> Result<FileKey, Error> {
        let key = open_box(
            &self.wrap_key,
            BlobTag::LinkWrappedFileKey,
            AAD_WRAP,
            link_id,
            wrapped,
            Some(KEY_LEN),
        )?;
        Ok(FileKey(*to_key(&key)?))
    }
}

/// What the server stores for a link: SHA-256(`"coffer/v1/link/token-digest"` || token).
pub fn link_token_digest(token: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(DIGEST_DOMAIN)
        .chain_update(token)
        .finalize()
        .into()
}

/// Server side: does `token` match the stored digest? Compared in constant time.
pub fn verify_link_token(token: &[u8; 32], stored_digest: &[u8; 32]) -> bool {
    link_token_digest(token).ct_eq(stored_digest).into()
}
