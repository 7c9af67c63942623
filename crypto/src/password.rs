//! Password → keys: Argon2id, then HKDF-SHA256 splits the result into the login key and the
//! password key-encryption key.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::primitives::{hkdf_sha256, KEY_LEN};
use crate::Error;

/// Length of the per-user random Argon2id salt.
pub const KDF_SALT_LEN: usize = 16;

const INFO_AUTH: &[u8] = b"coffer/v1/auth";
const INFO_PASSWORD_KEK: &[u8] = b"coffer/v1/password-kek";

/// Argon2id cost parameters, stored per user (and per password-protected link) by the server.
///
/// The server is not trusted with them: [`KdfParams::validate`] refuses values a malicious server
/// could use to weaken the hash (below the floor) or to hang the browser (above the ceiling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl KdfParams {
    /// The parameters new accounts get: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 65536,
        iterations: 3,
        parallelism: 1,
    };
    /// The weakest parameters accepted (OWASP's Argon2id minimum: 19 MiB, 2 passes).
    pub const FLOOR: KdfParams = KdfParams {
        memory_kib: 19456,
        iterations: 2,
        parallelism: 1,
    };
    /// Largest accepted memory cost (1 GiB).
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Largest accepted number of passes.
    pub const MAX_ITERATIONS: u32 = 10;
    /// Largest accepted parallelism.
    pub const MAX_PARALLELISM: u32 = 4;

    /// Checks the parameters against the floor and the ceiling.
    pub fn validate(&self) -> Result<(), Error> {
        let in_range = (Self::FLOOR.memory_kib..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib)
            && (Self::FLOOR.iterations..=Self::MAX_ITERATIONS).contains(&self.iterations)
            && (1..=Self::MAX_PARALLELISM).contains(&self.parallelism);
        if in_range {
            Ok(())
        } else {
            Err(Error::KdfParamsOutOfRange)
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Argon2id (v0x13) with a 32-byte output, after validating the parameters.
pub(crate) fn argon2id(
    password: &[u8],
    salt: &[u8; KDF_SALT_LEN],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
    params.validate()?;
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(KEY_LEN),
    )
    .map_err(|_| Error::KdfParamsOutOfRange)?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    )
    .hash_password_into(password, salt, out.as_mut())
    .map_err(|_| Error::KdfParamsOutOfRange)?;
    Ok(out)
}

/// Derives the login key and the password KEK from a password.
///
/// The password is normalised to Unicode NFKC first and Argon2id hashes its UTF-8 bytes, so the
/// same password typed in composed or decomposed form (or with compatibility characters) gives
/// the same keys. Nothing else is changed: no trimming, no case folding.
pub fn derive_password_keys(
    password: &str,
    salt: &[u8; KDF_SALT_LEN],
    params: &KdfParams,
) -> Result<PasswordKeys, Error> {
    let normalized: Zeroizing<String> = Zeroizing::new(password.nfkc().collect());
    let master = argon2id(normalized.as_bytes(), salt, params)?;
    Ok(PasswordKeys {
        auth_key: AuthKey(*hkdf_sha256(None, master.as_ref(), &[INFO_AUTH])),
        kek: PasswordKek(*hkdf_sha256(None, master.as_ref(), &[INFO_PASSWORD_KEK])),
    })
}

/// The two keys a password yields.
pub struct PasswordKeys {
    auth_key: AuthKey,
    kek: PasswordKek,
}

impl PasswordKeys {
    /// The key sent to the server to register and to log in.
    pub fn auth_key(&self) -> &AuthKey {
        &self.auth_key
    }

    /// The key that seals the account key; it never leaves the client.
    pub fn kek(&self) -> &PasswordKek {
        &self.kek
    }

    /// Both keys, auth key first: how a browser's key-derivation worker hands them back to the
    /// page (the worker runs Argon2id off the page's thread; both are in the same origin).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 2 * KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; 2 * KEY_LEN]);
        out[..KEY_LEN].copy_from_slice(&self.auth_key.0);
        out[KEY_LEN..].copy_from_slice(&self.kek.0);
        out
    }

    /// The keys from [`PasswordKeys::to_bytes`].
    pub fn from_bytes(bytes: &[u8; 2 * KEY_LEN]) -> Self {
        let mut auth = [0u8; KEY_LEN];
        let mut kek = [0u8; KEY_LEN];
        auth.copy_from_slice(&bytes[..KEY_LEN]);
        kek.copy_from_slice(&bytes[KEY_LEN..]);
        PasswordKeys {
            auth_key: AuthKey(auth),
            kek: PasswordKek(kek),
        }
    }
}

/// The login credential derived from the password. It is the only password-derived value the
/// server ever receives; knowing it does not help decrypt anything (HKDF outputs are independent).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AuthKey([u8; KEY_LEN]);

impl AuthKey {
    /// The bytes to send at registration and login.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// The password key-encryption key: seals the account key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct PasswordKek(pub(crate) [u8; KEY_LEN]);
