//! Share links: a random secret that lives only in the URL fragment, optionally mixed with a
//! password through Argon2id, yields a key that wraps the file key and, one-way, a token the
//! server checks before handing out the wrapped key.
//!
//! Two formats. A v1 link (43-character fragment) has a random link id and says nothing about
//! who made it. A v2 link (44 characters: a version byte, then the secret) has a link id derived
//! from the secret, the owner's public key and the file id, so a visitor's browser can check that
//! the owner key and file the server names are the ones the link was made for, and then the
//! owner's signature on the file version (docs/CRYPTO.md §9).
//!
//! A link's **verifier** is a one-way value of the secret alone, which the server keeps and
//! hands to anyone who asks: a visitor's browser compares it before it asks for a password or
//! for the wrapped key, so a link whose fragment was altered is told apart from a wrong password
//! at once. It is 16 bytes of HKDF output keyed by the 256-bit secret: it reveals nothing about
//! the secret, and guessing a secret that matches it is a 2^256 search.

use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::file_key::{FileId, FileKey};
use crate::identity::PublicKey;
use crate::password::{argon2id, KdfParams, KDF_SALT_LEN};
use crate::primitives::{open_box, random_array, seal_box, to_key, BlobTag, KEY_LEN};
use crate::Error;

const DIGEST_DOMAIN: &[u8] = b"coffer/v1/link/token-digest";
const VERIFIER_INFO: &[u8] = b"coffer/v2/link-verifier";
/// Length of a link verifier ([`LinkSecret::verifier`]).
pub(crate) const VERIFIER_LEN: usize = 16;
const LINK_ID_DOMAIN: &[u8] = b"coffer/v2/link-id";
const V1_FRAGMENT_LEN: usize = 43;
const V2_FRAGMENT_LEN: usize = 44;
const V2_VERSION_BYTE: u8 = 0x02;

/// The labels of one link format's derivations.
struct Labels {
    salt: &'static [u8],
    auth: &'static [u8],
    wrap: &'static [u8],
    wrap_aad: &'static [u8],
}

const V1_LABELS: Labels = Labels {
    salt: b"coffer/v1/link",
    auth: b"coffer/v1/link/auth",
    wrap: b"coffer/v1/link/wrap",
    wrap_aad: b"coffer/v1/link/file-key",
};
const V2_LABELS: Labels = Labels {
    salt: b"coffer/v2/link",
    auth: b"coffer/v2/link/auth",
    wrap: b"coffer/v2/link/wrap",
    wrap_aad: b"coffer/v2/link/file-key",
};

/// The format of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkFormat {
    /// Random link id; the link cannot show who made it. Password used as typed.
    V1,
    /// Link id bound to the owner's key and the file; password NFKC-normalised.
    V2,
}

impl LinkFormat {
    fn labels(self) -> &'static Labels {
        match self {
            LinkFormat::V1 => &V1_LABELS,
            LinkFormat::V2 => &V2_LABELS,
        }
    }
}

/// The random 256-bit secret of a share link; it travels only in the URL fragment, which
/// browsers never send to the server.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct LinkSecret {
    pub(crate) bytes: [u8; KEY_LEN],
    #[zeroize(skip)]
    pub(crate) format: LinkFormat,
}

impl LinkSecret {
    /// A fresh random link secret (format v2).
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self {
            bytes: *random_array(rng),
            format: LinkFormat::V2,
        }
    }

    /// The link's format.
    pub fn format(&self) -> LinkFormat {
        self.format
    }

    /// The URL fragment form: unpadded base64url of the secret (v1, 43 characters) or of
    /// `0x02 ‖ secret` (v2, 44 characters).
    pub fn to_fragment(&self) -> Zeroizing<String> {
        match self.format {
            LinkFormat::V1 => Zeroizing::new(Base64UrlUnpadded::encode_string(&self.bytes)),
            LinkFormat::V2 => {
                let mut raw = Zeroizing::new([0u8; KEY_LEN + 1]);
                raw[0] = V2_VERSION_BYTE;
                raw[1..].copy_from_slice(&self.bytes);
                Zeroizing::new(Base64UrlUnpadded::encode_string(raw.as_ref()))
            }
        }
    }

    /// Parses the fragment form (a leading `#` is ignored). Only canonical unpadded base64url of
    /// the right length is accepted; anything else is [`Error::InvalidLinkSecret`].
    pub fn from_fragment(s: &str) -> Result<Self, Error> {
        let s = s.strip_prefix('#').unwrap_or(s);
        let mut raw = Zeroizing::new([0u8; KEY_LEN + 1]);
        let (format, bytes): (LinkFormat, &[u8]) = match s.len() {
            V1_FRAGMENT_LEN => match Base64UrlUnpadded::decode(s, &mut raw[..KEY_LEN]) {
                Ok(d) if d.len() == KEY_LEN => (LinkFormat::V1, &raw[..KEY_LEN]),
                _ => return Err(Error::InvalidLinkSecret),
            },
            V2_FRAGMENT_LEN => match Base64UrlUnpadded::decode(s, &mut raw[..]) {
                Ok(d) if d.len() == KEY_LEN + 1 && d[0] == V2_VERSION_BYTE => {
                    (LinkFormat::V2, &raw[1..])
                }
                _ => return Err(Error::InvalidLinkSecret),
            },
            _ => return Err(Error::InvalidLinkSecret),
        };
        let mut secret = Self {
            bytes: [0u8; KEY_LEN],
            format,
        };
        secret.bytes.copy_from_slice(bytes);
        Ok(secret)
    }

    /// The id a v2 link for `file_id` made by `owner` has:
    /// `SHA-256("coffer/v2/link-id" ‖ secret ‖ owner public key ‖ file id)[..16]`. `None` for a
    /// v1 link, whose id is random.
    pub fn link_id(&self, owner: &PublicKey, file_id: &FileId) -> Option<[u8; 16]> {
        if self.format != LinkFormat::V2 {
            return None;
        }
        let digest = Sha256::new()
            .chain_update(LINK_ID_DOMAIN)
            .chain_update(self.bytes)
            .chain_update(owner.to_bytes())
            .chain_update(file_id.as_bytes())
            .finalize();
        Some(digest[..16].try_into().expect("16 bytes"))
    }

    /// The link's verifier: `HKDF-SHA256(ikm = secret, salt = none, info =
    /// "coffer/v2/link-verifier")`, 16 bytes. The server stores it at creation and answers it to
    /// anyone; it is one-way, so it tells nothing about the secret, but lets a visitor's browser
    /// see that the fragment it holds is the one the link was made with.
    pub fn verifier(&self) -> [u8; VERIFIER_LEN] {
        let mut out = [0u8; VERIFIER_LEN];
        Hkdf::<Sha256>::new(None, &self.bytes)
            .expand(VERIFIER_INFO, &mut out)
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// Whether `verifier` is this secret's [`verifier`](Self::verifier) (constant time). False
    /// for any other length.
    pub fn matches_verifier(&self, verifier: &[u8]) -> bool {
        verifier.len() == VERIFIER_LEN && bool::from(self.verifier().ct_eq(verifier))
    }

    /// Whether `link_id` is the id of this v2 link for `file_id` made by `owner` (constant time).
    /// Always false for a v1 link.
    pub fn is_link_id(&self, link_id: &[u8; 16], owner: &PublicKey, file_id: &FileId) -> bool {
        self.link_id(owner, file_id)
            .is_some_and(|id| bool::from(id.ct_eq(link_id)))
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
    #[zeroize(skip)]
    format: LinkFormat,
}

impl LinkKeys {
    /// Derives the link's keys. With a password, Argon2id runs first (parameters validated; the
    /// password NFKC-normalised for a v2 link, as typed for a v1 link).
    pub fn derive(secret: &LinkSecret, password: Option<&LinkPassword<'_>>) -> Result<Self, Error> {
        let labels = secret.format.labels();
        // ikm = secret || 0x00, or secret || 0x01 || Argon2id(password): the two cases never meet.
        let mut ikm = Zeroizing::new(Vec::with_capacity(2 * KEY_LEN + 1));
        ikm.extend_from_slice(&secret.bytes);
        match password {
            None => ikm.push(0x00),
            Some(p) => {
                ikm.push(0x01);
                let normalized: Zeroizing<String> = Zeroizing::new(match secret.format {
                    LinkFormat::V1 => p.password.to_string(),
                    LinkFormat::V2 => p.password.nfkc().collect(),
                });
                ikm.extend_from_slice(
                    argon2id(normalized.as_bytes(), &p.salt, &p.params)?.as_ref(),
                );
            }
        }
        let hkdf = Hkdf::<Sha256>::new(Some(labels.salt), &ikm);
        let mut keys = Self {
            auth_token: [0u8; KEY_LEN],
            wrap_key: [0u8; KEY_LEN],
            format: secret.format,
        };
        hkdf.expand(labels.auth, &mut keys.auth_token)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hkdf.expand(labels.wrap, &mut keys.wrap_key)
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
            self.format.labels().wrap_aad,
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
            self.format.labels().wrap_aad,
            link_id,
            wrapped,
            Some(KEY_LEN),
        )?;
        Ok(FileKey(*to_key(&key)?))
    }
}

/// What the server stores for a link: SHA-256(`"coffer/v1/link/token-digest"` || token), for
/// both formats.
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
