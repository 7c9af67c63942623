//! The account key: the root of a user's key hierarchy, sealed under the password KEK and,
//! separately, under the recovery key.

use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::password::PasswordKek;
use crate::primitives::{hkdf_sha256, open_box, random_array, seal_box, to_key, BlobTag, KEY_LEN};
use crate::recovery::RecoveryKey;
use crate::Error;

const AAD_UNDER_PASSWORD: &[u8] = b"coffer/v1/account-key/password";
const AAD_UNDER_RECOVERY: &[u8] = b"coffer/v1/account-key/recovery";
const INFO_RECOVERY_KEK: &[u8] = b"coffer/v1/recovery-kek";

/// A random 256-bit key that seals the user's identity private key. Changing the password
/// re-seals only this key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AccountKey(pub(crate) [u8; KEY_LEN]);

impl AccountKey {
    /// A fresh random account key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self(*random_array(rng))
    }

    /// Seals the account key under the password KEK (blob type `0x01`, 61 bytes).
    pub fn seal_under_password(&self, kek: &PasswordKek, rng: &mut impl CryptoRngCore) -> Vec<u8> {
        seal_box(
            &kek.0,
            BlobTag::AccountKeyUnderPassword,
            AAD_UNDER_PASSWORD,
            &[],
            &self.0,
            rng,
        )
    }

    /// Opens a blob made by [`AccountKey::seal_under_password`].
    pub fn open_under_password(kek: &PasswordKek, sealed: &[u8]) -> Result<Self, Error> {
        let key = open_box(
            &kek.0,
            BlobTag::AccountKeyUnderPassword,
            AAD_UNDER_PASSWORD,
            &[],
            sealed,
            Some(KEY_LEN),
        )?;
        Ok(Self(*to_key(&key)?))
    }

    /// Seals the account key under a key derived from the recovery key (blob type `0x02`).
    pub fn seal_under_recovery(&self, rk: &RecoveryKey, rng: &mut impl CryptoRngCore) -> Vec<u8> {
        let kek = recovery_kek(rk);
        seal_box(
            &kek,
            BlobTag::AccountKeyUnderRecovery,
            AAD_UNDER_RECOVERY,
            &[],
            &self.0,
            rng,
        )
    }

    /// Opens a blob made by [`AccountKey::seal_under_recovery`].
    pub fn open_under_recovery(rk: &RecoveryKey, sealed: &[u8]) -> Result<Self, Error> {
        let kek = recovery_kek(rk);
        let key = open_box(
            &kek,
            BlobTag::AccountKeyUnderRecovery,
            AAD_UNDER_RECOVERY,
            &[],
            sealed,
            Some(KEY_LEN),
        )?;
        Ok(Self(*to_key(&key)?))
    }
}

fn recovery_kek(rk: &RecoveryKey) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(None, rk.as_secret_bytes(), &[INFO_RECOVERY_KEK])
}
