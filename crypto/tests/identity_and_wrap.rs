//! Identity key pairs, public keys and fingerprints, and HPKE wrapping of file keys.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    unwrap_file_key, wrap_file_key, AccountKey, Error, FileKey, IdentityKeyPair, PublicKey,
};
use common::{file_id, rng};

fn same_key(a: &FileKey, b: &FileKey) -> bool {
    a.export().as_str() == b.export().as_str()
}

#[test]
fn identity_private_key_round_trips_under_the_account_key() {
    let account = AccountKey::generate(&mut rng(1));
    let pair = IdentityKeyPair::generate(&mut rng(2));
    let sealed = pair.seal_private_key(&account, &mut rng(3));
    assert_eq!(sealed.len(), 61);
    assert_eq!(sealed[0], 0x03);
    let opened = IdentityKeyPair::open(&account, &sealed, &pair.public_key()).unwrap();
    assert_eq!(opened.public_key(), pair.public_key());
    // The opened pair can unwrap what was wrapped to the original.
    let key = FileKey::generate(&mut rng(4));
    let wrapped = wrap_file_key(&pair.public_key(), &key, &file_id(1), &mut rng(5));
    assert!(same_key(
        &unwrap_file_key(&opened, &wrapped, &file_id(1)).unwrap(),
        &key
    ));
}

#[test]
fn identity_open_fails_with_the_wrong_account_key_or_public_key() {
    let account = AccountKey::generate(&mut rng(1));
    let pair = IdentityKeyPair::generate(&mut rng(2));
    let other = IdentityKeyPair::generate(&mut rng(9));
    let sealed = pair.seal_private_key(&account, &mut rng(3));
    let wrong_account = AccountKey::generate(&mut rng(4));
    assert_eq!(
        IdentityKeyPair::open(&wrong_account, &sealed, &pair.public_key()).err(),
        Some(Error::Decrypt)
    );
    // A server substituting its own public key next to the user's sealed private key.
    assert!(IdentityKeyPair::open(&account, &sealed, &other.public_key()).is_err());
    for len in [0, 1, 28, 60] {
        assert_eq!(
            IdentityKeyPair::open(&account, &sealed[..len], &pair.public_key()).err(),
            Some(Error::Malformed)
        );
    }
}

#[test]
fn public_key_round_trips_through_sec1_uncompressed_bytes() {
    let public = IdentityKeyPair::generate(&mut rng(2)).public_key();
    let bytes = public.to_bytes();
    assert_eq!(bytes.len(), 65);
    assert_eq!(bytes[0], 0x04);
    assert_eq!(PublicKey::from_bytes(&bytes).unwrap(), public);
}

#[test]
fn invalid_public_keys_are_refused() {
    let bytes = IdentityKeyPair::generate(&mut rng(2))
        .public_key()
        .to_bytes();
    let mut off_curve = bytes.clone();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02 | (bytes[64] & 1)];
    compressed.extend_from_slice(&bytes[1..33]);
    let mut wrong_prefix = bytes.clone();
    wrong_prefix[0] = 0x06;
    for bad in [
        vec![],
        vec![0x00],
        vec![0u8; 65],
        off_curve,
        compressed,
        wrong_prefix,
        bytes[..64].to_vec(),
        [bytes.as_slice(), &[0]].concat(),
    ] {
        assert_eq!(
            PublicKey::from_bytes(&bad).err(),
            Some(Error::InvalidPublicKey)
        );
    }
}

#[test]
fn fingerprint_is_twelve_groups_of_five_digits_and_differs_per_key() {
    let a = IdentityKeyPair::generate(&mut rng(2)).public_key();
    let b = IdentityKeyPair::generate(&mut rng(3)).public_key();
    let fp = a.fingerprint();
    let groups: Vec<&str> = fp.split(' ').collect();
    assert_eq!(groups.len(), 12);
    assert!(groups
        .iter()
        .all(|g| g.len() == 5 && g.bytes().all(|c| c.is_ascii_digit())));
    assert_eq!(fp, a.clone().fingerprint());
    assert_ne!(fp, b.fingerprint());
}

#[test]
fn wrapped_file_key_opens_only_for_the_recipient_and_file() {
    let alice = IdentityKeyPair::generate(&mut rng(1));
    let bob = IdentityKeyPair::generate(&mut rng(2));
    let key = FileKey::generate(&mut rng(3));
    let wrapped = wrap_file_key(&alice.public_key(), &key, &file_id(1), &mut rng(4));
    assert_eq!(wrapped.len(), 114);
    assert_eq!(wrapped[0], 0x04);
    assert!(same_key(
        &unwrap_file_key(&alice, &wrapped, &file_id(1)).unwrap(),
        &key
    ));
    assert_eq!(
        unwrap_file_key(&bob, &wrapped, &file_id(1)).err(),
        Some(Error::Decrypt)
    );
    assert_eq!(
        unwrap_file_key(&alice, &wrapped, &file_id(2)).err(),
        Some(Error::Decrypt)
    );
    // Fresh ephemeral key per wrap.
    assert_ne!(
        wrapped,
        wrap_file_key(&alice.public_key(), &key, &file_id(1), &mut rng(5))
    );
}

#[test]
fn truncated_oversized_or_tampered_wrapped_keys_are_refused() {
    let alice = IdentityKeyPair::generate(&mut rng(1));
    let key = FileKey::generate(&mut rng(3));
    let wrapped = wrap_file_key(&alice.public_key(), &key, &file_id(1), &mut rng(4));
    for len in [0, 1, 66, 113] {
        assert_eq!(
            unwrap_file_key(&alice, &wrapped[..len], &file_id(1)).err(),
            Some(Error::Malformed),
            "len {len}"
        );
    }
    let mut long = wrapped.clone();
    long.push(0);
    assert_eq!(
        unwrap_file_key(&alice, &long, &file_id(1)).err(),
        Some(Error::Malformed)
    );
    let mut other_type = wrapped.clone();
    other_type[0] = 0x05;
    assert_eq!(
        unwrap_file_key(&alice, &other_type, &file_id(1)).err(),
        Some(Error::UnsupportedVersion)
    );
    // Every byte after the type: the ephemeral point, the ciphertext and the tag. A damaged point
    // and a damaged ciphertext give the same error.
    for i in 1..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            unwrap_file_key(&alice, &bad, &file_id(1)).err(),
            Some(Error::Decrypt),
            "{i}"
        );
    }
}

#[test]
fn file_key_export_round_trips_and_rejects_other_text() {
    let key = FileKey::generate(&mut rng(3));
    let text = key.export();
    assert!(text.starts_with("coffer-key-v1:"));
    assert_eq!(text.len(), 57);
    assert!(same_key(&FileKey::import(&text).unwrap(), &key));
    assert!(same_key(
        &FileKey::import(&format!(" {}\n", &*text)).unwrap(),
        &key
    ));
    for bad in [
        String::new(),
        text[14..].to_string(),
        text.replace("v1", "v2"),
        text[..56].to_string(),
        format!("{}A", &*text),
        format!("{}=", &*text),
        text.replacen(
            |c: char| c.is_ascii_alphanumeric() && text.find(c) > Some(14),
            "+",
            1,
        ),
        text.replace("coffer-key-v1:", "COFFER-KEY-V1:"),
    ] {
        assert_eq!(
            FileKey::import(&bad).err(),
            Some(Error::InvalidKeyExport),
            "{bad}"
        );
    }
}
