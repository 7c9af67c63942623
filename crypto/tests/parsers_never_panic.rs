//! Arbitrary bytes (and strings) into every parser: always a typed error or a value, never a
//! panic. Inputs start with each known blob type byte often enough to get past the first check.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    open_metadata, parse_header_len, plaintext_len, unwrap_file_key, AccountKey, ChunkSchedule,
    FileKey, IdentityKeyPair, LinkKeys, LinkSecret, PublicKey, RecoveryKey,
};
use coffer_crypto::{KdfParams, PasswordKeys};
use common::{file_id, rng};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Argon2id is the slow part; derive once for all cases.
fn password_keys() -> &'static PasswordKeys {
    static KEYS: OnceLock<PasswordKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let floor = KdfParams {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        };
        coffer_crypto::derive_password_keys("pw", &[0; 16], &floor).unwrap()
    })
}

fn blob() -> impl Strategy<Value = Vec<u8>> {
    (0u8..16, proptest::collection::vec(any::<u8>(), 0..200)).prop_map(|(tag, mut rest)| {
        rest.insert(0, tag);
        rest
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sealed_blob_parsers_never_panic(bytes in blob()) {
        let account = AccountKey::generate(&mut rng(1));
        let pair = IdentityKeyPair::generate(&mut rng(2));
        let key = FileKey::generate(&mut rng(3));
        let rk = RecoveryKey::generate(&mut rng(4));
        prop_assert!(AccountKey::open_under_password(password_keys().kek(), &bytes).is_err());
        prop_assert!(AccountKey::open_under_recovery(&rk, &bytes).is_err());
        prop_assert!(IdentityKeyPair::open(&account, &bytes, &pair.public_key()).is_err());
        prop_assert!(unwrap_file_key(&pair, &bytes, &file_id(1)).is_err());
        prop_assert!(open_metadata(&key, &file_id(1), &bytes).is_err());
        let link = LinkKeys::derive(&LinkSecret::generate(&mut rng(5)), None).unwrap();
        prop_assert!(link.unwrap_file_key(&bytes, &[0; 16]).is_err());
        prop_assert!(LinkSecret::open_for_owner(&account, &[0; 16], &bytes).is_err());
    }

    #[test]
    fn wrapped_key_with_a_valid_point_never_panics(tail in proptest::collection::vec(any::<u8>(), 48)) {
        let pair = IdentityKeyPair::generate(&mut rng(2));
        let point = IdentityKeyPair::generate(&mut rng(6)).public_key().to_bytes();
        let wrapped = [&[0x04][..], &point, &tail].concat();
        prop_assert_eq!(
            unwrap_file_key(&pair, &wrapped, &file_id(1)).err(),
            Some(coffer_crypto::Error::Decrypt)
        );
    }

    #[test]
    fn public_key_parser_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..100),
        prefix in 0u8..8,
    ) {
        let mut b = bytes;
        if !b.is_empty() { b[0] = prefix; }
        let _ = PublicKey::from_bytes(&b);
        let mut sixty_five = vec![0x04];
        sixty_five.extend(b.iter().cycle().take(64));
        if sixty_five.len() == 65 {
            let _ = PublicKey::from_bytes(&sixty_five);
        }
    }

    #[test]
    fn header_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120), keep_magic in any::<bool>()) {
        let mut b = bytes;
        if keep_magic && b.len() >= 7 {
            b[..7].copy_from_slice(b"COFFER\x01");
        }
        let _ = parse_header_len(&b);
        let key = FileKey::generate(&mut rng(3));
        prop_assert!(ChunkSchedule::for_decryption(&key, &file_id(1), &b).is_err());
    }

    #[test]
    fn text_parsers_never_panic(s in "\\PC{0,80}") {
        prop_assert!(RecoveryKey::parse(&s).is_err());
        let _ = LinkSecret::from_fragment(&s);
        let _ = FileKey::import(&s);
        let _ = FileKey::import(&format!("coffer-key-v1:{s}"));
    }

    #[test]
    fn length_functions_never_panic(len in any::<u64>(), chunk in any::<u32>()) {
        if let Some(c) = coffer_crypto::ciphertext_len(len, chunk) {
            prop_assert_eq!(plaintext_len(c, chunk), Some(len));
        }
        let _ = plaintext_len(len, chunk);
    }
}
