//! Password → keys, the account key sealed under the password and the recovery key.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use coffer_crypto::{
    derive_password_keys, AccountFormat, AccountKey, Error, KdfParams, RecoveryKey,
};
use common::{rng, ReplayRng};

const FLOOR: KdfParams = KdfParams {
    memory_kib: 19456,
    iterations: 2,
    parallelism: 1,
};
const SALT: [u8; 16] = [7; 16];

#[test]
fn default_and_boundary_kdf_params_are_accepted() {
    assert_eq!(
        KdfParams::DEFAULT,
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1
        }
    );
    for p in [
        KdfParams::DEFAULT,
        FLOOR,
        KdfParams {
            memory_kib: 1024 * 1024,
            iterations: 10,
            parallelism: 4,
        },
    ] {
        assert_eq!(p.validate(), Ok(()));
    }
}

#[test]
fn kdf_params_outside_floor_or_ceiling_are_refused_before_hashing() {
    let bad = [
        KdfParams {
            memory_kib: 19455,
            ..FLOOR
        },
        KdfParams {
            iterations: 1,
            ..FLOOR
        },
        KdfParams {
            parallelism: 0,
            ..FLOOR
        },
        KdfParams {
            memory_kib: 1024 * 1024 + 1,
            ..FLOOR
        },
        KdfParams {
            iterations: 11,
            ..FLOOR
        },
        KdfParams {
            parallelism: 5,
            ..FLOOR
        },
        KdfParams {
            memory_kib: u32::MAX,
            iterations: u32::MAX,
            parallelism: u32::MAX,
        },
        KdfParams {
            memory_kib: 0,
            iterations: 0,
            parallelism: 0,
        },
    ];
    for p in bad {
        assert_eq!(p.validate(), Err(Error::KdfParamsOutOfRange), "{p:?}");
        // Returns at once: a server asking for u32::MAX KiB must not hang or abort the client.
        assert_eq!(
            derive_password_keys("pw", &SALT, &p).err(),
            Some(Error::KdfParamsOutOfRange)
        );
    }
}

#[test]
fn kdf_params_serialize_with_stable_field_names() {
    let json = serde_json::to_string(&KdfParams::DEFAULT).unwrap();
    assert_eq!(
        json,
        r#"{"memory_kib":65536,"iterations":3,"parallelism":1}"#
    );
    assert_eq!(
        serde_json::from_str::<KdfParams>(&json).unwrap(),
        KdfParams::DEFAULT
    );
}

#[test]
fn password_keys_depend_on_password_salt_and_params() {
    let base = derive_password_keys("hunter2", &SALT, &FLOOR).unwrap();
    let again = derive_password_keys("hunter2", &SALT, &FLOOR).unwrap();
    assert_eq!(base.auth_key().as_bytes(), again.auth_key().as_bytes());
    let others = [
        derive_password_keys("hunter3", &SALT, &FLOOR).unwrap(),
        derive_password_keys("hunter2", &[8; 16], &FLOOR).unwrap(),
        derive_password_keys(
            "hunter2",
            &SALT,
            &KdfParams {
                iterations: 3,
                ..FLOOR
            },
        )
        .unwrap(),
    ];
    for other in &others {
        assert_ne!(base.auth_key().as_bytes(), other.auth_key().as_bytes());
    }
}

#[test]
fn account_key_opens_under_the_same_password_only_in_both_formats() {
    let keys = derive_password_keys("right", &SALT, &FLOOR).unwrap();
    let wrong = derive_password_keys("wrong", &SALT, &FLOOR).unwrap();
    let account = AccountKey::generate(&mut rng(1));
    for (format, tag) in [(AccountFormat::V1, 0x01), (AccountFormat::V2, 0x0B)] {
        let sealed = account.seal_under_password(keys.kek(), format, &mut rng(2));
        assert_eq!(sealed.len(), 61);
        assert_eq!(sealed[0], tag);
        let (opened, opened_format) = AccountKey::open_under_password(keys.kek(), &sealed).unwrap();
        assert_eq!(opened_format, format);
        // Same key: re-sealing with the same nonce gives the same bytes.
        assert_eq!(
            opened.seal_under_password(keys.kek(), format, &mut rng(2)),
            account.seal_under_password(keys.kek(), format, &mut rng(2))
        );
        assert_eq!(
            AccountKey::open_under_password(wrong.kek(), &sealed).err(),
            Some(Error::Decrypt)
        );
    }
}

#[test]
fn a_server_cannot_relabel_an_account_key_as_the_other_format() {
    let keys = derive_password_keys("pw", &SALT, &FLOOR).unwrap();
    let rk = RecoveryKey::generate(&mut rng(5));
    let account = AccountKey::generate(&mut rng(1));
    for (format, other_tag) in [(AccountFormat::V1, 0x0B), (AccountFormat::V2, 0x01)] {
        let mut relabelled = account.seal_under_password(keys.kek(), format, &mut rng(2));
        relabelled[0] = other_tag;
        assert_eq!(
            AccountKey::open_under_password(keys.kek(), &relabelled).err(),
            Some(Error::Decrypt)
        );
    }
    for (format, other_tag) in [(AccountFormat::V1, 0x0C), (AccountFormat::V2, 0x02)] {
        let mut relabelled = account.seal_under_recovery(&rk, format, &mut rng(2));
        relabelled[0] = other_tag;
        assert_eq!(
            AccountKey::open_under_recovery(&rk, &relabelled).err(),
            Some(Error::Decrypt)
        );
    }
}

#[test]
fn password_change_reseals_the_same_account_key() {
    let old = derive_password_keys("old", &SALT, &FLOOR).unwrap();
    let new = derive_password_keys("new", &[9; 16], &FLOOR).unwrap();
    let account = AccountKey::generate(&mut rng(1));
    let sealed_old = account.seal_under_password(old.kek(), AccountFormat::V1, &mut rng(2));
    let (opened, _) = AccountKey::open_under_password(old.kek(), &sealed_old).unwrap();
    let sealed_new = opened.seal_under_password(new.kek(), AccountFormat::V2, &mut rng(3));
    let (reopened, format) = AccountKey::open_under_password(new.kek(), &sealed_new).unwrap();
    assert_eq!(format, AccountFormat::V2);
    assert_eq!(
        reopened.seal_under_password(new.kek(), AccountFormat::V2, &mut rng(4)),
        account.seal_under_password(new.kek(), AccountFormat::V2, &mut rng(4))
    );
}

#[test]
fn sealed_account_key_tampering_gives_typed_errors() {
    let keys = derive_password_keys("pw", &SALT, &FLOOR).unwrap();
    let rk = RecoveryKey::generate(&mut rng(5));
    let account = AccountKey::generate(&mut rng(1));
    let sealed = account.seal_under_password(keys.kek(), AccountFormat::V2, &mut rng(2));
    for i in 1..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x80;
        assert_eq!(
            AccountKey::open_under_password(keys.kek(), &bad).err(),
            Some(Error::Decrypt)
        );
    }
    for len in [0, 1, 13, 28, 60] {
        assert_eq!(
            AccountKey::open_under_password(keys.kek(), &sealed[..len]).err(),
            Some(Error::Malformed)
        );
    }
    let mut long = sealed.clone();
    long.push(0);
    assert_eq!(
        AccountKey::open_under_password(keys.kek(), &long).err(),
        Some(Error::Malformed)
    );
    // A blob of another type (here: sealed under the recovery key) is not accepted as this one.
    let under_recovery = account.seal_under_recovery(&rk, AccountFormat::V1, &mut rng(2));
    assert_eq!(
        AccountKey::open_under_password(keys.kek(), &under_recovery).err(),
        Some(Error::UnsupportedVersion)
    );
    let mut relabelled = under_recovery.clone();
    relabelled[0] = 0x01;
    assert_eq!(
        AccountKey::open_under_password(keys.kek(), &relabelled).err(),
        Some(Error::Decrypt)
    );
}

#[test]
fn account_key_opens_under_the_recovery_key_from_its_display_form() {
    let rk = RecoveryKey::generate(&mut rng(5));
    let account = AccountKey::generate(&mut rng(1));
    for (format, tag) in [(AccountFormat::V1, 0x02), (AccountFormat::V2, 0x0C)] {
        let sealed = account.seal_under_recovery(&rk, format, &mut rng(2));
        assert_eq!(sealed[0], tag);
        let typed = RecoveryKey::parse(&rk.to_display()).unwrap();
        let (opened, opened_format) = AccountKey::open_under_recovery(&typed, &sealed).unwrap();
        assert_eq!(opened_format, format);
        assert_eq!(
            opened.seal_under_recovery(&rk, format, &mut rng(3)),
            account.seal_under_recovery(&rk, format, &mut rng(3))
        );
        let other = RecoveryKey::generate(&mut rng(6));
        assert_eq!(
            AccountKey::open_under_recovery(&other, &sealed).err(),
            Some(Error::Decrypt)
        );
    }
}

#[test]
fn recovery_key_display_is_fourteen_groups_of_four_crockford_characters() {
    let display = RecoveryKey::generate(&mut rng(5)).to_display();
    let groups: Vec<&str> = display.split('-').collect();
    assert_eq!(groups.len(), 14);
    for g in groups {
        assert_eq!(g.len(), 4);
        assert!(
            g.chars()
                .all(|c| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)),
            "{g}"
        );
    }
    let zero = RecoveryKey::generate(&mut ReplayRng::new(&[&[0u8; 32]]));
    assert!(zero.to_display().starts_with("0000-0000-"));
}

#[test]
fn recovery_key_parse_tolerates_case_spaces_dashes_and_lookalikes() {
    let rk = RecoveryKey::generate(&mut rng(5));
    let display = rk.to_display().to_string();
    let canonical = RecoveryKey::parse(&display).unwrap().to_display();
    for variant in [
        display.to_lowercase(),
        display.replace('-', " "),
        display.replace('-', ""),
        format!("  {}\n", display.replace('-', "  ")),
        display.replace('0', "o").replace('1', "l"),
        display.replace('1', "I").replace('0', "O").to_lowercase(),
    ] {
        assert_eq!(
            RecoveryKey::parse(&variant).unwrap().to_display(),
            canonical,
            "{variant}"
        );
    }
}

#[test]
fn recovery_key_typos_are_caught_by_the_checksum() {
    let rk = RecoveryKey::generate(&mut rng(5));
    let display: Vec<char> = rk.to_display().chars().collect();
    let mut rejected = 0;
    let mut tried = 0;
    for (i, &c) in display.iter().enumerate().filter(|(_, c)| **c != '-') {
        for replacement in ['0', '7', 'Z'] {
            if replacement == c {
                continue;
            }
            let mut typo = display.clone();
            typo[i] = replacement;
            tried += 1;
            if RecoveryKey::parse(&typo.iter().collect::<String>()).err()
                == Some(Error::InvalidRecoveryKey)
            {
                rejected += 1;
            }
        }
    }
    // A 24-bit checksum lets about one typo in 16 million through; none of these should pass.
    assert_eq!(rejected, tried);
    // Swapping two adjacent different characters is caught too.
    let mut swapped = display.clone();
    let i = (0..display.len() - 1)
        .find(|&i| display[i] != display[i + 1] && display[i] != '-' && display[i + 1] != '-')
        .unwrap();
    swapped.swap(i, i + 1);
    assert!(RecoveryKey::parse(&swapped.iter().collect::<String>()).is_err());
}

#[test]
fn recovery_key_with_wrong_length_or_alphabet_is_refused() {
    let display = RecoveryKey::generate(&mut rng(5)).to_display().to_string();
    for bad in [
        String::new(),
        display[..display.len() - 1].to_string(),
        format!("{display}0"),
        display.replacen(|c: char| c.is_ascii_alphanumeric(), "U", 1),
        display.replacen(|c: char| c.is_ascii_alphanumeric(), "é", 1),
        display.replacen('-', "_", 1),
    ] {
        assert_eq!(
            RecoveryKey::parse(&bad).err(),
            Some(Error::InvalidRecoveryKey),
            "{bad}"
        );
    }
}
