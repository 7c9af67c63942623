//! Share-link secrets, link passwords, auth tokens and link-wrapped file keys.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    link_token_digest, verify_link_token, Error, FileId, FileKey, IdentityKeyPair, KdfParams,
    LinkFormat, LinkKeys, LinkPassword, LinkSecret,
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
    assert_eq!(secret.format(), LinkFormat::V2);
    let fragment = secret.to_fragment();
    assert_eq!(fragment.len(), 44);
    assert!(fragment.starts_with("A")); // the version byte 0x02 is "Ag…" in base64url
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
fn a_v1_fragment_still_parses_as_v1_and_round_trips() {
    let v1 = "q0vY0W9pXyW1fkQ9nQ2uL3kz8T0cX1v6ZpS4m2aR7bE";
    let secret = LinkSecret::from_fragment(v1).unwrap();
    assert_eq!(secret.format(), LinkFormat::V1);
    assert_eq!(secret.to_fragment().as_str(), v1);
    // A v1 link has a random id: it cannot be checked against an owner.
    let owner = IdentityKeyPair::generate(&mut rng(9)).public_key();
    assert_eq!(secret.link_id(&owner, &FileId::from_bytes([1; 16])), None);
}

#[test]
fn non_canonical_base64url_is_refused() {
    // 43 characters carry 258 bits; the last character's two spare bits must be zero.
    let canonical = "q0vY0W9pXyW1fkQ9nQ2uL3kz8T0cX1v6ZpS4m2aR7bE";
    let spare_bits_set = "q0vY0W9pXyW1fkQ9nQ2uL3kz8T0cX1v6ZpS4m2aR7bF";
    assert!(LinkSecret::from_fragment(canonical).is_ok());
    assert_eq!(
        LinkSecret::from_fragment(spare_bits_set).err(),
        Some(Error::InvalidLinkSecret)
    );
    let v2 = LinkSecret::generate(&mut rng(1)).to_fragment().to_string();
    // A 44-character fragment whose first byte is not the version byte 0x02.
    let wrong_version = format!("Aw{}", &v2[2..]);
    assert_eq!(
        LinkSecret::from_fragment(&wrong_version).err(),
        Some(Error::InvalidLinkSecret)
    );
}

#[test]
fn a_v2_link_id_binds_the_owner_key_and_the_file() {
    let secret = LinkSecret::generate(&mut rng(1));
    let owner = IdentityKeyPair::generate(&mut rng(9)).public_key();
    let mallory = IdentityKeyPair::generate(&mut rng(10)).public_key();
    let file = FileId::from_bytes([1; 16]);
    let other_file = FileId::from_bytes([2; 16]);
    let id = secret.link_id(&owner, &file).unwrap();
    assert!(secret.is_link_id(&id, &owner, &file));
    assert!(!secret.is_link_id(&id, &mallory, &file));
    assert!(!secret.is_link_id(&id, &owner, &other_file));
    let other_secret = LinkSecret::generate(&mut rng(2));
    assert!(!other_secret.is_link_id(&id, &owner, &file));
}

#[test]
fn a_v2_link_password_is_nfkc_normalised_and_a_v1_one_is_not() {
    // "é" composed (U+00E9) and decomposed (e + U+0301).
    let composed = "caf\u{e9} pass";
    let decomposed = "cafe\u{301} pass";
    let v2 = LinkSecret::generate(&mut rng(1));
    assert_eq!(
        LinkKeys::derive(&v2, Some(&password(composed)))
            .unwrap()
            .auth_token(),
        LinkKeys::derive(&v2, Some(&password(decomposed)))
            .unwrap()
            .auth_token()
    );
    let v1 = LinkSecret::from_fragment("q0vY0W9pXyW1fkQ9nQ2uL3kz8T0cX1v6ZpS4m2aR7bE").unwrap();
    assert_ne!(
        LinkKeys::derive(&v1, Some(&password(composed)))
            .unwrap()
            .auth_token(),
        LinkKeys::derive(&v1, Some(&password(decomposed)))
            .unwrap()
            .auth_token()
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

#[test]
fn the_verifier_depends_on_the_secret_alone_and_tells_an_altered_fragment_apart() {
    let secret = LinkSecret::generate(&mut rng(1));
    let verifier = secret.verifier();
    assert_eq!(verifier.len(), 16);
    let reparsed = LinkSecret::from_fragment(&secret.to_fragment()).unwrap();
    assert!(reparsed.matches_verifier(&verifier));
    // Every one-character change of the fragment that still parses gives another verifier.
    let fragment = secret.to_fragment().to_string();
    let mut altered_parsed = 0;
    for i in 2..fragment.len() {
        for c in ['A', 'b', '7', '-'] {
            let mut chars: Vec<char> = fragment.chars().collect();
            if chars[i] == c {
                continue;
            }
            chars[i] = c;
            let altered: String = chars.into_iter().collect();
            if let Ok(other) = LinkSecret::from_fragment(&altered) {
                altered_parsed += 1;
                assert!(!other.matches_verifier(&verifier), "{altered}");
            }
        }
    }
    assert!(altered_parsed > 100);
    assert!(!LinkSecret::generate(&mut rng(2)).matches_verifier(&verifier));
    // Not a prefix or an extension of it.
    assert!(!secret.matches_verifier(&verifier[..15]));
    assert!(!secret.matches_verifier(&[&verifier[..], &[0]].concat()));
}
