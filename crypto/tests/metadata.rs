//! Encrypted file metadata.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    open_metadata, seal_metadata, Error, FileKey, FileMetadata, MAX_MIME_LEN, MAX_NAME_LEN,
};
use common::{file_id, rng};

fn meta(name: &str) -> FileMetadata {
    FileMetadata {
        name: name.into(),
        mime: "application/pdf".into(),
        size: 1 << 40,
        modified_ms: -86_400_000,
    }
}

#[test]
fn metadata_round_trips() {
    let key = FileKey::generate(&mut rng(1));
    for m in [
        meta("report.pdf"),
        meta(""),
        meta("日本語 ファイル 🗂.txt"),
        meta(&"x".repeat(MAX_NAME_LEN)),
        FileMetadata {
            mime: "m".repeat(MAX_MIME_LEN),
            ..meta("a")
        },
    ] {
        let sealed = seal_metadata(&key, &file_id(1), &m, &mut rng(2)).unwrap();
        assert_eq!(sealed[0], 0x05);
        assert!(open_metadata(&key, &file_id(1), &sealed).unwrap() == m);
    }
}

#[test]
fn metadata_length_hides_the_exact_name_length() {
    let key = FileKey::generate(&mut rng(1));
    let len = |name: &str| {
        seal_metadata(&key, &file_id(1), &meta(name), &mut rng(2))
            .unwrap()
            .len()
    };
    assert_eq!(len("a"), len("a much longer name.pdf"));
    assert_eq!((len("a") - 1 - 12 - 16) % 64, 0);
}

#[test]
fn metadata_over_the_limits_is_refused() {
    let key = FileKey::generate(&mut rng(1));
    let too_long_name = meta(&"x".repeat(MAX_NAME_LEN + 1));
    let too_long_mime = FileMetadata {
        mime: "m".repeat(MAX_MIME_LEN + 1),
        ..meta("a")
    };
    for m in [too_long_name, too_long_mime] {
        assert_eq!(
            seal_metadata(&key, &file_id(1), &m, &mut rng(2)).err(),
            Some(Error::MetadataTooLong)
        );
    }
}

#[test]
fn metadata_opens_only_with_its_file_key_and_file_id() {
    let key = FileKey::generate(&mut rng(1));
    let sealed = seal_metadata(&key, &file_id(1), &meta("secret.txt"), &mut rng(2)).unwrap();
    let other = FileKey::generate(&mut rng(3));
    assert_eq!(
        open_metadata(&other, &file_id(1), &sealed).err(),
        Some(Error::Decrypt)
    );
    assert_eq!(
        open_metadata(&key, &file_id(2), &sealed).err(),
        Some(Error::Decrypt)
    );
    for i in 1..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x04;
        assert_eq!(
            open_metadata(&key, &file_id(1), &bad).err(),
            Some(Error::Decrypt)
        );
    }
    assert_eq!(
        open_metadata(&key, &file_id(1), &[]).err(),
        Some(Error::Malformed)
    );
    assert_eq!(
        open_metadata(&key, &file_id(1), &sealed[..28]).err(),
        Some(Error::Malformed)
    );
    let mut other_type = sealed.clone();
    other_type[0] = 0x04;
    assert_eq!(
        open_metadata(&key, &file_id(1), &other_type).err(),
        Some(Error::UnsupportedVersion)
    );
}
