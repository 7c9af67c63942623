//! A link's secret sealed for its owner (blob `0x0E`), so the owner can copy a link again later
//! while the server, which stores the blob in the link's row, still cannot read it.
//!
//! ```text
//! key = HKDF-SHA256(ikm = account key, salt = none, info = "coffer/v2/link-secret-seal-key")
//! 0x0E ‖ nonce (12) ‖ AES-256-GCM(secret (32)) ‖ tag (16)        61 bytes
//! AAD  = "coffer/v2/link-secret-seal" ‖ 0x0E ‖ link id (16)
//! ```
//!
//! The link id in the associated data ties the blob to its row: the server cannot hand the
//! owner one link's secret as another's. Only format-v2 secrets are sealed (links are made v2;
//! a v1 secret could not say its format back).

use rand_core::CryptoRngCore;

use crate::account::AccountKey;
use crate::link::{LinkFormat, LinkSecret};
use crate::primitives::{hkdf_sha256, open_box, seal_box, BlobTag, KEY_LEN};
use crate::Error;

const INFO_SEAL_KEY: &[u8] = b"coffer/v2/link-secret-seal-key";
const AAD_SEAL: &[u8] = b"coffer/v2/link-secret-seal";

fn seal_key(account_key: &AccountKey) -> zeroize::Zeroizing<[u8; KEY_LEN]> {
    hkdf_sha256(None, &account_key.0, &[INFO_SEAL_KEY])
}

impl LinkSecret {
    /// Seals this (format-v2) secret under a key of the owner's account key, bound to `link_id`
    /// (blob `0x0E`, 61 bytes). A v1 secret is [`Error::UnsupportedVersion`].
    pub fn seal_for_owner(
        &self,
        account_key: &AccountKey,
        link_id: &[u8; 16],
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<u8>, Error> {
        if self.format != LinkFormat::V2 {
            return Err(Error::UnsupportedVersion);
        }
        Ok(seal_box(
            &seal_key(account_key),
            BlobTag::LinkSecretForOwner,
            AAD_SEAL,
            link_id,
            &self.bytes,
            rng,
        ))
    }

    /// Opens a blob made by [`seal_for_owner`](Self::seal_for_owner) for `link_id`. Another
    /// account's key, another link id or any altered byte is [`Error::Decrypt`]; another blob
    /// type is [`Error::UnsupportedVersion`], a wrong length [`Error::Malformed`].
    pub fn open_for_owner(
        account_key: &AccountKey,
        link_id: &[u8; 16],
        sealed: &[u8],
    ) -> Result<Self, Error> {
        let bytes = open_box(
            &seal_key(account_key),
            BlobTag::LinkSecretForOwner,
            AAD_SEAL,
            link_id,
            sealed,
            Some(KEY_LEN),
        )?;
        let mut secret = Self {
            bytes: [0u8; KEY_LEN],
            format: LinkFormat::V2,
        };
        secret.bytes.copy_from_slice(&bytes);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

    use super::*;

    const LINK_ID: [u8; 16] = [7; 16];

    fn sealed_link(seed: u64) -> (AccountKey, LinkSecret, Vec<u8>) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let account = AccountKey::generate(&mut rng);
        let secret = LinkSecret::generate(&mut rng);
        let sealed = secret.seal_for_owner(&account, &LINK_ID, &mut rng).unwrap();
        (account, secret, sealed)
    }

    #[test]
    fn the_owner_opens_the_sealed_secret_and_gets_the_same_link_back() {
        let (account, secret, sealed) = sealed_link(1);
        assert_eq!(sealed.len(), crate::blob_len::SEALED_KEY);
        assert_eq!(sealed[0], 0x0E);
        let opened = LinkSecret::open_for_owner(&account, &LINK_ID, &sealed).unwrap();
        assert_eq!(opened.format(), LinkFormat::V2);
        assert_eq!(*opened.to_fragment(), *secret.to_fragment());
    }

    #[test]
    fn another_account_key_another_link_id_or_any_altered_byte_all_fail_with_one_error() {
        let (account, _, sealed) = sealed_link(1);
        let (other_account, _, _) = sealed_link(2);
        assert_eq!(
            LinkSecret::open_for_owner(&other_account, &LINK_ID, &sealed).err(),
            Some(Error::Decrypt)
        );
        assert_eq!(
            LinkSecret::open_for_owner(&account, &[8; 16], &sealed).err(),
            Some(Error::Decrypt)
        );
        for i in 1..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x10;
            assert_eq!(
                LinkSecret::open_for_owner(&account, &LINK_ID, &tampered).err(),
                Some(Error::Decrypt),
                "byte {i}"
            );
        }
    }

    #[test]
    fn another_blob_type_or_length_is_refused_before_decrypting() {
        let (account, _, sealed) = sealed_link(1);
        let mut relabelled = sealed.clone();
        relabelled[0] = 0x06;
        assert_eq!(
            LinkSecret::open_for_owner(&account, &LINK_ID, &relabelled).err(),
            Some(Error::UnsupportedVersion)
        );
        let mut long = sealed.clone();
        long.push(0);
        for bad in [
            &sealed[..0],
            &sealed[..1],
            &sealed[..29],
            &sealed[..60],
            &long,
        ] {
            assert_eq!(
                LinkSecret::open_for_owner(&account, &LINK_ID, bad).err(),
                Some(Error::Malformed),
                "{} bytes",
                bad.len()
            );
        }
    }

    #[test]
    fn a_v1_secret_is_not_sealed() {
        let account = AccountKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
        let v1 = LinkSecret::from_fragment("q0vY0W9pXyW1fkQ9nQ2uL3kz8T0cX1v6ZpS4m2aR7bE").unwrap();
        assert_eq!(
            v1.seal_for_owner(&account, &LINK_ID, &mut ChaCha20Rng::seed_from_u64(2))
                .err(),
            Some(Error::UnsupportedVersion)
        );
    }
}
