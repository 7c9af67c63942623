//! The account key: the root of a user's key hierarchy, sealed under the password KEK and,
//! separately, under the recovery key.
//!
//! Both seals exist in two formats. Format v1 (blobs `0x01`, `0x02`) is what accounts made before
//! format v2 have; format v2 (`0x0B`, `0x0C`) marks an account whose own files all carry owner key
//! slots (format v2), so its browser never accepts a v1 key slot as the owner's. The server cannot
//! turn one into the other: the tag is authenticated, and only the password or recovery key seals.

use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::password::PasswordKek;
use crate::primitives::{hkdf_sha256, open_box, random_array, seal_box, to_key, BlobTag, KEY_LEN};
use crate::recovery::RecoveryKey;
use crate::Error;

const AAD_UNDER_PASSWORD: &[u8] = b"coffer/v1/account-key/password";
const AAD_UNDER_RECOVERY: &[u8] = b"coffer/v1/account-key/recovery";
const AAD_UNDER_PASSWORD_V2: &[u8] = b"coffer/v2/account-key/password";
const AAD_UNDER_RECOVERY_V2: &[u8] = b"coffer/v2/account-key/recovery";
const INFO_RECOVERY_KEK: &[u8] = b"coffer/v1/recovery-kek";
const INFO_ACCOUNT_PROOF: &[u8] = b"coffer/v2/account-proof";
const AAD_FOR_DEVICE: &[u8] = b"coffer/v2/account-key/device";
/// Plaintext of blob `0x0F`: the format (1 or 2), then the key.
const DEVICE_PLAINTEXT_LEN: usize = 1 + KEY_LEN;

/// The format an account's key was sealed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountFormat {
    /// Made before format v2: the account's files may still have v1 key slots to upgrade.
    V1,
    /// Every file this account owns has an owner key slot; a v1 slot is never the owner's.
    V2,
}

/// A random 256-bit key that seals the user's identity private key. Changing the password
/// re-seals only this key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AccountKey(pub(crate) [u8; KEY_LEN]);

/// (tag, domain) of a seal under the password or the recovery key in each format.
fn password_seal(format: AccountFormat) -> (BlobTag, &'static [u8]) {
    match format {
        AccountFormat::V1 => (BlobTag::AccountKeyUnderPassword, AAD_UNDER_PASSWORD),
        AccountFormat::V2 => (BlobTag::AccountKeyUnderPasswordV2, AAD_UNDER_PASSWORD_V2),
    }
}

fn recovery_seal(format: AccountFormat) -> (BlobTag, &'static [u8]) {
    match format {
        AccountFormat::V1 => (BlobTag::AccountKeyUnderRecovery, AAD_UNDER_RECOVERY),
        AccountFormat::V2 => (BlobTag::AccountKeyUnderRecoveryV2, AAD_UNDER_RECOVERY_V2),
    }
}

/// The format a sealed account key's tag names, given the v1 and v2 tags of its kind.
fn format_of(sealed: &[u8], v1: BlobTag, v2: BlobTag) -> Result<AccountFormat, Error> {
    match sealed.first() {
        None => Err(Error::Malformed),
        Some(&t) if t == v1 as u8 => Ok(AccountFormat::V1),
        Some(&t) if t == v2 as u8 => Ok(AccountFormat::V2),
        Some(_) => Err(Error::UnsupportedVersion),
    }
}

impl AccountKey {
    /// A fresh random account key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self(*random_array(rng))
    }

    /// Seals the account key under the password KEK (blob `0x01` in v1, `0x0B` in v2; 61 bytes).
    pub fn seal_under_password(
        &self,
        kek: &PasswordKek,
        format: AccountFormat,
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        let (tag, domain) = password_seal(format);
        seal_box(&kek.0, tag, domain, &[], &self.0, rng)
    }

    /// Opens a blob made by [`AccountKey::seal_under_password`], in either format.
    pub fn open_under_password(
        kek: &PasswordKek,
        sealed: &[u8],
    ) -> Result<(Self, AccountFormat), Error> {
        let format = format_of(
            sealed,
            BlobTag::AccountKeyUnderPassword,
            BlobTag::AccountKeyUnderPasswordV2,
        )?;
        let (tag, domain) = password_seal(format);
        let key = open_box(&kek.0, tag, domain, &[], sealed, Some(KEY_LEN))?;
        Ok((Self(*to_key(&key)?), format))
    }

    /// What proves to the server that a browser holds this account key, without giving it away:
    /// `HKDF-SHA256(ikm = account key, info = "coffer/v2/account-proof")`, 32 bytes. The server
    /// keeps only a slow hash of it, and asks for it where the password cannot be asked for (a
    /// reset with the recovery key, which opens the account key; docs/CRYPTO.md §2.4). One-way:
    /// it opens nothing.
    pub fn proof(&self) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
        hkdf_sha256(None, &self.0, &[INFO_ACCOUNT_PROOF])
    }

    /// Seals the account key under a key derived from the recovery key (blob `0x02` in v1,
    /// `0x0C` in v2; 61 bytes).
    pub fn seal_under_recovery(
        &self,
        rk: &RecoveryKey,
        format: AccountFormat,
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        let (tag, domain) = recovery_seal(format);
        seal_box(&recovery_kek(rk), tag, domain, &[], &self.0, rng)
    }

    /// Opens a blob made by [`AccountKey::seal_under_recovery`], in either format.
    pub fn open_under_recovery(
        rk: &RecoveryKey,
        sealed: &[u8],
    ) -> Result<(Self, AccountFormat), Error> {
        let format = format_of(
            sealed,
            BlobTag::AccountKeyUnderRecovery,
            BlobTag::AccountKeyUnderRecoveryV2,
        )?;
        let (tag, domain) = recovery_seal(format);
        let key = open_box(&recovery_kek(rk), tag, domain, &[], sealed, Some(KEY_LEN))?;
        Ok((Self(*to_key(&key)?), format))
    }
}

impl AccountKey {
    /// Seals the account key for a device that stays unlocked (blob `0x0F`, 62 bytes): under
    /// `unlock_key`, a random key the server keeps for one session and hands only to that
    /// session, with the account's `username` (normalized) in the associated data and its
    /// format inside. The browser keeps this blob only under a second, non-extractable key of
    /// its own (docs/CRYPTO.md §2.5), so neither the server's key alone nor the browser's
    /// storage alone opens it.
    pub fn seal_for_device(
        &self,
        unlock_key: &[u8; KEY_LEN],
        username: &str,
        format: AccountFormat,
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        let mut plaintext = zeroize::Zeroizing::new([0u8; DEVICE_PLAINTEXT_LEN]);
        plaintext[0] = match format {
            AccountFormat::V1 => 1,
            AccountFormat::V2 => 2,
        };
        plaintext[1..].copy_from_slice(&self.0);
        seal_box(
            unlock_key,
            BlobTag::AccountKeyForDevice,
            AAD_FOR_DEVICE,
            username.as_bytes(),
            &plaintext[..],
            rng,
        )
    }

    /// Opens a blob made by [`AccountKey::seal_for_device`] for `username`.
    pub fn open_for_device(
        unlock_key: &[u8; KEY_LEN],
        username: &str,
        sealed: &[u8],
    ) -> Result<(Self, AccountFormat), Error> {
        let plaintext = open_box(
            unlock_key,
            BlobTag::AccountKeyForDevice,
            AAD_FOR_DEVICE,
            username.as_bytes(),
            sealed,
            Some(DEVICE_PLAINTEXT_LEN),
        )?;
        let format = match plaintext[0] {
            1 => AccountFormat::V1,
            2 => AccountFormat::V2,
            _ => return Err(Error::Malformed),
        };
        Ok((Self(*to_key(&plaintext[1..])?), format))
    }
}

fn recovery_kek(rk: &RecoveryKey) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(None, rk.as_secret_bytes(), &[INFO_RECOVERY_KEK])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_proof_is_stable_per_key_and_differs_between_keys() {
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let a = AccountKey::generate(&mut rng);
        let b = AccountKey::generate(&mut rng);
        assert_eq!(*a.proof(), *a.proof());
        assert_ne!(*a.proof(), *b.proof());
        assert_ne!(&a.proof()[..], &a.0[..], "the proof is not the key");
    }

    #[test]
    fn a_device_seal_opens_with_its_unlock_key_and_name_only() {
        let mut rng = rand_core::OsRng;
        let key = AccountKey::generate(&mut rng);
        let unlock = [7u8; KEY_LEN];
        let sealed = key.seal_for_device(&unlock, "alice", AccountFormat::V1, &mut rng);
        assert_eq!(sealed.len(), crate::blob_len::DEVICE_SEALED_KEY);
        assert_eq!(sealed[0], 0x0F);
        let (opened, format) = AccountKey::open_for_device(&unlock, "alice", &sealed).unwrap();
        assert_eq!(opened.0, key.0);
        assert_eq!(format, AccountFormat::V1);
        assert!(AccountKey::open_for_device(&[8u8; KEY_LEN], "alice", &sealed).is_err());
        assert!(AccountKey::open_for_device(&unlock, "mallory", &sealed).is_err());
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(AccountKey::open_for_device(&unlock, "alice", &altered).is_err());
    }
}
