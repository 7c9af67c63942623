//! Share-link secrets, link passwords, auth tokens and link-wrapped file keys.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    link_token_digest, verify_link_token, Error, FileKey, KdfParams, LinkKeys, LinkPassword,
    LinkSecret,
};
use common::rng;

const FLOOR: KdfParams = KdfParams {
    memory_kib: 19456,
    iterations: 2,
    parallelism: 1,
};
const LINK_ID: [u8; 16] = [3; 16];

fn password(pw: &str) -> LinkPassword<'_> {
    LinkPassword {
        password: pw,
        salt: [5; 16],
        params: FLOOR,
    }
}

#[test]
fn link_secret_fragment_round_trips() {
    let secret = LinkSecret::generate(&mut rng(1));
    let fragment = secret.to_fragment();
    assert_eq!(fragment.len(), 43);
    assert!(fragment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let parsed = LinkSecret::from_fragment(&fragment).unwrap();
    assert_eq!(parsed.to_fragment(), fragment);
    assert_eq!(
        LinkSecret::from_fragment(&format!("#{}", &*fragment))
            .unwrap()
            .to_fragment(),
        fragment
    );
}

#[test]
fn damaged_fragments_are_refused() {
    let fragment = LinkSecret::generate(&mut rng(1)).to_fragment().to_string();
    for bad in [
        String::new(),
        fragment[..42].to_string(),
        format!("{fragment}A"),
        format!("{fragment}="),
        fragment.replacen(|_| true, "+", 1),
        fragment.replacen(|_| true, "/", 1),
        format!("{}é", &fragment[..41]),
    ] {
        assert_eq!(
            LinkSecret::from_fragment(&bad).err(),
            Some(Error::InvalidLinkSecret),
            "{bad}"
        );
    }
}

#[test]
fn link_keys_are_deterministic_and_depend_on_secret_and_password() {
    let secret = LinkSecret::generate(&mut rng(1));
    let other = LinkSecret::generate(&mut rng(2));
    let plain = LinkKeys::derive(&secret, None).unwrap();
    assert_eq!(
        plain.auth_token(),
        LinkKeys::derive(&secret, None).unwrap().auth_token()
    );
    let tokens = [
        LinkKeys::derive(&other, None).unwrap().auth_token(),
        LinkKeys::derive(&secret, Some(&password("pw")))
            .unwrap()
            .auth_token(),
        LinkKeys::derive(&secret, Some(&password("pw2")))
            .unwrap()
            .auth_token(),
        LinkKeys::derive(&secret, Some(&password("")))
            .unwrap()
            .auth_token(),
    ];
    for t in tokens {
        assert_ne!(t, plain.auth_token());
    }
}

#[test]
fn link_wrapped_file_key_needs_the_secret_the_password_and_the_link_id() {
    let secret = LinkSecret::generate(&mut rng(1));
    let keys = LinkKeys::derive(&secret, Some(&password("open sesame"))).unwrap();
    let file_key = FileKey::generate(&mut rng(3));
    let wrapped = keys.wrap_file_key(&file_key, &LINK_ID, &mut rng(4));
    assert_eq!(wrapped.len(), 61);
    assert_eq!(wrapped[0], 0x06);
    let unwrapped = keys.unwrap_file_key(&wrapped, &LINK_ID).unwrap();
    assert_eq!(unwrapped.export(), file_key.export());
    let wrong_password = LinkKeys::derive(&secret, Some(&password("open sesame!"))).unwrap();
    let no_password = LinkKeys::derive(&secret, None).unwrap();
    let wrong_secret = LinkKeys::derive(
        &LinkSecret::generate(&mut rng(2)),
        Some(&password("open sesame")),
    )
    .unwrap();
    for k in [&wrong_password, &no_password, &wrong_secret] {
        assert_eq!(
            k.unwrap_file_key(&wrapped, &LINK_ID).err(),
            Some(Error::Decrypt)
        );
    }
    assert_eq!(
        keys.unwrap_file_key(&wrapped, &[4; 16]).err(),
        Some(Error::Decrypt)
    );
    for len in [0, 1, 28, 60] {
        assert_eq!(
            keys.unwrap_file_key(&wrapped[..len], &LINK_ID).err(),
            Some(Error::Malformed)
        );
    }
    let mut long = wrapped.clone();
    long.push(1);
    assert_eq!(
        keys.unwrap_file_key(&long, &LINK_ID).err(),
        Some(Error::Malformed)
    );
}

#[test]
fn server_checks_the_token_against_its_digest() {
    let keys = LinkKeys::derive(&LinkSecret::generate(&mut rng(1)), None).unwrap();
    let other = LinkKeys::derive(&LinkSecret::generate(&mut rng(2)), None).unwrap();
    let stored = link_token_digest(&keys.auth_token());
    assert_ne!(
        stored,
        keys.auth_token(),
        "the server never stores the token itself"
    );
    assert!(verify_link_token(&keys.auth_token(), &stored));
    assert!(!verify_link_token(&other.auth_token(), &stored));
    let mut near = keys.auth_token();
    near[31] ^= 1;
    assert!(!verify_link_token(&near, &stored));
}

#[test]
fn link_password_params_outside_the_range_are_refused() {
    let secret = LinkSecret::generate(&mut rng(1));
    let weak = LinkPassword {
        params: KdfParams {
            memory_kib: 1024,
            ..FLOOR
        },
        ..password("pw")
    };
    let huge = LinkPassword {
        params: KdfParams {
            memory_kib: u32::MAX,
            ..FLOOR
        },
        ..password("pw")
    };
    for p in [weak, huge] {
        assert_eq!(
            LinkKeys::derive(&secret, Some(&p)).err(),
            Some(Error::KdfParamsOutOfRange)
        );
    }
}
